"""What the model predicts per class on probed training steps, and the class weights its loss
applies, read without the loss function (the documented plain loop hands over neither the
loss function nor the outputs).

After ``loss.backward()`` the loss node's saved tensors (``NllLossBackward0._saved_weight``,
``_saved_self``) are freed, and ``Doctor.step`` comes after the backward. So
:class:`ClassOutputs` reads the two ends of the loss instead, on probed steps only: a forward
hook on the root module keeps the step's last training output (a reference, no copy), and a
tensor hook on that output keeps the gradient the loss sends back into it. For a softmax
cross-entropy with class weights ``w`` and any reduction scale ``s``, that gradient is
``s * w[y_i] * (p_i - onehot(y_i))`` (``p_i`` the softmax of the output), so
``k_i = -g[i, y_i] / (1 - p[i, y_i])`` is ``s * w[y_i]``; divided by its batch mean it is
free of ``s`` (which a mean reduction ties to the batch), and averaged over the samples of
class ``c`` (weighted by ``1 - p``) it gives ``w[c]`` up to one scale, which is all a
comparison with the class counts needs. When the
gradient does not have that form (label smoothing, a focal loss, an MSE on the outputs) the
residual says so and no weights are inferred.

Cost: on a probed step, one hook call, an argmax, a softmax and a few ``index_add_`` on the
device (no ``bincount``: on CUDA it reads its input's maximum back to the host), and one
host read of ``3C + 2C + 2`` numbers when a rule asks (:meth:`ClassOutputs.tally`), at a
step whose probe reads the device anyway. Nothing on other steps. Hooks only read.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

#: the gradient's residual against the softmax cross-entropy form, relative to its size,
#: below which the loss is taken to be a (class-weighted) softmax cross-entropy
FIT_RESIDUAL = 1e-3
#: 1 - p[y] below this (a sure, right prediction) says nothing about the weight
MIN_MARGIN = 1e-4


def loss_weights(loss_fn: Any) -> list[float] | None:
    """The per-class ``weight`` of a cross-entropy or NLL loss (inside wrappers that keep
    their loss as ``.loss``, such as flooding), or None.

    >>> loss_weights(nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0])))
    [1.0, 3.0]
    >>> loss_weights(nn.CrossEntropyLoss()) is None
    True
    """
    inner = loss_fn
    for _ in range(4):
        if isinstance(inner, (nn.CrossEntropyLoss, nn.NLLLoss)):
            w = inner.weight
            return [float(v) for v in w.detach().cpu().reshape(-1)] if w is not None else None
        inner = getattr(inner, "loss", None)
        if not isinstance(inner, nn.Module):
            return None
    return None


class ClassOutputs:
    """The root module's output and its gradient on one armed step, and per-class tallies.

    ``arm(step)`` before the step's forward (:class:`~trainwise.doctor.live.loop_watch.LoopWatch`
    arms the next probed step), ``observe(step)`` after it (keeps what was caught),
    :meth:`tally` when a rule judges the step. :attr:`weight_sums` accumulates the inferred
    weights over every tallied step.

    Example::

        outs = ClassOutputs(model)
        outs.arm(5); loss_fn(model(xb), yb).backward(); outs.observe(5)
        outs.tally(5, yb)["seen"]          # samples per class in the batch
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self._handle: Any = None
        self._armed: int | None = None
        self._caught: dict[str, Any] = {}
        self._kept: tuple[int, dict[str, Any]] | None = None
        self._result: tuple[int, dict[str, Any] | None] | None = None
        #: per class: [sum of -g[i, y_i], sum of 1 - p[i, y_i], samples] over the tallied
        #: steps whose gradient fits the cross-entropy form
        self.weight_sums: dict[int, list[float]] = {}
        self.weight_steps = 0  # tallied steps that fit the form
        self.misfit_steps = 0  # tallied steps with a gradient that did not

    def arm(self, step: int) -> None:
        self.disarm()
        self._handle = self.model.register_forward_hook(self._hook)
        self._armed = step

    def disarm(self) -> None:
        if self._handle is not None:
            self._handle.remove()
        self._handle = None
        self._armed = None
        self._caught = {}

    def observe(self, step: int) -> None:
        """After the optimizer step of ``step``: keep what the armed forward caught."""
        caught, armed = self._caught, self._armed
        self.disarm()
        if self._kept is not None and self._kept[0] < step:
            self._kept = None  # judged at its own step already, or never asked for: freed
        if armed == step and "out" in caught:
            self._kept = (step, caught)

    def _hook(self, module, args, out) -> None:
        if not torch.is_grad_enabled() or not isinstance(out, torch.Tensor) or out.ndim > 2:
            return None  # validation, an output that is not one tensor, or per-position
            # scores (sequences, masks): not tallied, and too large to hold with their gradient
        caught = {"out": out.detach()}  # the last training forward before the step wins
        self._caught = caught
        if out.requires_grad:

            def keep_grad(grad):
                caught["grad"] = grad.detach()
                return None  # reads only

            out.register_hook(keep_grad)
        return None

    def tally(self, step: int, targets: Any, threshold: float | None = None) -> dict | None:
        """Per-class counts on ``step``'s batch (None when it was not caught, or the output
        and ``targets`` are not (N, C) scores and (N,) class indices, or (N,)/(N, 1) binary
        scores with 0/1 targets and a known ``threshold``). Computed once per step:
        ``{"classes", "seen", "correct", "predicted", "weights_fit"}``."""
        if self._result is not None and self._result[0] == step:
            return self._result[1]
        kept, result = self._kept, None
        if kept is None or kept[0] > step:
            return None  # nothing caught for this step (a later step's catch is kept)
        self._kept = None  # caught for this step, or an older one no rule asked for
        if kept[0] == step:
            result = self._count(kept[1], targets, threshold)
        self._result = (step, result)
        return result

    def inferred_weights(self, min_samples: int = 3) -> dict[int, float] | None:
        """Class -> weight (up to one scale) inferred from the gradients, for classes with at
        least ``min_samples`` samples behind them; None when no step fitted the form or some
        step did not."""
        if not self.weight_steps or self.misfit_steps:
            return None
        return {
            c: num / den
            for c, (num, den, n) in sorted(self.weight_sums.items())
            if n >= min_samples and den > 0
        }

    def _count(self, caught: dict, targets: Any, threshold: float | None) -> dict | None:
        out, grad = caught["out"], caught.get("grad")
        if not isinstance(targets, torch.Tensor) or out.ndim == 0:
            return None
        y = targets.detach().to(out.device)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != len(out):
            return None
        if out.ndim == 2 and out.shape[1] >= 2:
            if y.is_floating_point():
                return None  # multi-label rows or soft targets: not class indices
            z = out.float()
            wparts = _weight_parts(z, grad, y) if grad is not None else None
            return self._read(z.argmax(1), y, z.shape[1], wparts)
        if threshold is None or not (out.ndim == 1 or out.shape[1] == 1):
            return None
        pred = (out.reshape(-1).float() > threshold).long()
        return self._read(pred, y, 2, None)

    def _read(self, pred: torch.Tensor, y: torch.Tensor, c: int, wparts: Any) -> dict:
        # targets outside 0..C-1 (ignore_index -100, bad labels, soft 0.3) count nowhere,
        # masked on the device rather than checked on the host
        valid = ((y >= 0) & (y < c) & (y == y.round())).float()
        yc = y.long().clamp(0, c - 1)
        right = (pred == yc).float()

        def per_class(index, values):
            return torch.zeros(c, device=y.device).index_add_(0, index, values.float())

        parts = [
            per_class(yc, valid),
            per_class(yc, valid * right),
            per_class(pred.clamp(0, c - 1), valid),
        ]
        if wparts is not None:
            num, den, resid, total = wparts
            parts += [per_class(yc, num * valid), per_class(yc, den * valid), resid, total]
        flat = torch.cat([p.reshape(-1).float() for p in parts]).tolist()  # the one host read
        seen, correct, predicted = flat[:c], flat[c : 2 * c], flat[2 * c : 3 * c]
        fit = None
        if wparts is not None:
            fit = self._add_weights(flat[3 * c : 4 * c], flat[4 * c : 5 * c], seen, flat[5 * c :])
        return {
            "classes": c,
            "seen": seen,
            "correct": correct,
            "predicted": predicted,
            "weights_fit": fit,
        }

    def _add_weights(self, num: list, den: list, seen: list, resid_total: list) -> bool | None:
        resid, total = resid_total
        if total <= 0:
            return None  # every prediction sure and right: nothing to read
        if resid > FIT_RESIDUAL * total:
            self.misfit_steps += 1
            return False
        self.weight_steps += 1
        for k, n in enumerate(seen):
            if n > 0:
                s = self.weight_sums.setdefault(k, [0.0, 0.0, 0.0])
                s[0], s[1], s[2] = s[0] + num[k], s[1] + den[k], s[2] + n
        return True

    def close(self) -> None:
        self.disarm()
        self._kept = None
        self._result = None


def _weight_parts(z: torch.Tensor, grad: torch.Tensor, y: torch.Tensor):
    """Per sample ``-g[i, y_i]`` and ``1 - p[i, y_i]`` (masked where the prediction is sure),
    and the gradient's squared residual against the cross-entropy form and its squared norm."""
    g = grad.float().to(z.device)
    if g.shape != z.shape:
        return None
    p = z.softmax(1)
    idx = y.clamp(0, z.shape[1] - 1)[:, None]
    py = p.gather(1, idx)[:, 0]
    gy = g.gather(1, idx)[:, 0]
    margin = 1 - py
    usable = (margin > MIN_MARGIN).float()
    k = -gy / margin.clamp_min(MIN_MARGIN) * usable
    onehot = torch.zeros_like(p).scatter_(1, idx, 1.0)
    resid = ((g - k[:, None] * (p - onehot)) ** 2 * usable[:, None]).sum().reshape(1)
    total = ((g**2) * usable[:, None]).sum().reshape(1)
    # k is w[y] over the batch's total weight (mean reduction) or w[y] (sum): dividing by
    # the batch's mean k leaves w[y] / mean batch weight, free of the batch size (an
    # unweighted loss then reads exactly 1 for every class, a short last batch included)
    kbar = (k * usable).sum() / usable.sum().clamp_min(1.0)
    scale = torch.where(kbar > 0, 1.0 / kbar.clamp_min(1e-30), torch.zeros_like(kbar))
    return -gy * usable * scale, margin * usable, resid, total


def known_weights(
    loss_fn: Any, outputs: ClassOutputs | None
) -> tuple[dict[int, float], str] | None:
    """The loss's class weights and where they come from: ``loss_fn``'s ``weight``
    ("loss_fn"), else those inferred from the probed gradients ("gradient"), else None.

    >>> known_weights(nn.CrossEntropyLoss(weight=torch.tensor([2.0, 1.0])), None)
    ({0: 2.0, 1: 1.0}, 'loss_fn')
    """
    w = loss_weights(loss_fn)
    if w is not None:
        return dict(enumerate(w)), "loss_fn"
    inferred = outputs.inferred_weights() if outputs is not None else None
    return (inferred, "gradient") if inferred else None


def rank_correlation(a: list[float], b: list[float]) -> float | None:
    """Spearman's rank correlation of two equal-length lists (ties share their mean rank);
    None when either is constant or shorter than 3.

    >>> rank_correlation([1, 2, 3, 4], [10, 20, 25, 40]), rank_correlation([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
    """
    if len(a) != len(b) or len(a) < 3:
        return None
    ra, rb = _ranks(a), _ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / (va * vb) ** 0.5 if va > 0 and vb > 0 else None


def _ranks(v: list[float]) -> list[float]:
    order = sorted(range(len(v)), key=lambda i: v[i])
    ranks = [0.0] * len(v)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks
