"""What the curve rules know about a run besides its curves: length, task, classes, sizes,
regularization; and the reference levels derived from them (chance loss, loss floor)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.errors import ConfigError
from trainwise.vocabulary import check_task, name_key

#: keys the ``regularization`` dict may hold; every one is optional
REGULARIZATION_KEYS = ("weight_decay", "l1", "l2", "dropout", "label_smoothing", "optimizer")


def check_regularization(regularization: dict[str, Any] | None) -> dict[str, Any]:
    """Validate the ``regularization`` dict; None values are dropped.

    Numbers must be finite and >= 0 (``dropout`` and ``label_smoothing`` below 1);
    ``optimizer`` is the optimizer's name (it tells coupled from decoupled weight decay).

    Example::

        >>> check_regularization({"weight_decay": 0.05, "dropout": None, "optimizer": "AdamW"})
        {'weight_decay': 0.05, 'optimizer': 'adamw'}
    """
    if regularization is None:
        return {}
    if not isinstance(regularization, dict):
        raise ConfigError(
            f"regularization: expected a dict with keys {', '.join(REGULARIZATION_KEYS)}; got "
            f"{type(regularization).__name__}"
        )
    out: dict[str, Any] = {}
    for key, value in regularization.items():
        if key not in REGULARIZATION_KEYS:
            raise ConfigError(
                f"regularization.{key}: {key!r} is not a known key; allowed: "
                f"{', '.join(REGULARIZATION_KEYS)}"
            )
        if value is None:
            continue
        if key == "optimizer":
            if not isinstance(value, str):
                raise ConfigError(
                    f"regularization.optimizer: {value!r} is not allowed; allowed: an optimizer "
                    "name such as 'adam' or 'adamw'"
                )
            out[key] = name_key(value)  # "AdamW", "Adam-W", "adamw" are one optimizer
            continue
        below_one = key in ("dropout", "label_smoothing")
        ok = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
            and (value < 1 or not below_one)
        )
        if not ok:
            allowed = "a number in [0, 1)" if below_one else "a finite number >= 0"
            raise ConfigError(f"regularization.{key}: {value!r} is not allowed; allowed: {allowed}")
        out[key] = float(value)
    return out


def smoothed_entropy(num_classes: int, smoothing: float) -> float:
    """The lowest cross-entropy reachable with label smoothing ``smoothing`` over
    ``num_classes`` classes: the entropy of the smoothed target (torch's rule, true class
    ``1 - s + s/C``, others ``s/C``; for C = 2 the same as Keras' binary rule).

    Example::

        >>> round(smoothed_entropy(10, 0.1), 4), smoothed_entropy(10, 0.0)
        (0.5003, 0.0)
    """
    if smoothing <= 0 or num_classes < 2:
        return 0.0
    p_true = 1.0 - smoothing + smoothing / num_classes
    p_other = smoothing / num_classes
    return -(p_true * math.log(p_true) + (num_classes - 1) * p_other * math.log(p_other))


@dataclass(frozen=True)
class RunFacts:
    """Facts about a run (all optional), see :class:`~trainwise.doctor.curves.CurveRules`."""

    total_epochs: int | None = None
    task: str | None = None
    num_classes: int | None = None
    n_val: int | None = None
    chance_loss: float | None = None
    regularization: dict[str, Any] = field(default_factory=dict)
    #: out-of-fold accuracy of a quick reference model on the training data, and its row
    #: count (see ``reference_accuracy``); None until known
    reference_accuracy: float | None = None
    reference_n: int | None = None
    #: which quick model reached it, in words (for messages)
    reference_model: str | None = None

    def __post_init__(self) -> None:
        for name in ("total_epochs", "n_val"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ConfigError(f"{name}: {v!r} is not allowed; allowed: an integer >= 1 or None")
        if self.num_classes is not None and (
            isinstance(self.num_classes, bool)
            or not isinstance(self.num_classes, int)
            or self.num_classes < 2
        ):
            raise ConfigError(
                f"num_classes: {self.num_classes!r} is not allowed; allowed: an integer >= 2 or None"
            )
        check_task(self.task, allow_none=True)
        c = self.chance_loss
        if c is not None and not (isinstance(c, (int, float)) and math.isfinite(c) and c > 0):
            raise ConfigError(f"chance_loss: {c!r} is not allowed; allowed: a number > 0 or None")

    def persistence(self) -> int:
        """Epochs a curve symptom must last before a rule reports it: 8% of the planned run,
        at least 3 and at most 8 (3 when the length is unknown). Long enough that a noisy
        validation set's wiggles do not count, short enough to report within ~10% of a run."""
        if self.total_epochs is None:
            return 3
        return min(8, max(3, math.ceil(0.08 * self.total_epochs)))

    def task_of(self, h: CurveHistory) -> str | None:
        """The task: as given, else classification when accuracy is logged, regression when
        mse/mae are, else None (unknown)."""
        if self.task is not None:
            return self.task
        if h.has("accuracy") or h.has("val_accuracy"):
            return "binary" if self.num_classes == 2 else "classification"
        if any(h.has(k) for k in ("mse", "mae", "val_mse", "val_mae")):
            return "regression"
        return None

    def classes_of(self, h: CurveHistory) -> int | None:
        """Class count: as given, else from a ``num_classes`` entry in the logs, else 2 for a
        binary task, else None."""
        if self.num_classes is not None:
            return self.num_classes
        logged = h.last_value("num_classes")
        if logged is not None and logged >= 2:
            return int(logged)
        return 2 if self.task == "binary" else None

    def loss_floor(self, h: CurveHistory) -> float:
        """The lowest loss the run can reach: the smoothed-label entropy with label smoothing,
        else 0."""
        c = self.classes_of(h)
        s = self.regularization.get("label_smoothing", 0.0)
        return smoothed_entropy(c, s) if c else 0.0

    def reference_loss(self, h: CurveHistory) -> tuple[float | None, str]:
        """The loss of a model that learned nothing, and how it was found: ``chance_loss`` if
        given; ln C for C known classes; else the first epoch's loss (train or validation,
        whichever is higher), which is below chance because it already averages some
        learning, so it makes the rules more cautious, not less."""
        if self.chance_loss is not None:
            return float(self.chance_loss), "given"
        task = self.task_of(h)
        c = self.classes_of(h)
        if task != "regression" and c is not None:
            return math.log(c), f"ln {c}"
        firsts = [v for v in (h.first("loss"), h.first("val_loss")) if v is not None]
        return (max(firsts), "first epoch") if firsts else (None, "unknown")
