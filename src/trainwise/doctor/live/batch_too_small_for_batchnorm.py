"""``batch_too_small_for_batchnorm``: BatchNorm layers training on batches of a few samples.

Rule (probed steps; the layer's own input shape, see
:mod:`~trainwise.doctor.live.module_inputs`): a BatchNorm module in training mode received a
batch of at most :attr:`BatchTooSmallForBatchnorm.MAX_BATCH` (4) samples on
:attr:`~BatchTooSmallForBatchnorm.NEED` (3) probes in a row (one short last batch of an epoch
does not count twice in a row). Its batch statistics then come from one to four samples: they
differ from step to step and from the running averages used at evaluation, which is why
BatchNorm's error climbs steeply below a batch of about 8 (Wu & He, Group Normalization, 2018:
ImageNet ResNet-50 top-1 error 23.6% at 32 samples per GPU, 27.3% at 4, 34.7% at 2). A
warning: the model still learns, worse.
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule
from trainwise.doctor.live.streak import Streak


class BatchTooSmallForBatchnorm(LiveRule):
    code = "batch_too_small_for_batchnorm"
    MAX_BATCH = 4
    NEED = 3
    _state = ("done", "judged")
    _streaks = ("streak",)

    def __init__(self) -> None:
        super().__init__()
        self.streak = Streak(self.NEED)
        self.judged: int | None = None  # the loop watch's step last judged

    def observe(self, ctx: LiveContext) -> list[Finding]:
        loop = ctx.loop
        if loop is None or loop.inputs_step != ctx.step or self.judged == ctx.step:
            return []
        self.judged = ctx.step
        bns = {
            n: s for n, s in loop.inputs_seen.items() if s["kind"] == "batchnorm" and s["training"]
        }
        if not bns:
            return []
        name, seen = min(bns.items(), key=lambda kv: kv[1]["shape"][0] if kv[1]["shape"] else 0)
        batch = seen["shape"][0] if len(seen["shape"]) >= 2 else None
        small = batch is not None and batch <= self.MAX_BATCH
        if not self.streak.update(small, ctx.step, ctx.epoch):
            return []
        per_channel = batch
        for d in seen["shape"][2:]:
            per_channel *= d
        return [
            self.finding(
                ctx,
                f"BatchNorm layer '{name}' trains on batches of {batch} sample"
                f"{'s' if batch != 1 else ''} (input {tuple(seen['shape'])}, {per_channel} "
                f"values per channel) on {self.streak.count} probes in a row: its batch statistics are "
                "those of a sample or two, noisy from step to step and unlike the running "
                "averages used at evaluation, so the model learns worse than it could.",
                Fix(
                    "train with batches of 16 or more samples (accumulate gradients if memory "
                    "is short), or replace BatchNorm with GroupNorm/LayerNorm, which do not "
                    "depend on the batch",
                    {"training.batch_size": 32},
                ),
                step=self.streak.since_step,
                epoch=self.streak.since_epoch,
                where=name,
                evidence={
                    "batch": batch,
                    "input_shape": list(seen["shape"]),
                    "probes": self.streak.count,
                },
            )
        ]
