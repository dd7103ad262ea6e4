"""What the loss tensor handed to ``Doctor.step`` says about the model's outputs: its autograd
graph, read once.

After ``loss.backward()`` the graph's saved tensors are freed, but its structure is kept: the
node types (``NllLossBackward0``, ``SoftmaxBackward0``, ...), their order, the non-tensor
arguments they saved (a softmax's ``dim``, the sizes an ``expand`` started from) and the shape
each node produced (``_input_metadata``). That is enough to see what the outputs went through
between the model's last layer and the loss, without the outputs or the loss function — the
documented plain loop hands over neither — and to see whether the loss reaches the model's
parameters at all. Reading it costs one walk over the graph's nodes at one step.

``F.cross_entropy`` shows as ``NllLoss`` fed by ``LogSoftmax``; an ``nn.NLLLoss`` after a
model's own ``LogSoftmax`` looks the same (both correct). Cross-entropy on probability
targets (float (N, C) targets: soft labels, mixup, or multi-hot rows by mistake) has no node
of its own: torch writes it as ``-(log_softmax(x) * t).sum() / N``, read here as the loss
:data:`SOFT_CROSS_ENTROPY` (as is the same sum written by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trainwise.doctor.preflight.model_outputs import SHAPE_OPS

#: loss nodes, by their autograd name without the ``Backward0`` suffix
LOSS_OPS = {
    "NllLoss": "log_probabilities",
    "NllLoss2D": "log_probabilities",
    "BinaryCrossEntropyWithLogits": "binary_logits",
    "BinaryCrossEntropy": "binary_probabilities",
    "MseLoss": "values",
    "L1Loss": "values",
    "SmoothL1Loss": "values",
    "HuberLoss": "values",
}
#: the name given to cross-entropy on probability targets, which has no node of its own
SOFT_CROSS_ENTROPY = "SoftCrossEntropy"
#: reductions and scalings above the loss node (``reduction="none"`` then ``.mean()``, ``/ k``)
_ABOVE_LOSS = {"Mean", "Sum", "Div", "Mul", "MulScalar", "DivScalar", "Clone"}
#: a graph this large is not walked to the end (the parameter reach is then unknown)
MAX_NODES = 50_000


@dataclass
class LossGraph:
    """The facts :func:`read_loss_graph` found.

    ``leaf``: the loss is a tensor that requires grad but has no history (made from a number);
    ``loss_op``: the loss node ("NllLoss", "MseLoss", ... or None when none of
    :data:`LOSS_OPS` sits at the top); ``head``: the operations between the model's output and
    the loss, nearest the loss first, each ``{"op", "shape", "dim", "from_shape"}``, ending with
    the first operation that is not a shape op or an output activation (e.g. "Addmm");
    ``params_reached``: how many of the given parameters the graph reaches (None when the walk
    stopped at :data:`MAX_NODES`).
    """

    leaf: bool = False
    loss_op: str | None = None
    head: list[dict[str, Any]] = field(default_factory=list)
    params_reached: int | None = None

    def ops(self) -> list[str]:
        return [h["op"] for h in self.head]

    def first(self, *ops: str) -> dict[str, Any] | None:
        """The node of the head nearest the loss whose op is one of ``ops``."""
        return next((h for h in self.head if h["op"] in ops), None)


#: what may sit between the model's last layer and the loss (read through to the layer)
HEAD_OPS = {"Softmax", "LogSoftmax", "Sigmoid", "Tanh", "Hardsigmoid", "Hardtanh", "Expand"}


def op_name(fn: Any) -> str:
    name = type(fn).__name__
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _shape(fn: Any) -> list[int] | None:
    try:
        return [int(s) for s in fn._input_metadata[0].shape]
    except Exception:  # older torch, or a node without metadata
        return None


def _node(fn: Any) -> dict[str, Any]:
    h: dict[str, Any] = {"op": op_name(fn), "shape": _shape(fn)}
    for attr, key in (("_saved_dim", "dim"), ("_saved_self_sym_sizes", "from_shape")):
        try:
            v = getattr(fn, attr)
        except Exception:  # not saved by this node
            continue
        h[key] = int(v) if key == "dim" else [int(s) for s in v]
    # the bounds of a Hardtanh (ReLU6 is Hardtanh(0, 6)) or a clamp: the output's range
    for attrs in (("_saved_min_val", "_saved_max_val"), ("_saved_min", "_saved_max")):
        try:
            lo, hi = (getattr(fn, a) for a in attrs)
        except Exception:  # not saved by this node
            continue
        h["min"] = None if lo is None else float(lo)
        h["max"] = None if hi is None else float(hi)
    return h


def _children(fn: Any) -> list[Any]:
    return [f for f, _ in getattr(fn, "next_functions", ()) if f is not None]


def read_loss_graph(loss: Any, param_ids: set[int]) -> LossGraph | None:
    """The facts of ``loss``'s autograd graph, or None when it has none to read (a float, or
    a tensor that does not require grad: detached, or made under ``torch.no_grad``).

    Example::

        >>> import torch
        >>> lin = torch.nn.Linear(3, 4)
        >>> loss = torch.nn.functional.cross_entropy(torch.softmax(lin(torch.randn(2, 3)), 1),
        ...                                          torch.tensor([0, 1]))
        >>> g = read_loss_graph(loss, {id(p) for p in lin.parameters()})
        >>> g.loss_op, g.ops(), g.params_reached
        ('NllLoss', ['LogSoftmax', 'Softmax', 'Addmm'], 2)
    """
    import torch

    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        return None
    root = loss.grad_fn
    if root is None:
        return LossGraph(leaf=True, params_reached=0)
    graph = LossGraph(params_reached=_reach(root, param_ids))
    fn = root
    for _ in range(6):  # the loss node sits under a few reductions at most
        if op_name(fn) in LOSS_OPS:
            graph.loss_op = op_name(fn)
            break
        composite = _composite(fn)
        if composite is not None:
            graph.loss_op, fn = composite
            break
        kids = _children(fn)
        if op_name(fn) not in _ABOVE_LOSS or not kids:
            return graph
        fn = kids[0]
    else:
        return graph
    if op_name(fn) == "Sub":  # a hand-written loss: (out - y) broadcast shows in Sub's shape
        kids = _children(fn)
        shape, inner = _shape(fn), (_shape(kids[0]) if kids else None)
        if shape and inner and _numel(shape) > _numel(inner):
            graph.head.append({"op": "Expand", "shape": shape, "from_shape": inner})
    kids = _children(fn)
    fn = kids[0] if kids else None
    for _ in range(16):  # the head: shape ops and output activations, then the last layer
        if fn is None:
            break
        node = _node(fn)
        graph.head.append(node)
        if node["op"] not in SHAPE_OPS and node["op"] not in HEAD_OPS:
            break
        kids = _children(fn)
        fn = kids[0] if kids else None
    return graph


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _composite(fn: Any) -> tuple[str, Any] | None:
    """A loss written by hand, ``(out - y).abs()`` or ``(out - y) ** 2`` (also what
    ``F.l1_loss`` records): ("L1Loss" | "MseLoss", the ``Sub`` node); cross-entropy on
    probability targets: (:data:`SOFT_CROSS_ENTROPY`, the ``Mul`` node above the
    ``LogSoftmax``); else None."""
    soft = _soft_cross_entropy(fn)
    if soft is not None:
        return SOFT_CROSS_ENTROPY, soft
    name = op_name(fn)
    if name not in ("Abs", "Pow"):
        return None
    if name == "Pow" and getattr(fn, "_saved_exponent", None) != 2:
        return None
    kids = _children(fn)
    if not kids or op_name(kids[0]) != "Sub":
        return None
    return ("L1Loss" if name == "Abs" else "MseLoss"), kids[0]


def _soft_cross_entropy(fn: Any) -> Any | None:
    """The ``Mul`` node of ``[-](log_softmax(x) * t [* w]).sum(...)``, or None.

    What ``F.cross_entropy`` records for float targets (class weights add a second ``Mul``),
    and the same loss written by hand (``(-t * log_softmax(x, 1)).sum(1)``)."""
    if op_name(fn) == "Neg":
        kids = _children(fn)
        fn = kids[0] if kids else None
    if fn is None or op_name(fn) != "Sum":
        return None
    kids = _children(fn)
    for _ in range(3):  # the targets, then the class weights, multiply the log-probabilities
        if not kids or op_name(kids[0]) != "Mul":
            return None
        mul = kids[0]
        kids = _children(mul)
        if len(kids) == 1 and op_name(kids[0]) == "LogSoftmax":
            return mul
    return None


def _reach(root: Any, param_ids: set[int]) -> int | None:
    """How many of ``param_ids`` the graph under ``root`` accumulates into (None: too big)."""
    seen: set[int] = set()
    reached: set[int] = set()
    stack = [root]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if len(seen) > MAX_NODES:
            return None
        var = getattr(fn, "variable", None)
        if var is not None and id(var) in param_ids:
            reached.add(id(var))
        stack.extend(_children(fn))
    return len(reached)
