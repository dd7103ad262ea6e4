"""Reading a per-sample input shape (batch dimension excluded) the way the models need it."""

from __future__ import annotations

from collections.abc import Sequence

from trainwise.errors import ArgumentTypeError, ModelError


def normalize_shape(input_shape: Sequence[int], what: str = "input_shape") -> tuple[int, ...]:
    """``input_shape`` as a tuple of positive ints (a list or ``torch.Size`` is fine).

    Raises :class:`ArgumentTypeError` for a non-sequence or non-int entries and
    :class:`ModelError` for an empty shape or entries < 1.

    >>> normalize_shape([1, 40])
    (1, 40)
    """
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise ArgumentTypeError(
            f"{what}: {input_shape!r} is not a shape; give a tuple of ints without the batch "
            "dimension, e.g. (1, 40)"
        )
    shape = []
    for size in input_shape:
        if isinstance(size, bool) or not hasattr(size, "__index__"):
            raise ArgumentTypeError(f"{what}: {tuple(input_shape)!r} must contain only ints")
        shape.append(int(size))
    if not shape or min(shape) < 1:
        raise ModelError(
            f"{what}: {tuple(shape)!r} is not allowed; it needs at least one dimension and every "
            "size must be >= 1 (the batch dimension is not part of it)"
        )
    return tuple(shape)


def conv_input(input_shape: Sequence[int], model_name: str = "cnn") -> tuple[int, tuple[int, ...]]:
    """Split a conv net's input shape into ``(channels, spatial)``: (C, L) is 1-D, (C, H, W)
    is 2-D. A flat (F,) input or one with more than 3 axes raises :class:`ModelError` that
    says what to do.

    >>> conv_input((1, 40))
    (1, (40,))
    """
    shape = normalize_shape(input_shape)
    if len(shape) == 1:
        raise ModelError(
            f"model.name: {model_name!r} needs inputs of shape (C, L) for 1-D or (C, H, W) for "
            f"2-D convolutions, but each sample has shape {shape}; add a channel axis "
            f"(reshape the data to (1, {shape[0]})) or set model.name=mlp"
        )
    if len(shape) > 3:
        raise ModelError(
            f"model.name: {model_name!r} supports 1-D (C, L) and 2-D (C, H, W) inputs, but each "
            f"sample has shape {shape} ({len(shape) - 1} spatial axes); reshape the data or set "
            "model.name=mlp, which flattens any input"
        )
    return shape[0], shape[1:]
