"""Every preflight check in one call, before the first training step."""

from __future__ import annotations

from typing import Any

from torch import nn

from trainwise.doctor.finding import Finding, rank
from trainwise.doctor.preflight.arrays import as_array
from trainwise.doctor.preflight.class_imbalance import check_class_imbalance
from trainwise.doctor.preflight.distribution_shift import check_distribution_shift
from trainwise.doctor.preflight.label_noise import check_label_noise
from trainwise.doctor.preflight.label_out_of_range import check_label_range
from trainwise.doctor.preflight.labels_collapsed import check_labels_collapsed
from trainwise.doctor.preflight.loss_output_mismatch import check_outputs
from trainwise.doctor.preflight.model_outputs import model_outputs
from trainwise.doctor.preflight.nan_in_data import check_nan_in_data
from trainwise.doctor.preflight.output_cannot_express_labels import check_output_width
from trainwise.doctor.preflight.split_leakage import check_split_leakage
from trainwise.doctor.preflight.token_ids import are_token_ids
from trainwise.doctor.preflight.unnormalized_inputs import check_unnormalized_inputs
from trainwise.doctor.preflight.unshuffled_data import check_unshuffled
from trainwise.doctor.preflight.validation_class_shift import check_validation_class_shift
from trainwise.errors import DataError
from trainwise.vocabulary import check_task


def _pair(x: Any, y: Any, split: str) -> tuple[Any, Any]:
    if x is None and y is None:
        return None, None
    xa = None if x is None else as_array(x, f"x_{split}")
    ya = None if y is None else as_array(y, f"y_{split}")
    if xa is not None and ya is not None and len(xa) != len(ya):
        raise DataError(
            f"y_{split}: {len(ya)} targets for {len(xa)} samples of x_{split}; allowed: one "
            "target per sample"
        )
    return xa, ya


def _model_checks(model, loss_fn, x, y, task: str, num_classes: int | None, seed: int):
    """The model's output on one training batch: the loss/output pairing findings, whether
    the output can express the classes at all, and the class count its width implies (with
    the words that say so): a classifier with W >= 2 outputs accepts labels 0..W-1, whatever
    the training split happens to hold (a validation set may hold classes training lacks)."""
    found: list[Finding] = []
    classes, source = num_classes, None
    if model is None:
        return found, classes, source
    got = model_outputs(model, x, seed=seed)
    if got is not None:
        out, idx, op = got
        if loss_fn is not None:
            targets = None if y is None else y[idx]
            found += check_outputs(out, loss_fn, task, targets, last_op=op)
        width = int(out.shape[1]) if out.dim() == 2 else 1
        too_narrow = check_output_width(y, width, last_op=op, task=task)
        found += too_narrow
        # a head too narrow is named once, above; its labels are not "out of range" as well
        if task == "classification" and width >= 2 and not too_narrow and classes != width:
            classes, source = width, f"the model has {width} outputs"
        elif too_narrow:
            classes = None
    return found, classes, source


def run_preflight(
    x: Any,
    y: Any,
    *,
    x_val: Any = None,
    y_val: Any = None,
    x_test: Any = None,
    y_test: Any = None,
    task: str = "classification",
    num_classes: int | None = None,
    model: nn.Module | None = None,
    loss_fn: Any = None,
    shuffle: bool | None = None,
    class_weighted: bool = False,
    seed: int = 0,
) -> list[Finding]:
    """Check the data (and the model's output on one batch) before training; ranked findings.

    Checks: ``nan_in_data`` (every split), ``loss_output_mismatch`` (with ``model`` and
    ``loss_fn``), ``label_out_of_range`` (every split; C from ``num_classes`` or the model's
    output width), ``unnormalized_inputs``, ``unshuffled_data`` (training order),
    ``labels_collapsed``, ``output_cannot_express_labels`` (with ``model``),
    ``class_imbalance`` and ``label_noise`` (classification and binary, skipped when labels
    are out of range or collapsed), ``split_leakage``, ``validation_class_shift`` and
    ``distribution_shift`` (train against validation and test; the feature shift is not
    tested for a split whose class make-up already differs). Takes well under 2 s on
    MNIST-1D; large data is sub-sampled.

    Args (defaults in brackets):
        x, y: training inputs and targets, numpy arrays or torch tensors, any sample shape.
        x_val, y_val, x_test, y_test [None]: held-out splits, if any.
        task ["classification"]: "classification", "binary" (0/1 targets) or "regression".
        num_classes [None]: C; None takes the model's output width when a model is given.
        model, loss_fn [None]: one batch of 64 training samples goes through the model
            (no_grad, eval mode, RNG state restored) to check the loss/output pairing.
        shuffle [None]: True when the loop reshuffles every epoch (a sorted order is then
            harmless and not reported); None (unknown) reports a sorted order.
        class_weighted [False]: the loss is already class-weighted or the sampler balanced;
            an imbalance is then reported as info only.
        seed [0]: seeds the sub-samples and the quick model (local generators only).

    Raises :class:`~trainwise.errors.ConfigError` for an unknown task and
    :class:`~trainwise.errors.DataError` when a split's inputs and targets differ in length.

    Example::

        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(200, 3)) * 1000
        >>> y = np.repeat([0, 1], 100)
        >>> [f.code for f in run_preflight(x, y)]
        ['unnormalized_inputs', 'unshuffled_data']
    """
    check_task(task)
    x, y = _pair(x, y, "train")
    if x is None:
        raise DataError("x: None; allowed: the training inputs, one row per sample")
    x_val, y_val = _pair(x_val, y_val, "val")
    x_test, y_test = _pair(x_test, y_test, "test")
    found: list[Finding] = check_nan_in_data(
        {
            "x_train": x,
            "y_train": y,
            "x_val": x_val,
            "y_val": y_val,
            "x_test": x_test,
            "y_test": y_test,
        }
    )

    mismatch, classes, source = _model_checks(model, loss_fn, x, y, task, num_classes, seed)
    found += mismatch
    for split, targets in (("train", y), ("val", y_val), ("test", y_test)):
        if targets is not None:
            found += check_label_range(
                targets, task=task, num_classes=classes, source=source, field=f"y_{split}"
            )

    # ids looked up in an embedding table are names, not quantities: not read as numbers
    ids = are_token_ids(x, model)
    if not ids:
        found += check_unnormalized_inputs(x, seed=seed)
    collapsed = check_labels_collapsed(y, task=task)
    found += collapsed
    found += check_unshuffled(y, task=task, shuffle=shuffle)
    # with mis-encoded labels (say 1..10 for 10 outputs) the class counts and a quick model's
    # disagreements describe the encoding mistake, which label_out_of_range already names;
    # collapsed labels have no classes to weigh or to disagree with
    blocked = ("label_out_of_range", "labels_collapsed", "output_cannot_express_labels")
    labels_ok = not any(f.code in blocked for f in found)
    if task != "regression" and y is not None and labels_ok:
        found += check_class_imbalance(y, num_classes=num_classes, class_weighted=class_weighted)
        if not ids:
            found += check_label_noise(x, y, seed=seed)
    labelled = task != "regression"
    for split, other, other_y in (("val", x_val, y_val), ("test", x_test, y_test)):
        if other is None:
            continue
        found += check_split_leakage(x, other, field=f"x_{split}", seed=seed)
        shifted = []
        if labelled and labels_ok:  # mis-encoded or collapsed labels: no classes to compare
            shifted = check_validation_class_shift(y, other_y, field=f"y_{split}", task=task)
        if any(f.code == "class_imbalance" for f in found):
            # an imbalanced training set explains differing shares (class_imbalance names it);
            # only classes training lacks altogether are still a shift of their own
            shifted = [f for f in shifted if f.evidence["missing_in_train"]]
        found += shifted
        if shifted:
            continue  # the class make-up differs: a feature shift is its consequence
        found += check_distribution_shift(
            x,
            other,
            y_train=y if labelled else None,
            y_other=other_y if labelled else None,
            field=f"x_{split}",
            seed=seed,
        )
    return rank(found)
