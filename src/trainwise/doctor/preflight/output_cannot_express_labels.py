"""``output_cannot_express_labels``: the model's output layer cannot represent the classes.

One sigmoid unit trained on labels 0, 1, 2, 3 (scikit-neuralnetwork #202), or a 10-way head
for 20 classes: whatever the weights, some classes can never be predicted, and the loss
plateaus where the reachable classes are fitted. Not an encoding mistake (that is
``label_out_of_range``: labels 1..10 for 10 outputs re-encode fine), a too-narrow head.

Rules, for classification targets (class labels, at least :data:`MIN_SAMPLES`), with the
output of one batch through the model (``preflight/model_outputs.py``) or the width of its
last layer:

- width >= 2 and more distinct classes seen than outputs: error.
- width 1 (one unit, shape (N,) or (N, 1)) and at least 3 distinct classes, when the unit is
  bounded (its last op is a sigmoid or tanh: it cannot even reach the larger labels)
  or the labels are integer tensors (class indices, not a numeric target): a single output
  separates two classes by a threshold; forcing 3+ classes onto one number orders them and
  leaves the outer ones out of reach of a bounded unit. Error. A float target with integer
  values into one unbounded output may be a deliberate regression (ratings 1..5), so that
  stays silent.

Cost: a ``np.unique`` of the labels; the forward pass is shared with the other output checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, class_labels

MIN_SAMPLES = 20
#: the range each bounding op leaves a single unit
#: (a softmax over one unit is constant: ``loss_output_mismatch`` names that)
BOUNDED = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0), "Hardtanh": (-1.0, 1.0)}


def check_output_width(
    y: Any,
    width: int,
    *,
    last_op: str | None = None,
    task: str = "classification",
    field: str = "y_train",
) -> list[Finding]:
    """An error finding when an output of ``width`` units (1 for an (N,) output) cannot
    express the classes in ``y``; see the module doc. ``last_op`` is the autograd op that
    produced the output ("Sigmoid", ...; see ``model_outputs.output_op``).

    Evidence: ``classes`` (distinct labels seen), ``labels`` (up to 10), ``width``,
    ``last_op``, ``output_range`` (for a bounded single unit).

    Example::

        >>> y = np.arange(120) % 4
        >>> [f.evidence["classes"] for f in check_output_width(y, 1, last_op="Sigmoid")]
        [4]
        >>> check_output_width(y, 4)
        []
    """
    if task == "regression" or y is None or width < 1:
        return []
    arr = as_array(y, field)
    if len(arr) < MIN_SAMPLES or (arr.ndim == 2 and arr.shape[1] > 1):
        return []  # one-hot / multi-label targets carry their own width (label_out_of_range)
    labels = class_labels(arr)
    if labels is None or labels.min() < 0:
        return []
    values = np.unique(labels)
    k = len(values)
    bounded = BOUNDED.get(last_op or "")
    integer = np.issubdtype(arr.dtype, np.integer)
    evidence: dict[str, Any] = {
        "classes": k,
        "labels": [int(v) for v in values[:10]],
        "width": int(width),
        "last_op": last_op,
    }
    if width >= 2:
        if k <= width:
            return []
        message = (
            f"The training labels hold {k} classes but the model has {width} outputs, so "
            f"{k - width} or more classes can never be predicted whatever the weights."
        )
        fix = Fix(f"give the last layer one output per class ({k} outputs)")
    else:
        if k < 3 or not (bounded or integer):
            return []
        if bounded:
            lo, hi = bounded
            evidence["output_range"] = [lo, hi]
            unit = f"one {last_op.lower()} unit (its output stays within [{lo:g}, {hi:g}])"
        else:
            unit = "one output unit"
        message = (
            f"The model ends in {unit} but the labels in {field} hold {k} classes "
            f"({', '.join(map(str, evidence['labels']))}): a single output can separate two "
            "classes by a threshold, not "
            + (
                f"{k}, and labels above {bounded[1]:g} are out of its reach."
                if bounded
                else f"{k}."
            )
        )
        fix = Fix(
            f"give the last layer {k} outputs (one per class), drop the final sigmoid/tanh, "
            "and train with cross-entropy on the class indices"
        )
    return [
        Finding(
            code="output_cannot_express_labels",
            severity="error",
            where="model output",
            evidence=evidence,
            message=message,
            fix=fix,
        )
    ]
