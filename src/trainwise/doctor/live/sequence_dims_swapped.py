"""``sequence_dims_swapped``: a recurrent layer reads the batch axis as time.

``nn.LSTM``/``nn.GRU``/``nn.RNN`` take ``(seq, batch, feature)`` unless built with
``batch_first=True``. Fed ``(batch, seq, feature)``, as data loaders give it, they run one
"sequence" across the samples of the batch, mixing samples, and every "sample" is a time step.

Rule (probed steps; the layer's own input shape, see
:mod:`~trainwise.doctor.live.module_inputs`): a recurrent module with ``batch_first=False``
receives a 3-D input ``(A, B, F)`` with ``A != B`` and ``B > 1``, the step's targets hold
``A`` samples along their first axis and no axis of length ``B``, on
:attr:`SequenceDimsSwapped.NEED` (3) probes in a row. A time-major input with per-time-step
targets ``(seq, batch)`` keeps ``B`` in the targets, and flattened ones hold ``A * B``, so
neither is judged.
"""

from __future__ import annotations

import torch

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule
from trainwise.doctor.live.streak import Streak


class SequenceDimsSwapped(LiveRule):
    code = "sequence_dims_swapped"
    severity = "error"
    NEED = 3
    _state = ("done", "judged")
    _streaks = ("streak",)

    def __init__(self) -> None:
        super().__init__()
        self.streak = Streak(self.NEED)
        self.judged: int | None = None

    def observe(self, ctx: LiveContext) -> list[Finding]:
        loop = ctx.loop
        if loop is None or loop.inputs_step != ctx.step or self.judged == ctx.step:
            return []
        self.judged = ctx.step
        rnns = {n: s for n, s in loop.inputs_seen.items() if s["kind"] == "rnn"}
        t = ctx.targets
        if not rnns or not isinstance(t, torch.Tensor) or t.ndim == 0:
            return []
        hit = None
        for name, s in rnns.items():
            shape = s["shape"]
            if s["batch_first"] or len(shape) != 3:
                continue
            a, b = shape[0], shape[1]
            if a != b and b > 1 and t.shape[0] == a and b not in tuple(t.shape):
                hit = (name, shape, s["type"])
                break
        if not self.streak.update(hit is not None, ctx.step, ctx.epoch):
            return []
        name, (a, b, f), kind = hit
        return [
            self.finding(
                ctx,
                f"Recurrent layer '{name}' has batch_first=False, so it reads its input "
                f"({a}, {b}, {f}) as (seq={a}, batch={b}, feature={f}), but the targets hold "
                f"{a} samples ({tuple(t.shape)}): the batch axis is taken for time, one "
                f"sequence runs across the {a} samples of the batch and each sample's {b} "
                "steps are read as separate samples.",
                Fix(
                    f"build the layer with batch_first=True (nn.{kind}(..., "
                    "batch_first=True)), or feed it x.transpose(0, 1) and index its output as "
                    "(seq, batch, hidden)"
                ),
                step=self.streak.since_step,
                epoch=self.streak.since_epoch,
                where=name,
                evidence={"input_shape": [a, b, f], "targets_shape": list(t.shape)},
            )
        ]
