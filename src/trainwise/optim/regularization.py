"""L1, L2 and L1L2 weight penalties (Keras' kernel regularizers), global or per layer."""

from __future__ import annotations

import torch
from pydantic import field_validator
from torch import Tensor, nn

from trainwise.config.section import Section
from trainwise.errors import ConfigError
from trainwise.models.layers import CONV_TYPES

# Layers whose ``weight`` is a kernel (Keras' kernel_regularizer). Norm layers, embeddings,
# RNNs and attention are left out, as are all biases.
_KERNEL_LAYERS = (nn.Linear, nn.Bilinear, *CONV_TYPES)


def _non_negative(value: float | None) -> float | None:
    if value is not None and not value >= 0:
        raise ValueError("must be >= 0")
    return value


class LayerPenalty(Section):
    """Per-layer override: ``l1`` / ``l2`` (None keeps the global value)."""

    l1: float | None = None
    l2: float | None = None

    @field_validator("l1", "l2")
    @classmethod
    def _check_non_negative(cls, value: float | None) -> float | None:
        return _non_negative(value)


class RegularizationConfig(Section):
    """The ``regularization:`` config section: penalties added to the loss.

    Fields (defaults in brackets):

    - ``l1`` [0.0], ``l2`` [0.0]: >= 0, applied to every Linear/Conv weight. Both set = L1L2.
    - ``layers`` [{}]: overrides keyed by module-name prefix (``"features.0"``, ``"head"``), e.g.
      ``{"head": {"l2": 0.0}}``; the longest matching prefix wins. A key matching no penalised
      layer is an error (raised when :class:`WeightPenalty` is built, listing the names).

    Example::

        >>> RegularizationConfig(l2=1e-4, layers={"head": {"l2": 0.0}}).layers["head"].l2
        0.0
    """

    l1: float = 0.0
    l2: float = 0.0
    layers: dict[str, LayerPenalty] = {}

    @field_validator("l1", "l2")
    @classmethod
    def _check_non_negative(cls, value: float) -> float:
        return _non_negative(value)


class WeightPenalty:
    """``sum(l1 * |w|.sum() + l2 * (w ** 2).sum())`` over Linear/Conv weights, never biases.

    Keras' convention: ``l2 * sum(w^2)`` with no 1/2, so its gradient is ``2 * l2 * w`` (torch's
    coupled ``weight_decay = 2 * l2`` gives the same update). Parameters are grouped by
    coefficient once, at construction, so a call costs one reduction per weight tensor.
    ``active`` is False when every coefficient is 0; the trainer should then skip the call
    (it would return a zero tensor). Written by hand: torch has only coupled weight decay
    (no L1, no per-layer choice).

    Args:
        cfg: the regularization section (default: none).
        model: the model whose weights are penalised.

    Example::

        >>> model = nn.Linear(2, 1, bias=True)
        >>> _ = nn.init.constant_(model.weight, 2.0)
        >>> penalty = WeightPenalty(RegularizationConfig(l1=0.1, l2=0.01), model)
        >>> round(penalty().item(), 6)  # 0.1 * (2 + 2) + 0.01 * (4 + 4); the bias is not penalised
        0.48
    """

    def __init__(self, cfg: RegularizationConfig | None, model: nn.Module):
        cfg = cfg or RegularizationConfig()
        kernels = [
            (name, m.weight)
            for name, m in model.named_modules()
            if isinstance(m, _KERNEL_LAYERS) and isinstance(m.weight, nn.Parameter)
        ]
        layer_names = [name for name, _ in kernels]
        unknown = [k for k in cfg.layers if not any(_matches(k, n) for n in layer_names)]
        if unknown:
            shown = ", ".join(layer_names[:30]) + (" ..." if len(layer_names) > 30 else "")
            raise ConfigError(
                f"regularization.layers: {unknown[0]!r} matches no Linear/Conv layer of the "
                f"model; layer names: {shown or '(none)'}"
            )
        seen: set[int] = set()
        groups: dict[tuple[float, float], list[Tensor]] = {}
        #: (layer name, l1, l2) for each penalised weight, for reports and the doctor
        self.penalized: list[tuple[str, float, float]] = []
        for name, weight in kernels:
            if id(weight) in seen or not weight.requires_grad:  # tied or frozen weights
                continue
            seen.add(id(weight))
            l1, l2 = _coefficients(cfg, name)
            if l1 or l2:
                groups.setdefault((l1, l2), []).append(weight)
                self.penalized.append((name, l1, l2))
        self._groups = [(l1, l2, params) for (l1, l2), params in groups.items()]

    @property
    def active(self) -> bool:
        """True when some weight has a non-zero coefficient."""
        return bool(self._groups)

    def __call__(self) -> Tensor:
        """The penalty as a scalar tensor in the graph (add it to the loss before backward)."""
        if not self._groups:
            return torch.zeros(())
        total: Tensor | None = None
        for l1, l2, params in self._groups:
            if l1:
                term = l1 * torch.stack([p.abs().sum() for p in params]).sum()
                total = term if total is None else total + term
            if l2:
                term = l2 * torch.stack([p.square().sum() for p in params]).sum()
                total = term if total is None else total + term
        return total


def _matches(prefix: str, name: str) -> bool:
    """``"features"`` matches ``"features"`` and ``"features.0"`` but not ``"features2"``."""
    return name == prefix or name.startswith(prefix + ".")


def _coefficients(cfg: RegularizationConfig, name: str) -> tuple[float, float]:
    l1, l2 = cfg.l1, cfg.l2
    matching = [k for k in cfg.layers if _matches(k, name)]
    if matching:
        override = cfg.layers[max(matching, key=len)]  # most specific prefix wins
        l1 = override.l1 if override.l1 is not None else l1
        l2 = override.l2 if override.l2 is not None else l2
    return l1, l2
