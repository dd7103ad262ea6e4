"""``lr_warmup_never_ends``: a warm-up keeps the learning rate far below its configured value
for the whole run.

Two ways it happens, two readings of the first param group's LR (every step; host-side
floats, no device read), both only while the highest LR so far is under :data:`FAR_BELOW`
(half) of the configured value ``c`` (:func:`~trainwise.doctor.live.configured_lr.configured_lr`):

- **restarted every epoch** (its counter is the batch index, or the scheduler is rebuilt inside
  the epoch loop): a sawtooth. A *ramp* is a stretch where the LR rises, mostly step by step,
  by at least :data:`RAMP` (4x) and then falls in one step to under 1/:data:`RAMP` of its top.
  Named after :data:`RAMPS` (2) such ramps of about the same length (within 10% or 2 steps)
  and the start of the next one.
- **sized in steps, stepped per epoch**: the LR changes only when an epoch begins, always up,
  :data:`EPOCH_RISES` (3) times in a row, is still under :data:`FAR` (1/10) of ``c``, and at the
  last epoch's increment would need more than :data:`MANY_EPOCHS` (50) more epochs to get there.

Silent for warm restarts (SGDR: the LR jumps *up* to its peak each cycle and decays smoothly),
cyclic LR (a triangle: no one-step fall), step decays and plateau cuts (falls with no ramp), a
warm-up that reaches ``c``, and one that ramps in global steps (one ramp, no restart).
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.configured_lr import configured_lr
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num

FAR_BELOW = 0.5
FAR = 0.1
RAMP = 4.0
RAMPS = 2
EPOCH_RISES = 3
MANY_EPOCHS = 50

_FIX = Fix(
    "count the warm-up in global optimizer steps (a counter that is not reset each epoch, or "
    "one scheduler built once before the epoch loop) and step it once per batch; a warm-up "
    "sized in steps must be stepped per batch, not per epoch"
)


class LrWarmupNeverEnds(LiveRule):
    code = "lr_warmup_never_ends"
    every_step = True
    _state = (
        "done",
        "prev",
        "prev_epoch",
        "peak",
        "ramp",
        "ramps",
        "restarts",
        "restarts_at_epoch",
        "epoch_rises",
        "inner_changes",
    )

    def __init__(self) -> None:
        super().__init__()
        self.prev: float | None = None
        self.prev_epoch: int | None = None
        self.peak = 0.0
        #: the current ramp: [first step, epoch, start LR, top LR, increases]
        self.ramp: list | None = None
        #: finished ramps: [first step, its epoch, length, start LR, top LR]
        self.ramps: list[list] = []
        self.restarts = 0  # ramps finished by a one-step fall, in a row
        self.restarts_at_epoch = True  # every restart so far came as an epoch began
        self.epoch_rises: list[float] = []  # LR increments when an epoch began
        self.inner_changes = 0  # LR changes inside an epoch

    def observe(self, ctx: LiveContext) -> list[Finding]:
        lr = ctx.lr
        conf = configured_lr(ctx.loop.optimizer if ctx.loop is not None else None)
        if lr is None or conf is None:
            return []
        c, source = conf
        prev, new_epoch = self.prev, self.prev_epoch is not None and ctx.epoch != self.prev_epoch
        self.prev, self.prev_epoch = lr, ctx.epoch
        self.peak = max(self.peak, lr)
        if prev is None:
            self.ramp = [ctx.step, ctx.epoch, lr, lr, 0]
            return []
        self._track_ramps(ctx, prev, lr, new_epoch)
        self._track_epochs(prev, lr, new_epoch)
        if self.peak >= FAR_BELOW * c:
            return []
        if self._sawtooth():
            return [self._restart_finding(ctx, c, source)]
        if self._per_epoch(lr, c):
            return [self._per_epoch_finding(ctx, lr, c, source)]
        return []

    def _track_ramps(self, ctx: LiveContext, prev: float, lr: float, new_epoch: bool) -> None:
        ramp = self.ramp
        if lr < prev / RAMP:  # a one-step fall: the ramp, if it was one, ends here
            if ramp[3] >= RAMP * ramp[2] and ramp[4] >= 0.5 * (ctx.step - ramp[0] - 1):
                self.ramps.append([ramp[0], ramp[1], ctx.step - ramp[0], ramp[2], ramp[3]])
                self.restarts += 1
                self.restarts_at_epoch = self.restarts_at_epoch and new_epoch
                del self.ramps[: -RAMPS - 1]  # bounded state: only the last ones are compared
            else:  # a decay, not a restart: the sawtooth must be unbroken
                self.ramps, self.restarts, self.restarts_at_epoch = [], 0, True
            self.ramp = [ctx.step, ctx.epoch, lr, lr, 0]
        elif lr > prev:
            ramp[3], ramp[4] = max(ramp[3], lr), ramp[4] + 1

    def _track_epochs(self, prev: float, lr: float, new_epoch: bool) -> None:
        if lr == prev:
            return
        if new_epoch and lr > prev:
            self.epoch_rises.append(lr - prev)
        elif new_epoch:
            self.epoch_rises = []
        else:
            self.inner_changes += 1

    def _sawtooth(self) -> bool:
        if len(self.ramps) < RAMPS:
            return False
        lengths = [r[2] for r in self.ramps[-RAMPS:]]
        return max(lengths) - min(lengths) <= max(2, 0.1 * max(lengths))

    def _per_epoch(self, lr: float, c: float) -> bool:
        if self.inner_changes or len(self.epoch_rises) < EPOCH_RISES or lr >= FAR * c:
            return False
        return (c - lr) / self.epoch_rises[-1] > MANY_EPOCHS

    def _restart_finding(self, ctx: LiveContext, c: float, source: str) -> Finding:
        first, last = self.ramps[-RAMPS], self.ramps[-1]
        each = " (as each epoch begins)" if self.restarts_at_epoch and ctx.epoch > 0 else ""
        return self.finding(
            ctx,
            f"The learning-rate warm-up starts over every {last[2]} steps{each}: the LR climbs "
            f"from {num(last[3])} to {num(last[4])} and falls back to {num(ctx.lr)} in one "
            f"step, {self.restarts} times so far, so it never gets near its configured value "
            f"{num(c)} ({source}; the highest LR so far is {num(self.peak / c)}x it): the "
            "warm-up's step counter restarts (the batch index within the epoch, or a scheduler "
            "built inside the epoch loop), so the run trains at a fraction of its learning rate "
            "throughout.",
            _FIX,
            step=first[0],
            epoch=first[1],
            evidence={
                "configured_lr": c,
                "configured_from": source,
                "peak_lr": self.peak,
                "period_steps": last[2],
                "restarts": self.restarts,
                "ramp_starts": [r[0] for r in self.ramps],
            },
        )

    def _per_epoch_finding(self, ctx: LiveContext, lr: float, c: float, source: str) -> Finding:
        more = (c - lr) / self.epoch_rises[-1]
        return self.finding(
            ctx,
            f"The learning-rate warm-up moves only once per epoch: the LR rose "
            f"{len(self.epoch_rises)} times, each when an epoch began, and is {num(lr)} "
            f"({num(lr / c)}x its configured value {num(c)}, {source}); at "
            f"{num(self.epoch_rises[-1])} per epoch it would need about {num(more)} more epochs to get there: a warm-up "
            "sized in optimizer steps is stepped once per epoch, so the run trains at a "
            "fraction of its learning rate throughout.",
            _FIX,
            evidence={
                "configured_lr": c,
                "configured_from": source,
                "lr": lr,
                "epoch_rises": len(self.epoch_rises),
                "epochs_to_configured": more,
            },
        )
