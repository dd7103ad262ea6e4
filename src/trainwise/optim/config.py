"""The ``optimizer:`` config section."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from trainwise.config.section import Section
from trainwise.vocabulary import canonical

#: accepted names; "momentum" and "nesterov" are SGD presets (momentum 0.9)
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw")
_SGD_FAMILY = ("sgd", "momentum", "nesterov")
_ADAM_FAMILY = ("adam", "adamw")


def _unit_interval(value: float, *, closed_low: bool = True) -> float:
    ok = (0.0 <= value < 1.0) if closed_low else (0.0 < value < 1.0)
    if not ok:
        raise ValueError("must be in [0, 1)" if closed_low else "must be in (0, 1)")
    return value


class OptimizerConfig(Section):
    """Which ``torch.optim`` optimizer to use and its hyper-parameters.

    Fields (defaults in brackets):

    - ``name`` ["adam"]: sgd, momentum (SGD with momentum 0.9), nesterov (SGD, Nesterov momentum
      0.9), rmsprop, adagrad, adam, adamw. Case, "-" and "_" are ignored, so Keras' "Adam",
      "RMSprop" and "AdamW" or "Adam-W" work.
    - ``lr`` [1e-3]: > 0.
    - ``momentum`` [None]: in [0, 1); None -> 0.9 for momentum/nesterov, 0 for sgd and rmsprop.
      Not for adagrad/adam/adamw (Adam's momentum is ``beta_1``).
    - ``nesterov`` [None]: Nesterov momentum for the SGD family; None -> True only for "nesterov".
    - ``beta_1`` [0.9], ``beta_2`` [0.999]: in [0, 1); Adam/AdamW moment decay rates.
    - ``epsilon`` [None]: > 0; None -> torch's default (1e-8 for adam, adamw and rmsprop, 1e-10
      for adagrad). Keras uses 1e-7; set it to match a Keras run exactly.
    - ``amsgrad`` [False]: AMSGrad variant of adam/adamw.
    - ``rho`` [0.9]: RMSprop's squared-gradient decay (Keras' name; torch's ``alpha``, whose own
      default is 0.99). ``centered`` [False]: centered RMSprop.
    - ``weight_decay`` [None]: >= 0; None -> 0.01 for adamw (torch's default), 0 otherwise. For
      adamw it is *decoupled* (``w -= lr * wd * w``, Loshchilov & Hutter); for every other
      optimizer it is torch's *coupled* L2: ``wd * w`` is added to the gradient, which equals
      a penalty ``(wd / 2) * sum(w^2)``, i.e. Keras' ``l2 = wd / 2``. Either way it is applied
      to weight matrices and kernels only (ndim >= 2), not to biases or norm parameters.
    - ``lr_scaling`` ["none"]: "linear" multiplies lr by ``batch_size / base_batch_size``
      (Goyal et al. 2017). ``base_batch_size`` [None]: the batch size ``lr`` was tuned for;
      required with "linear".

    Example::

        >>> OptimizerConfig(name="SGD", lr=0.1, momentum=0.9).name
        'sgd'
    """

    name: str = "adam"
    lr: float = 1e-3
    momentum: float | None = None
    nesterov: bool | None = None
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float | None = None
    amsgrad: bool = False
    rho: float = 0.9
    centered: bool = False
    weight_decay: float | None = None
    lr_scaling: Literal["none", "linear"] = "none"
    base_batch_size: int | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _known_name(cls, value: object) -> object:
        # ConfigError is a ValueError, so pydantic reports it under the field's location.
        return canonical(value, OPTIMIZERS, kind="optimizer")

    @field_validator("lr", "epsilon")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:
            raise ValueError("must be > 0")
        return value

    @field_validator("momentum", "beta_1", "beta_2")
    @classmethod
    def _in_unit_interval(cls, value: float | None) -> float | None:
        return value if value is None else _unit_interval(value)

    @field_validator("rho")
    @classmethod
    def _rho_range(cls, value: float) -> float:
        return _unit_interval(value, closed_low=False)

    @field_validator("weight_decay")
    @classmethod
    def _non_negative(cls, value: float | None) -> float | None:
        if value is not None and not value >= 0:
            raise ValueError("must be >= 0")
        return value

    @field_validator("base_batch_size")
    @classmethod
    def _batch_positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be an integer >= 1")
        return value

    @model_validator(mode="after")
    def _options_fit_the_optimizer(self) -> OptimizerConfig:
        name = self.name
        if self.momentum is not None and name not in (*_SGD_FAMILY, "rmsprop"):
            raise ValueError(
                f"momentum={self.momentum} does not apply to optimizer {name!r}; allowed for "
                "sgd, momentum, nesterov, rmsprop"
                + (" (use beta_1)" if name in _ADAM_FAMILY else "")
            )
        if self.nesterov is not None and name not in _SGD_FAMILY:
            raise ValueError(
                f"nesterov={self.nesterov} does not apply to optimizer {name!r}; "
                "allowed for sgd, momentum, nesterov"
            )
        if name == "nesterov" and self.nesterov is False:
            raise ValueError("nesterov=False contradicts name 'nesterov'; use name 'momentum'")
        if self.nesterov and self.resolved_momentum() == 0:
            raise ValueError(
                "nesterov=True needs momentum > 0; set momentum (e.g. 0.9) or use name 'nesterov'"
            )
        if self.amsgrad and name not in _ADAM_FAMILY:
            raise ValueError(f"amsgrad=True applies to adam and adamw, not {name!r}")
        if self.centered and name != "rmsprop":
            raise ValueError(f"centered=True applies to rmsprop, not {name!r}")
        if self.lr_scaling == "linear" and self.base_batch_size is None:
            raise ValueError(
                "lr_scaling='linear' needs base_batch_size (the batch size lr was tuned for)"
            )
        return self

    def resolved_momentum(self) -> float:
        """The momentum the optimizer gets: ``momentum`` or the name's default."""
        if self.momentum is not None:
            return self.momentum
        return 0.9 if self.name in ("momentum", "nesterov") else 0.0

    def resolved_weight_decay(self) -> float:
        """``weight_decay`` or the name's default (0.01 for adamw, else 0)."""
        if self.weight_decay is not None:
            return self.weight_decay
        return 0.01 if self.name == "adamw" else 0.0
