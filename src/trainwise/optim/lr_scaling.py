"""Linear learning-rate scaling with batch size (Goyal et al. 2017, "ImageNet in 1 hour")."""

from __future__ import annotations

from trainwise.errors import ConfigError


def scaled_lr(lr: float, batch_size: int, base_batch_size: int) -> float:
    """``lr * batch_size / base_batch_size``: keep the per-sample step size when the batch grows.

    The rule holds well up to a few thousand samples per batch and usually wants a warmup
    when the factor is large (Goyal et al. used 5 epochs).

    Example::

        >>> scaled_lr(0.1, batch_size=512, base_batch_size=256)
        0.2
    """
    for field, value in (
        ("batch_size", batch_size),
        ("optimizer.base_batch_size", base_batch_size),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{field}: {value!r} is not allowed; must be an integer >= 1")
    if not lr > 0:
        raise ConfigError(f"optimizer.lr: {lr!r} is not allowed; must be > 0")
    return lr * batch_size / base_batch_size
