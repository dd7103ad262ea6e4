"""Checks run before the first step, on the CPU, so bad data fails with a sentence rather than
an opaque error thousands of steps in (or a device-side assert on a GPU)."""

from __future__ import annotations

import torch
from torch import nn

from trainwise.errors import ArgumentTypeError, DataError
from trainwise.models.shape_check import check_input_shape
from trainwise.training.batches import TensorBatches
from trainwise.training.inputs import first_batch


def check_finite(x: torch.Tensor, name: str) -> None:
    if x.is_floating_point() and not torch.isfinite(x).all():
        bad = (~torch.isfinite(x)).sum().item()
        raise DataError(
            f"{name}: {bad} of {x.numel()} values are NaN or Inf; allowed: finite numbers only. "
            "Impute or drop them (data.faults.nan_fraction injects them on purpose)"
        )


def check_targets_fit_output(model: nn.Module, batches, task: str, device, name: str) -> int:
    """The model accepts the inputs, and the targets fit its output (labels in 0..C-1); the
    training split of a classification has at least 2 classes. Returns the model's output width
    (classes, for classification)."""
    xb, yb = first_batch(batches)
    check_input_shape(model, tuple(xb.shape[1:]))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model.to(device)(xb.to(device))
    model.train(was_training)
    # whole-split checks when the data is in memory (cheap: one pass over a tensor)
    y = batches.y if isinstance(batches, TensorBatches) else yb
    if isinstance(batches, TensorBatches):
        check_finite(batches.x, f"{name} inputs (x)")
        check_finite(y, f"{name} targets (y)")
    n_out = out.shape[1] if out.dim() == 2 else 1
    if name == "train_data" and task in ("classification", "binary") and y.numel() > 1:
        # A classifier trained on one class learns a constant; with in-memory data the whole
        # split is checked (a Dataset only by its first batch, which proves nothing here).
        labels = y.argmax(1) if task == "classification" and y.dim() == 2 else y  # one-hot
        first = labels.flatten()[0]
        if isinstance(batches, TensorBatches) and bool((labels == first).all()):
            raise DataError(
                f"{name} targets (y): every label is {first.item()!r}, one class; "
                f"allowed: at least 2 classes for {task} (or a regression loss)"
            )
    if task == "classification" and y.dim() == 1:
        if y.is_floating_point():
            if not torch.equal(y, y.round()):
                raise DataError(
                    f"{name} targets: classification needs integer class labels; got non-integer "
                    f"floats such as {y[~torch.eq(y, y.round())][0].item()}. Use a regression loss "
                    "(mse, mae, huber) for continuous targets"
                )
            y = y.long()
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= n_out:
            raise DataError(
                f"{name} targets: class labels must be in 0..{n_out - 1} (the model has {n_out} "
                f"outputs); found labels from {lo} to {hi}. Remap the labels or give the model "
                f"{hi + 1} outputs"
            )
    elif task == "binary":
        if y.min() < 0 or y.max() > 1:
            raise DataError(
                f"{name} targets: binary cross-entropy needs targets in [0, 1]; found "
                f"{y.min().item()}..{y.max().item()}"
            )
    elif task == "regression" and out.shape[0] == yb.shape[0]:
        if out[0].numel() != yb[0].numel():
            raise DataError(
                f"{name} targets: each target has {yb[0].numel()} values but the model outputs "
                f"{out[0].numel()}; make the output size match the target width"
            )
    return n_out


def check_class_weight(class_weight, n_out: int) -> torch.Tensor:
    """``class_weight`` as a float tensor of one finite weight >= 0 per model output.

    Checked here, on the CPU, because a wrong length otherwise fails inside the first loss
    call with torch's message (or a device-side assert on a GPU).

    Example::

        >>> check_class_weight([1.0, 3.0], 2)
        tensor([1., 3.])
    """
    try:
        w = torch.as_tensor(class_weight, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        raise ArgumentTypeError(
            f"class_weight: {class_weight!r} is not allowed; allowed: a list or tensor of "
            f"{n_out} numbers, one per class"
        ) from None
    if w.dim() != 1 or w.numel() != n_out:
        raise DataError(
            f"class_weight: {w.numel()} weight(s) of shape {tuple(w.shape)} for a model with "
            f"{n_out} outputs; allowed: exactly {n_out} weights, one per class"
        )
    if not (torch.isfinite(w).all() and (w >= 0).all()):
        raise DataError(f"class_weight: {w.tolist()} is not allowed; allowed: finite weights >= 0")
    return w
