"""``eval_mode_during_training``: optimizer steps taken while the model is in eval mode.

Rule (every step, Python attributes only: no device work; noted when the step is recorded, so
a validation pass before the doctor's batched read cannot change what was seen): the root
module's ``training`` flag
is False and every module whose behaviour the mode changes (dropout with p > 0, BatchNorm; see
:class:`~trainwise.doctor.live.loop_watch.LoopWatch` ``mode_modules``) is in eval mode too, on
:attr:`EvalModeDuringTraining.NEED` (8) consecutive ``doctor.step`` calls, or
:attr:`EvalModeDuringTraining.NEED_AFTER_TRAIN` (3) when earlier steps ran in train mode: a
switch to eval mode in the middle of training is itself the slip, and a net that loses its
BatchNorm can blow up within a few steps (a BatchNorm MLP at SGD lr 0.5 went NaN on the 6th
eval step). Dropout is then
off and BatchNorm normalizes with frozen running statistics (which also stop updating), so
the network trains as another model than the one it was written as, usually because a
validation pass called ``model.eval()`` and the next epoch never called ``model.train()``.

Not fired for a model without such modules (the mode changes nothing), nor when only the
BatchNorm or dropout modules were put in eval mode while the root trains (freezing BatchNorm
for fine-tuning is deliberate). An error when the model had been training in train mode
earlier in the run (the forgotten ``model.train()``), a warning when it never was.
"""

from __future__ import annotations

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.rule import LiveRule


class EvalModeDuringTraining(LiveRule):
    code = "eval_mode_during_training"
    severity = "error"
    every_step = True
    NEED = 8
    NEED_AFTER_TRAIN = 3
    _state = ("done", "run", "since", "since_epoch", "trained")

    def __init__(self) -> None:
        super().__init__()
        self.run = 0
        self.since: int | None = None
        self.since_epoch: int | None = None
        self.trained = False  # some earlier step ran in train mode

    def note(self, loop) -> tuple[bool, bool] | None:
        # the modes when the step ran: the doctor judges it later (after a validation pass)
        if loop is None or not loop.mode_modules:
            return None
        return loop.model.training, any(m.training for _, m in loop.mode_modules)

    def observe(self, ctx: LiveContext) -> list[Finding]:
        loop = ctx.loop
        if loop is None or not loop.mode_modules:
            return []
        root, some = ctx.notes.get(self.code) or self.note(loop)
        if root or some:
            self.trained = self.trained or root
            self.run, self.since = 0, None
            return []
        if self.run == 0:
            self.since, self.since_epoch = ctx.step, ctx.epoch
        self.run += 1
        if self.run < (self.NEED_AFTER_TRAIN if self.trained else self.NEED):
            return []
        names = [n for n, _ in loop.mode_modules]
        kinds = sorted({type(m).__name__ for _, m in loop.mode_modules})
        when = (
            f"since step {self.since} (epoch {self.since_epoch + 1}), after training in train "
            "mode before"
            if self.trained
            else f"from step {self.since} on"
        )
        return [
            self.finding(
                ctx,
                f"The model takes its optimizer steps in eval mode ({when}; {self.run} steps "
                f"so far): its {len(names)} {'/'.join(kinds)} modules behave as at inference "
                "(dropout off, BatchNorm normalizing with frozen running statistics that no "
                "longer update), so it trains as a different network; usually a validation "
                "pass called model.eval() and model.train() was not called again.",
                Fix(
                    "call model.train() at the start of every training epoch (after each "
                    "validation pass), and model.eval() only around evaluation"
                ),
                step=self.since,
                epoch=self.since_epoch,
                severity="error" if self.trained else "warning",
                where=names[0],
                evidence={
                    "eval_steps": self.run,
                    "since_step": self.since,
                    "modules": names[:8],
                    "was_training_before": self.trained,
                },
            )
        ]
