"""``unnormalized_targets``: regression targets on a scale far from the output layer's (prices
in the hundreds of thousands, raw counts), so the fit spends the run crawling toward the mean,
or its gradients blow up.

Evidence, both needed:

- **the targets**: float regression targets (``task`` "regression", or float targets of a run
  whose task is unknown) read on the first :data:`BATCHES` (8) probed batches (copied to the
  host in the doctor's batched read: no extra device sync), with ``|mean|`` or ``std`` above
  :data:`SCALE` (10); standardized targets have both about 1 or below;
- **a run that struggles**: from step :data:`MIN_STEPS` (24) on, the loss is still on the
  targets' scale (its start within 1/4..4x the mean squared target, MSE-like, or the mean
  absolute target, L1-like: the outputs began near 0), the median of the last 16 losses is
  above what predicting the targets' mean would give (their variance, or their mean absolute
  deviation) and above half the start, on :data:`NEED` (3) probes in a row; or the loss went
  non-finite (then an error: the run diverged).

A regression on unscaled targets whose loss does fall below the mean's level (a larger Adam LR,
targets tens rather than thousands of units large) stays silent. Named before its symptoms (``exploding_gradients``, ``lr_too_high``,
``loss_not_decreasing``), see :mod:`~trainwise.doctor.precedence`.
"""

from __future__ import annotations

import math

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule, num
from trainwise.doctor.live.streak import Streak

BATCHES = 8
SCALE = 10.0
MIN_STEPS = 24
NEED = 3

_FIX = Fix(
    "standardize the targets with the training split's mean and std (y - mean) / std, train "
    "on those, and invert it on the predictions (pred * std + mean)",
)


class UnnormalizedTargets(LiveRule):
    code = "unnormalized_targets"
    every_step = True
    _streaks = ("streak",)
    _state = ("done", "batches", "n", "total", "squares", "absolute", "first_step", "first_epoch")

    def __init__(self) -> None:
        super().__init__()
        self.streak = Streak(NEED)
        self.batches = 0
        self.n = 0
        self.total = 0.0  # sum of the targets
        self.squares = 0.0  # sum of their squares
        self.absolute = 0.0  # sum of their absolute values
        self.first_step: int | None = None  # the first step whose targets were read
        self.first_epoch: int | None = None

    def reads_targets(self, step: int, epoch: int, probed: bool) -> bool:
        return probed and self.batches < BATCHES and not self.done

    def observe(self, ctx: LiveContext) -> list[Finding]:
        if ctx.task not in (None, "regression"):
            return []
        self._add_targets(ctx)
        stats = self.stats()
        if stats is None or max(abs(stats["mean"]), stats["std"]) <= SCALE:
            return []
        if not math.isfinite(ctx.loss):
            return [self._finding(ctx, stats, None, diverged=True)]
        if ctx.probe is None or ctx.step < MIN_STEPS:
            return []
        level = self._struggle(ctx, stats)
        if not self.streak.update(level is not None, ctx.step, ctx.epoch):
            return []
        return [self._finding(ctx, stats, level, diverged=False)]

    def stats(self) -> dict[str, float] | None:
        """Mean, std, mean square and mean absolute value of the targets seen (None before)."""
        if self.n < 2:
            return None
        mean = self.total / self.n
        var = max(0.0, self.squares / self.n - mean * mean)
        return {
            "mean": mean,
            "std": math.sqrt(var),
            "mean_square": self.squares / self.n,
            "mean_abs": self.absolute / self.n,
        }

    def _add_targets(self, ctx: LiveContext) -> None:
        host = ctx.host_targets
        if host is None or not host.is_floating_point() or self.batches >= BATCHES:
            return
        values = [v for v in host.values if math.isfinite(v)]
        if not values:
            return
        if self.first_step is None:
            self.first_step, self.first_epoch = ctx.step, ctx.epoch
        self.batches += 1
        self.n += len(values)
        self.total += sum(values)
        self.squares += sum(v * v for v in values)
        self.absolute += sum(abs(v) for v in values)

    def _struggle(self, ctx: LiveContext, stats: dict[str, float]) -> dict | None:
        """The loss's kind and the constant-mean level it has not beaten, or None."""
        start = ctx.losses.start()
        recent = ctx.losses.recent_median(16)
        if not start or recent is None:
            return None
        # the mean absolute deviation of a normal is 0.8 std: close enough for a level to beat
        kinds = (
            ("mean squared", stats["mean_square"], stats["std"] ** 2),
            ("absolute", stats["mean_abs"], 0.8 * stats["std"]),
        )
        for kind, zero_level, mean_level in kinds:
            if 0.25 * zero_level <= start <= 4 * zero_level:
                if recent > mean_level and recent > 0.5 * start:
                    return {"kind": kind, "start": start, "recent": recent, "mean": mean_level}
                return None
        return None

    def _finding(self, ctx: LiveContext, stats: dict, level: dict | None, diverged: bool):
        scale = (
            f"the regression targets have mean {num(stats['mean'])} and std "
            f"{num(stats['std'])} (on {self.n} targets of the first probed batches), far "
            "from the scale of a freshly initialized output layer (about 1)"
        )
        if diverged:
            why = (
                f"and the loss went non-finite at step {ctx.step}: errors and gradients on "
                "that scale blow the weights up"
            )
        else:
            why = (
                f"and the {level['kind']} loss is still {num(level['recent'])} after "
                f"{ctx.step} steps ({num(level['start'])} at the start), above the "
                f"{num(level['mean'])} that predicting the targets' mean would give: the "
                "outputs crawl from about 0 toward targets of that size, with errors and "
                "gradients on the targets' scale"
            )
        # the targets were unscaled from the start: the onset is the first step they were read
        step, epoch = self.first_step, self.first_epoch
        return self.finding(
            ctx,
            f"{scale[0].upper()}{scale[1:]}, {why}.",
            _FIX,
            step=step,
            epoch=epoch,
            severity="error" if diverged else None,
            evidence={
                "target_mean": stats["mean"],
                "target_std": stats["std"],
                "targets_read": self.n,
                "diverged": diverged,
                **({} if level is None else _loss_evidence(level)),
            },
        )


def _loss_evidence(level: dict) -> dict[str, float]:
    return {
        "start_loss": level["start"],
        "recent_loss": level["recent"],
        "mean_prediction_loss": level["mean"],
    }
