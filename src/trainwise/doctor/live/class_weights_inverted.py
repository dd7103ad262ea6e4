"""``class_weights_inverted`` (live): the loss's class weights grow with the class counts.

Class weights are meant to be proportional to 1 / frequency, so the rare classes count more;
weights computed as the frequency itself (or the count, or ``1 / (1 / freq)`` by a slip)
weigh the common classes up and the rare ones down, which is worse than no weights at all.

The weights come from the loss function's ``weight`` when the doctor has it, else from the
gradient the loss sends into the model's output on probed steps
(:class:`~trainwise.doctor.live.class_outputs.ClassOutputs`: a softmax cross-entropy's
gradient is the weight times ``p - onehot(y)``), once every class has at least 3 samples
behind it and :attr:`ClassWeightsInverted.MIN_PROBES` probed steps fitted that form. The
class counts come from ``check_data``, else from the targets of the probed batches. Fires
when the classes differ in size (largest/smallest count >= :attr:`~ClassWeightsInverted.SKEW`),
the weights differ (largest/smallest >= :attr:`~ClassWeightsInverted.SPREAD`), and their rank
correlation with the counts is >= :attr:`~ClassWeightsInverted.RHO`. Judged on probed steps
only; silent for an unweighted loss, weights by inverse frequency, or label smoothing (whose
gradient has another form).
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.class_imbalance import class_tally
from trainwise.doctor.live.class_outputs import known_weights, rank_correlation
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num


class ClassWeightsInverted(LiveRule):
    code = "class_weights_inverted"
    #: rank correlation of the weights with the class counts at or above which they are inverted
    RHO = 0.7
    #: largest / smallest class count: below it the classes are near enough in size
    SKEW = 2.0
    #: largest / smallest weight: below it the loss is about unweighted
    SPREAD = 1.5
    #: probed steps whose gradient fitted the weighted cross-entropy form (inferred weights)
    MIN_PROBES = 4
    _state = ("done", "seen")

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, float] = {}  # class -> samples in the probed batches

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if self.done:
            return []
        t = class_tally(ctx)
        if t is not None:
            for c, n in enumerate(t["seen"]):
                if n:
                    self.seen[str(c)] = self.seen.get(str(c), 0.0) + n
        outputs = getattr(ctx.loop, "class_outputs", None)
        known = known_weights(ctx.loss_fn, outputs)
        if known is None:
            return []
        weights, source = known
        if source == "gradient" and outputs.weight_steps < self.MIN_PROBES:
            return []
        if ctx.label_counts:
            counts = {int(k): int(v) for k, v in ctx.label_counts.items()}
        else:
            counts = {int(k): int(v) for k, v in self.seen.items()}
        classes = [c for c in sorted(counts) if c in weights and counts[c] > 0]
        if source == "gradient" and len(classes) < len(counts):
            return []  # a class without enough samples yet: wait for more probes
        ws, ns = [weights[c] for c in classes], [counts[c] for c in classes]
        if len(classes) < 3 or min(ws) <= 0:
            return []
        rho = rank_correlation(ws, ns)
        skew, spread = max(ns) / min(ns), max(ws) / min(ws)
        if rho is None or rho < self.RHO or skew < self.SKEW or spread < self.SPREAD:
            return []
        scale = len(classes) / sum(ws)  # shown normalised to mean 1, as the suggestion
        total = sum(ns)
        balanced = {c: total / (len(classes) * counts[c]) for c in classes}
        rare, common = classes[ns.index(min(ns))], classes[ns.index(max(ns))]
        how = "the loss function's weight" if source == "loss_fn" else "read from its gradient"
        return [
            self.finding(
                ctx,
                f"The loss's class weights grow with the class counts (rank correlation "
                f"{num(rho)}; {how}): the rarest class {rare} ({counts[rare]} samples) gets "
                f"weight {num(weights[rare] * scale)} and the commonest class {common} "
                f"({counts[common]} samples) {num(weights[common] * scale)} (mean 1), so the rare "
                "classes are weighted down further instead of up: the weights look like the "
                "class frequencies rather than their inverse.",
                Fix(
                    "weigh each class by 1 / its frequency, n / (C * count): "
                    + ", ".join(f"{c}: {num(balanced[c])}" for c in classes[:10])
                    + ("" if len(classes) <= 10 else ", ...")
                    + " (sklearn compute_class_weight('balanced'), or data.class_weight: "
                    "balanced)",
                    {"data.class_weight": "balanced"},
                ),
                where="loss weights",
                evidence={
                    "weights": {c: weights[c] * scale for c in classes},
                    "counts": {c: counts[c] for c in classes},
                    "rank_correlation": rho,
                    "weights_from": source,
                    "suggested_weights": balanced,
                },
            )
        ]
