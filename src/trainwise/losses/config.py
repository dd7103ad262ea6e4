"""The ``loss:`` config section."""

from __future__ import annotations

from pydantic import field_validator, model_validator

from trainwise.config.section import Section
from trainwise.losses.names import LOSSES, canonical_loss_name


class LossConfig(Section):
    """Which loss to train with, and its options.

    Fields (defaults in brackets):

    - ``name`` ["cross_entropy"]: mse, mae, huber, bce, bce_with_logits, cross_entropy
      (integer class targets, logits in), categorical_cross_entropy (one-hot or soft targets,
      logits in). Keras spellings are accepted and stored as the canonical name.
    - ``label_smoothing`` [0.0]: in [0, 1); classification and binary losses only. Binary targets
      become ``y * (1 - s) + 0.5 * s`` (Keras' rule).
    - ``delta`` [1.0]: Huber's threshold between the quadratic and the linear part; > 0.
    - ``flooding`` [None]: flood level b >= 0; the loss becomes ``|L - b| + b`` (None or 0: off).
    - ``from_logits`` [None]: None keeps the name's convention (bce and Keras'
      ``binary_crossentropy`` take probabilities, like Keras' ``from_logits=False``;
      bce_with_logits and the categorical losses take logits, torch's convention). True turns
      bce into bce_with_logits; False makes the categorical losses take probabilities (softmax
      outputs). Only for cross-entropy losses.

    Example::

        >>> LossConfig(name="binary_crossentropy", from_logits=True, label_smoothing=0.1).name
        'bce'
    """

    name: str = "cross_entropy"
    label_smoothing: float = 0.0
    delta: float = 1.0
    flooding: float | None = None
    from_logits: bool | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _known_name(cls, value: object) -> object:
        # ConfigError is a ValueError, so pydantic reports it under the field's location.
        return canonical_loss_name(value, field=None)

    @field_validator("label_smoothing")
    @classmethod
    def _smoothing_range(cls, value: float) -> float:
        if not 0.0 <= value < 1.0:
            raise ValueError("must be in [0, 1)")
        return value

    @field_validator("delta")
    @classmethod
    def _delta_positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError("must be > 0")
        return value

    @field_validator("flooding")
    @classmethod
    def _flooding_non_negative(cls, value: float | None) -> float | None:
        if value is not None and not value >= 0:
            raise ValueError("must be >= 0 (or null for no flooding)")
        return value

    @model_validator(mode="after")
    def _options_fit_the_loss(self) -> LossConfig:
        task = LOSSES[self.name][0]
        if task == "regression":
            if self.label_smoothing:
                raise ValueError(
                    f"label_smoothing={self.label_smoothing} only applies to classification and "
                    f"binary losses; {self.name!r} is a regression loss"
                )
            if self.from_logits is not None:
                raise ValueError(
                    f"from_logits={self.from_logits} only applies to cross-entropy losses; "
                    f"{self.name!r} is a regression loss"
                )
        if self.name == "bce_with_logits" and self.from_logits is False:
            raise ValueError(
                "from_logits=False contradicts name 'bce_with_logits'; use name 'bce' for "
                "probabilities"
            )
        return self
