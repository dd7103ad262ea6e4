"""Compatibility name: the weight files moved to :mod:`trainwise.checkpoint.weights` (the
callbacks below the training loop save them too). ``docs/tricks.md`` shows this path.

Example::

    from trainwise.training.model_io import load_weights
"""

from __future__ import annotations

from trainwise.checkpoint.weights import load_weights, save_weights

__all__ = ["load_weights", "save_weights"]
