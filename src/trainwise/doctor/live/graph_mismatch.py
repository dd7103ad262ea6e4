"""``loss_output_mismatch`` read from the loss's autograd graph (see
:mod:`~trainwise.doctor.live.loss_graph`): what the outputs went through before the loss.

Each case is structural (an operation is, or is not, between the last layer and the loss), so
one step decides it; only the target checks read numbers:

- a softmax (or log-softmax) into cross-entropy's own log-softmax, a softmax into ``NLLLoss``,
  a sigmoid or softmax into a with-logits binary loss: the loss squashes twice;
- ``NLLLoss`` fed a layer's raw scores (the op before it is a matrix product or convolution):
  it wants log-probabilities and can fall without bound;
- a softmax over a dimension of size 1: its output is the constant 1, every gradient is 0;
- a softmax head trained on multi-label 0/1 targets (rows with 2 or more positives in at least
  :data:`MIN_SHARE` of the batch): a softmax makes the classes compete for one unit of mass;
- cross-entropy on multi-hot targets (float (N, C) rows of 0s and 1s, at least
  :data:`MIN_SHARE` of them with 2 or more positives): torch reads float targets as a
  distribution over one class, so a row's labels compete for one unit of probability;
- a bounded output (sigmoid/softmax in [0, 1], tanh in [-1, 1], a Hardtanh's or clamp's own
  bounds) regressed by an MSE/L1/Huber loss onto targets of which at least :data:`MIN_SHARE`
  lie outside that range;
- a non-negative output (ReLU, softplus, exp, a clamp at 0) regressed onto targets of which at
  least :data:`MIN_SHARE` are negative and whose negative part is at least :data:`MIN_LOST` of
  their variance (standardized targets: about half below 0). Named ``loss_output_mismatch``
  like the bounded case above, not ``output_cannot_express_labels``: the latter is about
  classes (an output too narrow for the labels) and is read from the data alone, while this
  is a regression output whose activation does not suit the values the loss compares it with;
- outputs broadcast inside a regression loss (an ``expand`` right below it: (N, 1) outputs
  against (N,) targets become (N, N)).
"""

from __future__ import annotations

from typing import Any

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.loss_graph import SOFT_CROSS_ENTROPY, LossGraph
from trainwise.vocabulary import format_number as num

#: share of a batch that makes a target check fire (a few stray values are not the pattern)
MIN_SHARE = 0.05
#: share of the targets' variance a non-negative output must be unable to reach: a few
#: slightly negative targets (log counts near 0) cost little
MIN_LOST = 0.05
#: raw scores: a layer's own product, no normalisation after it
RAW_OPS = {"Addmm", "Mm", "Bmm", "Linear", "Convolution", "MkldnnConvolution", "CudnnConvolution"}
_RANGES = {"Sigmoid": (0.0, 1.0), "Softmax": (0.0, 1.0), "Hardsigmoid": (0.0, 1.0)}
_RANGES.update({"Tanh": (-1.0, 1.0), "Hardtanh": (-1.0, 1.0)})
#: activations whose values are never negative (no upper bound)
_NON_NEGATIVE = ("Relu", "Softplus", "Exp")
_REGRESSION = ("MseLoss", "L1Loss", "SmoothL1Loss", "HuberLoss")
#: operations that only reshape the outputs (read through when naming what came before)
_SHAPE_ONLY = ("View", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Clone")
_NAMES = {
    "NllLoss": "NLLLoss",
    "BinaryCrossEntropyWithLogits": "BCEWithLogitsLoss",
    "MseLoss": "MSELoss",
    "L1Loss": "L1Loss",
    "SmoothL1Loss": "SmoothL1Loss",
    "HuberLoss": "HuberLoss",
    "BinaryCrossEntropy": "BCELoss",
    SOFT_CROSS_ENTROPY: "CrossEntropyLoss (probability targets)",
}


def _finding(message: str, fix: Fix, evidence: dict) -> Finding:
    return Finding(
        "loss_output_mismatch", "error", message, fix, where="model output", evidence=evidence
    )


def graph_mismatches(graph: LossGraph, targets: Any = None) -> list[Finding]:
    """Error findings for what ``graph`` shows between the model's output and its loss.

    Example::

        >>> from trainwise.doctor.live.loss_graph import read_loss_graph
        >>> lin = torch.nn.Linear(3, 4)
        >>> loss = torch.nn.functional.nll_loss(lin(torch.randn(2, 3)), torch.tensor([0, 1]))
        >>> [f.evidence["case"] for f in graph_mismatches(read_loss_graph(loss, set()))]
        ['nll_raw_scores']
    """
    ops = graph.ops()
    if graph.loss_op is None or not ops:
        return []
    loss = _NAMES.get(graph.loss_op, graph.loss_op)
    base = {"loss": loss, "graph": ops}
    single = _single_unit_softmax(graph)
    if single is not None:
        return [single]
    found = _double_squash(graph, loss, base)
    t = targets if isinstance(targets, torch.Tensor) else None
    if t is not None and t.is_floating_point():
        found += _softmax_multilabel(graph, t, base)
        found += _cross_entropy_multilabel(graph, t, base)
        found += _bounded_regression(graph, t, loss, base)
        found += _non_negative_regression(graph, t, loss, base)
    found += _broadcast(graph, loss, base)
    return found[:1]  # one story per run: the first is the one nearest the loss


def _single_unit_softmax(graph: LossGraph) -> Finding | None:
    for h in graph.head:
        shape, dim = h.get("shape"), h.get("dim")
        if h["op"] in ("Softmax", "LogSoftmax") and shape and dim is not None:
            if -len(shape) <= dim < len(shape) and shape[dim] == 1:
                value = "1" if h["op"] == "Softmax" else "0"
                return _finding(
                    f"The model's {h['op'].lower()} runs over a dimension of size 1 (output "
                    f"shape {shape}, dim={dim}), so every output is the constant {value} and "
                    "every gradient is 0: nothing trains.",
                    Fix(
                        "for one output unit use a sigmoid (or no activation with "
                        "BCEWithLogitsLoss); for several classes give the layer one unit per "
                        "class and apply the softmax over that dimension"
                    ),
                    {"case": "single_unit_softmax", "shape": shape, "dim": dim},
                )
    return None


def _double_squash(graph: LossGraph, loss: str, base: dict) -> list[Finding]:
    # read through shape ops: ``nn.Flatten(0)`` after a sigmoid puts a View nearest the loss
    ops = [op for op in graph.ops() if op not in _SHAPE_ONLY] or graph.ops()
    evidence = {**base, "last_op": graph.ops()[-1]}
    if graph.loss_op.startswith("NllLoss") or graph.loss_op == SOFT_CROSS_ENTROPY:
        tail = "NLLLoss" if graph.loss_op.startswith("NllLoss") else "CrossEntropyLoss"
        if ops[0] == "LogSoftmax" and len(ops) > 1 and ops[1] == "Softmax":
            return [
                _finding(
                    "The outputs go through a softmax and then cross-entropy's own "
                    f"log-softmax (graph: Softmax -> LogSoftmax -> {tail}), so the loss sees "
                    "probabilities as logits: gradients shrink and training stalls.",
                    Fix(
                        "remove the softmax at the end of the model (cross-entropy takes raw "
                        "logits)",
                        {"loss.from_logits": True},
                    ),
                    {**evidence, "case": "softmax_into_cross_entropy"},
                )
            ]
        if ops[0] in ("Softmax", "Sigmoid"):
            return [
                _finding(
                    f"NLLLoss expects log-probabilities but the outputs come straight from a "
                    f"{ops[0].lower()} (probabilities), so the loss does not measure the "
                    "likelihood and barely trains.",
                    Fix(
                        "use LogSoftmax instead of Softmax at the end of the model, or drop it "
                        "and use cross-entropy on raw logits",
                        {"loss.name": "cross_entropy"},
                    ),
                    {**evidence, "case": "probabilities_into_nll"},
                )
            ]
        if ops[0] in RAW_OPS:
            return [
                _finding(
                    f"NLLLoss expects log-probabilities but it is fed a layer's raw scores "
                    f"(the operation before it is {ops[0]}), so the loss can fall without "
                    "bound (it only pushes the target's score up) and does not train a "
                    "classifier.",
                    Fix(
                        "add nn.LogSoftmax(dim=1) at the end of the model, or use "
                        "cross-entropy on the raw logits",
                        {"loss.name": "cross_entropy"},
                    ),
                    {**evidence, "case": "nll_raw_scores"},
                )
            ]
    if graph.loss_op == "BinaryCrossEntropyWithLogits" and ops[0] in ("Sigmoid", "Softmax"):
        return [
            _finding(
                f"The model's last operation is a {ops[0].lower()} but {loss} applies its own "
                "sigmoid, so predictions stay between 0.5 and 0.73 and training stalls.",
                Fix(
                    "remove the sigmoid at the end of the model, or use binary cross-entropy "
                    "on probabilities",
                    {"loss.name": "bce"},
                ),
                {**evidence, "case": "sigmoid_into_with_logits"},
            )
        ]
    return []


def _squash(graph: LossGraph) -> str | None:
    """The bounding activation nearest the loss, looking through shape ops only."""
    for h in graph.head:
        if h["op"] in _RANGES:
            return h["op"]
        if h["op"] not in _SHAPE_ONLY:
            return None
    return None


def _softmax_multilabel(graph: LossGraph, t: torch.Tensor, base: dict) -> list[Finding]:
    if _squash(graph) != "Softmax" or t.ndim != 2 or t.shape[1] < 2:
        return []
    with torch.no_grad():
        tf = t.detach().float()
        binary = bool(((tf == 0) | (tf == 1)).all())
        multi = float((tf.sum(1) >= 2).float().mean()) if binary else 0.0
    if multi < MIN_SHARE:
        return []
    return [
        _finding(
            f"The targets are multi-label ({multi:.0%} of the rows have 2 or more positive "
            f"classes out of {t.shape[1]}) but the outputs go through a softmax, which makes "
            "the classes compete: with k labels a row can reach at most 1/k on each.",
            Fix(
                "use one sigmoid per class (raw outputs with BCEWithLogitsLoss) instead of "
                "the softmax",
                {"loss.name": "bce_with_logits"},
            ),
            {**base, "case": "softmax_multilabel", "multi_label_rows": multi},
        )
    ]


def _output_range(graph: LossGraph) -> tuple[str, float, float | None] | None:
    """The activation nearest the loss (through shape ops) and the range its values stay in
    (upper end None: unbounded above), or None when it is not a range-limiting one."""
    for h in graph.head:
        op = h["op"]
        if op in _RANGES:
            lo, hi = _RANGES[op]
            if op == "Hardtanh" and h.get("min") is not None and h.get("max") is not None:
                lo, hi = h["min"], h["max"]  # ReLU6 is Hardtanh(0, 6)
            return op, lo, hi
        if op in _NON_NEGATIVE:
            return op, 0.0, None
        if op == "Clamp" and h.get("min") is not None and h["min"] >= 0:
            return op, h["min"], h.get("max")
        if op not in _SHAPE_ONLY:
            return None
    return None


def _cross_entropy_multilabel(graph: LossGraph, t: torch.Tensor, base: dict) -> list[Finding]:
    """Cross-entropy on float multi-hot targets: torch takes float (N, C) targets for class
    probabilities (soft labels, mixup: rows summing to 1), so 0/1 rows with several 1s are
    read as one class drawn from several, and the labels compete for the softmax's mass."""
    if graph.loss_op != SOFT_CROSS_ENTROPY or t.ndim != 2 or t.shape[1] < 2:
        return []
    with torch.no_grad():
        tf = t.detach().float()
        if not bool(((tf == 0) | (tf == 1)).all()):
            return []  # soft labels (label smoothing, mixup, distillation): what it is for
        sums = tf.sum(1)
        multi = float((sums >= 2).float().mean())
        mean_sum = float(sums.mean())
    if multi < MIN_SHARE:
        return []
    return [
        _finding(
            f"The targets are multi-label ({multi:.0%} of the first batch's rows have 2 or "
            f"more of {t.shape[1]} labels set, {mean_sum:.2g} on average) but CrossEntropyLoss "
            "applies a softmax and reads float targets as one class's probabilities: the "
            "labels of a row compete for one unit of probability (with k labels each can "
            "reach at most 1/k), so a per-label threshold at 0.5 misses most of them.",
            Fix(
                "use BCEWithLogitsLoss on the raw outputs (one sigmoid per label, each label "
                "its own yes/no) and threshold each label's sigmoid at 0.5",
                {"loss.name": "bce_with_logits"},
            ),
            {
                **base,
                "case": "cross_entropy_multilabel",
                "multi_label_rows": multi,
                "labels_per_row": mean_sum,
            },  # fmt: skip
        )
    ]


def _bounded_regression(graph: LossGraph, t: torch.Tensor, loss: str, base: dict) -> list:
    bounds = _output_range(graph)
    if graph.loss_op not in _REGRESSION or bounds is None or bounds[2] is None:
        return []
    op, lo, hi = bounds
    with torch.no_grad():
        tf = t.detach().float()
        tf = tf[torch.isfinite(tf)]
        if tf.numel() == 0:
            return []
        outside = float(((tf < lo - 1e-6) | (tf > hi + 1e-6)).float().mean())
        t_lo, t_hi = float(tf.min()), float(tf.max())
    if outside < MIN_SHARE:
        return []
    return [
        _finding(
            f"The model's output goes through a {op.lower()} (range {num(lo)} to {num(hi)}) "
            f"but {outside:.0%} of the {loss} targets lie outside it ({num(t_lo)} to "
            f"{num(t_hi)}), so the loss can never reach them and the outputs pin at the edge.",
            Fix(
                f"remove the final {op.lower()} for regression (or scale the targets into its "
                "range); for classes use one output per class with cross-entropy",
                {"loss.name": "cross_entropy"} if t_lo >= 0 and tf.eq(tf.round()).all() else {},
            ),
            {
                **base,
                "case": "bounded_output_regression",
                "range": [lo, hi],
                "targets": [t_lo, t_hi],
                "outside": outside,
            },  # fmt: skip
        )
    ]


def _broadcast(graph: LossGraph, loss: str, base: dict) -> list[Finding]:
    h = graph.head[0]
    if graph.loss_op not in _REGRESSION:
        return []
    before, after = h.get("from_shape"), h.get("shape")
    if h["op"] != "Expand" or not before or not after:
        return []
    n_before = n_after = 1
    for s in before:
        n_before *= s
    for s in after:
        n_after *= s
    if n_after <= n_before:
        return []
    return [
        _finding(
            f"The model's outputs of shape {before} are broadcast to {after} inside {loss} "
            "(the targets have another shape), so every prediction is compared with every "
            "target and the model can only learn their mean.",
            Fix(
                "give outputs and targets the same shape: out.squeeze(1) (or "
                "targets.unsqueeze(1)) before the loss"
            ),
            {**base, "case": "broadcast", "output_shape": before, "broadcast_shape": after},
        )
    ]


def _non_negative_regression(graph: LossGraph, t: torch.Tensor, loss: str, base: dict) -> list:
    """A ReLU/softplus/exp output regressed onto targets that are often negative: the output
    cannot go below 0, so the negative targets are predicted as 0 at best (and a ReLU pushed
    below 0 passes no gradient back)."""
    bounds = _output_range(graph)
    if graph.loss_op not in _REGRESSION or bounds is None or bounds[2] is not None:
        return []
    op, lo, _ = bounds
    with torch.no_grad():
        tf = t.detach().double().reshape(-1)
        tf = tf[torch.isfinite(tf)]
        if tf.numel() < 2:
            return []
        below = float((tf < lo - 1e-6).double().mean())
        gap = (lo - tf).clamp(min=0)
        var = float(tf.var(unbiased=False))
        # the best a perfect model behind this activation can do: every target below the
        # range predicted at its edge; that squared error as a share of the variance
        lost = float((gap**2).mean()) / var if var > 0 else 0.0
        t_lo, t_hi = float(tf.min()), float(tf.max())
    if below < MIN_SHARE or lost < MIN_LOST:
        return []
    name = {"Relu": "ReLU", "Softplus": "softplus", "Exp": "exp", "Clamp": "clamp"}[op]
    # a ReLU or clamp cut flat passes no gradient; softplus and exp only flatten towards it
    dead = f", and outputs pushed under {num(lo)} stop learning" if op in ("Relu", "Clamp") else ""
    return [
        _finding(
            f"The model's output goes through a {name} (its values are >= {num(lo)}) but "
            f"{below:.0%} of the {loss} targets of the first batch lie below that "
            f"({num(t_lo)} to {num(t_hi)}): those can be predicted as {num(lo)} at best, so "
            f"{lost:.0%} of that batch's target variance stays out of reach (R² at most "
            f"{num(1 - lost)} on it){dead}.",
            Fix(
                f"remove the final {name}: a regression output is the last linear layer's "
                "value, with no activation (standardized targets are about half negative); "
                "if the quantity truly cannot be negative, keep the activation and the "
                "targets unstandardized (or predict their log) instead"
            ),
            {
                **base,
                "case": "non_negative_output_regression",
                "range": [lo, None],
                "targets": [t_lo, t_hi],
                "outside": below,
                "variance_out_of_reach": lost,
            },  # fmt: skip
        )
    ]
