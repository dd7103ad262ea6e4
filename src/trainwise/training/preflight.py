"""Checks run before the first step, on the CPU, so bad data fails with a sentence rather than
an opaque error thousands of steps in (or a device-side assert on a GPU)."""

from __future__ import annotations

import torch
from torch import nn

from trainwise.errors import DataError
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


def check_targets_fit_output(model: nn.Module, batches, task: str, device, name: str) -> None:
    """The model accepts the inputs, and the targets fit its output (labels in 0..C-1)."""
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
    if task == "classification" and y.dim() == 1:
        if y.is_floating_point():
            if not torch.equal(y, y.round()):
                raise DataError(
                    f"{name} targets: classification needs integer class labels; got non-integer "
                    f"floats such as {y[~torch.eq(y, y.round())][0].item()}. Use a regression loss "
                    "(mse, mae, huber) for continuous targets"
                )
            y = y.long()
        n_out = out.shape[1] if out.dim() == 2 else 1
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
