"""The ``compare:`` section of a config: named variants for ``trainwise compare``.

Example (YAML)::

    compare:
      variants:                      # ordered; each maps dotted keys (as in --set) to values
        baseline: {}
        +batchnorm: {model.norm: batch}
        +dropout 0.2: {model.dropout: 0.2}
        +label smoothing: {loss.label_smoothing: 0.1}
      baseline: baseline             # default: the first variant
      seeds: 3                       # trials per variant (seed = config seed + 0..N-1)
      folds: null                    # K: k-fold trials instead of seeds
      metrics: [test_accuracy, val_accuracy, val_loss]   # default: by task

A plain ``trainwise run`` ignores this section. Whether each key and value is valid for the
config is checked by ``trainwise compare`` before any trial starts (it needs the base config).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from trainwise.config.section import Section


class CompareConfig(Section):
    """Variants, seeds or folds, and metrics of ``trainwise compare`` (CLI flags override)."""

    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="ordered {name: {dotted.key: value}}; {} or null is the config unchanged",
    )
    baseline: str | None = Field(None, description="variant the others are compared with")
    seeds: int = Field(3, ge=1, description="trials per variant, seeds config seed + 0..N-1")
    folds: int | None = Field(None, ge=2, description="k-fold trials instead of seeds")
    metrics: list[str] | None = Field(
        None,
        description="columns of the table (default: test_accuracy, val_accuracy, val_loss for "
        "classification; test_loss, val_loss, test_mae for regression)",
    )

    @field_validator("variants", mode="before")
    @classmethod
    def _null_is_unchanged(cls, v):
        # `baseline:` with nothing after it reads as None in YAML: the config unchanged
        if isinstance(v, dict):
            return {str(k): ({} if x is None else x) for k, x in v.items()}
        return v

    @model_validator(mode="after")
    def _baseline_is_a_variant(self):
        if self.baseline is not None and self.variants and self.baseline not in self.variants:
            raise ValueError(
                f"compare: baseline {self.baseline!r} is not a variant; allowed: "
                + ", ".join(map(repr, self.variants))
            )
        return self
