"""The training doctor for any PyTorch loop: preflight data checks, live probes, curve rules.

Cost model (why it is nearly free): on every step only ``float(loss)`` (the loop syncs
anyway) and a few comparisons; probes (gradient norms, update/weight ratios, activation
statistics) run on a sparse schedule (:class:`~trainwise.doctor.probes.ProbeSchedule`) with
forward hooks attached only for the probed step; the forward replay that names the first
non-finite module (:mod:`~trainwise.doctor.live.nan_source`) runs only after a non-finite loss.

Which finding wins when one explains another is not decided here: the live and curve
findings both go through :mod:`~trainwise.doctor.precedence`.

It never changes results: it draws no random numbers (the NaN replay runs inside
``torch.random.fork_rng`` on copied buffers), writes to no parameter, gradient or buffer, and
its hooks only read.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from trainwise.doctor.curve_inputs import class_counts, curve_facts, epoch_logs, split_rows
from trainwise.doctor.finding import Finding, passes, rank
from trainwise.doctor.live import LiveContext, LoopWatch, make_live_rules, nan_source
from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.precedence import CONSEQUENCE_HOLD, causes, outranked
from trainwise.doctor.preflight import run_preflight
from trainwise.doctor.probes import ModelLayout, Prober, ProbeSchedule, auto_every
from trainwise.errors import ArgumentTypeError
from trainwise.vocabulary import TASKS, check_task, infer_task


class Doctor:
    """Watches a training run and reports :class:`~trainwise.doctor.finding.Finding` objects.

    Args:
        model: the ``nn.Module`` being trained.
        optimizer: its optimizer (default None: the "not in the optimizer" check and the
            learning-rate suggestions need it).
        task: "classification" | "binary" | "regression" (default None: inferred from the first
            targets: integer -> classification, floats -> regression).
        loss_fn: the loss function (default None; needed for the live loss/output check and
            the trivial-loss reference of ``loss_not_decreasing``).
        probe_every: late probe interval in steps (default None: about 64 probes over
            ``total_steps``, 16 when that is unknown); the first 8 steps are always probed.
        total_steps: planned optimizer steps (default None); sets the probe interval and when
            ``loss_not_decreasing`` judges (8% of the run).
        total_epochs: planned epochs for the curve rules (default None).
        echo: called with each new finding as it appears (default None: silent), e.g. ``print``.
        regularization: for the curve rules: any of "weight_decay", "l1", "l2", "dropout",
            "label_smoothing" (default None).

    Example::

        >>> import torch
        >>> from trainwise.doctor import Doctor
        >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
        ...                             torch.nn.Linear(8, 2))
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> doctor = Doctor(model, opt)
        >>> x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
        >>> for _ in range(3):
        ...     opt.zero_grad(); loss = torch.nn.functional.cross_entropy(model(x), y)
        ...     loss.backward(); opt.step(); _ = doctor.step(loss, inputs=x, targets=y)
        >>> doctor.findings
        []
        >>> doctor.close()
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        task: str | None = None,
        loss_fn: Callable | None = None,
        probe_every: int | None = None,
        total_steps: int | None = None,
        total_epochs: int | None = None,
        echo: Callable[[Finding], Any] | None = None,
        regularization: dict[str, float] | None = None,
    ):
        if not isinstance(model, nn.Module):
            raise ArgumentTypeError(
                f"Doctor model: {type(model).__name__} is not allowed; allowed: a torch.nn.Module"
            )
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise ArgumentTypeError(
                f"Doctor optimizer: {type(optimizer).__name__} is not allowed; allowed: a "
                "torch.optim.Optimizer or None"
            )
        check_task(task, "Doctor task", allow_none=True, error=ArgumentTypeError)
        for name, v in (("total_steps", total_steps), ("total_epochs", total_epochs)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ArgumentTypeError(
                    f"Doctor {name}: {v!r} is not allowed; allowed: an int >= 1 or None"
                )
        self.model = model
        self.optimizer = optimizer
        self.task = task
        self.loss_fn = loss_fn
        self.total_steps = total_steps
        self.total_epochs = total_epochs
        self.echo = echo
        self.regularization = dict(regularization or {})
        self.layout = ModelLayout(model, optimizer)
        self.schedule = ProbeSchedule(every=probe_every or auto_every(total_steps))
        self.prober = Prober(model, self.layout)
        self.rules = make_live_rules()
        self.loop = LoopWatch(model, optimizer, self.layout, self.schedule)  # the loop's own facts
        self._every_step_rules = [r for r in self.rules if r.every_step]
        self.losses = LossTrack()
        self.probes: deque = deque(maxlen=8)
        #: one compact record per probe (see ProbeReading.record); fit writes it to probes.jsonl
        self.probe_log: list[dict[str, Any]] = []
        self.step_count = 0  # optimizer steps seen
        #: probes dropped because fp16 loss scaling skipped their step (see :meth:`step`)
        self.skipped_probes = 0
        self.epoch = 0  # epochs finished
        self.max_lr: float | None = None
        #: the LR at the current epoch's first and latest step (for the curve rules)
        self._epoch_lrs: tuple[float | None, float | None] = (None, None)
        self.label_counts: dict[int, int] = {}
        self.halted = False  # after a non-finite loss the live rules stop (weights are gone)
        self._findings: list[Finding] = []
        self._held: list[Finding] = []  # consequence findings waiting (CONSEQUENCE_HOLD)
        self._codes: set[str] = set()
        self._pre: dict[str, Any] | None = None  # pre-update state of a non-finite step
        self._curves: Any = None
        self._last_logs: dict[str, Any] | None = None
        #: sample counts per split from check_data (the curve rules' sampling noise)
        self.data_sizes: dict[str, int | None] = {}
        self._train_xy: tuple | None = None  # for the curve rules' lazy reference model
        self.prober.arm(0)

    # -- public API ---------------------------------------------------------------------------
    @property
    def findings(self) -> list[Finding]:
        """Every finding so far, deduplicated and ranked (errors first, then by onset)."""
        return rank(self._findings)

    def check_data(
        self,
        x,
        y,
        x_val=None,
        y_val=None,
        x_test=None,
        y_test=None,
        task: str = "classification",
    ) -> list[Finding]:
        """Preflight checks of the data (NaN, label range, scaling, order, imbalance, noise,
        leakage, shift, loss/output pairing); returns the new findings. Also remembers the
        class shares (for the live ``unshuffled_data`` rule).

        Example::

            doctor.check_data(x_train, y_train, x_val=x_val, y_val=y_val)
        """
        if self.task is None:
            self.task = task
        counts = class_counts(y, task)
        if counts is not None:
            self.label_counts = counts
        self.data_sizes = {
            "train": split_rows(y),
            "val": split_rows(y_val),
            "test": split_rows(y_test),
        }
        self._train_xy = (x, y) if task != "regression" else None
        armed = self.prober.armed_step
        self.prober.disarm()  # a preflight forward pass must not count as the probed step
        try:
            found = run_preflight(
                x,
                y,
                x_val=x_val,
                y_val=y_val,
                x_test=x_test,
                y_test=y_test,
                task=task,
                num_classes=self._num_classes(),
                model=self.model,
                loss_fn=self.loss_fn,
            )
        finally:
            if armed is not None:
                self.prober.arm(armed)
        return self._add(list(found))

    def after_backward(self, loss) -> None:
        """Optional, between ``loss.backward()`` and ``optimizer.step()``: lets the doctor keep
        the weights of a step whose loss is non-finite *before* the update spoils them, which
        makes the NaN diagnosis exact. Costs the same single ``float(loss)`` that
        :meth:`step` would (it is not repeated there)."""
        value = _as_float(loss)
        self._pre = {"step": self.step_count, "value": value}
        if not math.isfinite(value) and not self.halted:
            self._pre["params"] = nan_source.keep_pre_update(self.layout)

    def step(self, loss, inputs=None, targets=None, outputs=None, skipped=None) -> list[Finding]:
        """Call once per optimizer step, after ``optimizer.step()``; returns new findings.

        ``loss`` is the step's loss (tensor or float); ``inputs``/``targets``/``outputs`` (all
        optional) are the batch and the model's output on it: inputs let the doctor name the
        module where a NaN started, targets feed the shuffling and trivial-loss checks,
        outputs the loss/output pairing check. ``skipped`` (default None): truthy (a bool or a
        one-element tensor) when fp16 loss scaling skipped this step because its gradients
        overflowed; it is read only on a probed step, whose probe is then moved to the next
        step: the overflowed gradients and unchanged weights are the scaler's doing, not
        exploding gradients or frozen parameters.
        """
        t = self.step_count
        pre = self._pre if self._pre is not None and self._pre["step"] == t else None
        value = pre["value"] if pre is not None else _as_float(loss)
        if self.halted:
            self.step_count = t + 1
            self._pre = None
            return []
        lr = self._lr()
        if lr is not None:
            self._epoch_lrs = (self._epoch_lrs[0] if self._epoch_lrs[0] is not None else lr, lr)
        if self.task is None:
            # only a batch's own tensor is read: other targets leave the task unknown
            self.task = infer_task(targets) if isinstance(targets, torch.Tensor) else None
        self.losses.add(t, value)
        probe = None
        moved = False
        if self.prober.armed_step == t and skipped is not None and bool(skipped):
            self.prober.disarm()
            self.skipped_probes += 1
            moved = True
        elif self.prober.armed_step == t:
            probe = self.prober.collect(t, self.epoch, inputs, outputs)
            if probe is not None:
                self.probes.append(probe)
                self.probe_log.append(probe.record(self.layout.weights, value))
        elif self.prober.armed_step is not None:
            self.prober.disarm()  # armed for a step that never came (e.g. a skipped step)
        ctx = LiveContext(
            step=t,
            epoch=self.epoch,
            loss=value,
            losses=self.losses,
            layout=self.layout,
            probe=probe,
            probes=list(self.probes) if probe is not None else [],
            inputs=inputs,
            targets=targets,
            outputs=outputs,
            task=self.task,
            loss_fn=self.loss_fn,
            total_steps=self.total_steps,
            lr=lr,
            max_lr=self.max_lr,
            fired=set(self._codes),
            locate=lambda: self._locate(inputs, outputs, pre),
            label_counts=self.label_counts,
            regularization=self.regularization,
            loop=self.loop.observe(t, loss),
        )
        new = self._run_rules(ctx, value)
        if not math.isfinite(value):
            self.halted = True
            self.prober.disarm()
        self.step_count = t + 1
        self._pre = None
        if not self.halted and (moved or self.schedule.is_probe(t + 1)):
            self.prober.arm(t + 1)
        return self._add(new)

    def _run_rules(self, ctx: LiveContext, value: float) -> list[Finding]:
        """This step's live rules (all on a probed step, else the every-step ones), with the
        precedence applied: a rule whose cause has fired is not called, and what a rule that
        yields finds in the first :data:`CONSEQUENCE_HOLD` losses waits for its causes."""
        new: list[Finding] = []
        early = self.losses.count < CONSEQUENCE_HOLD and math.isfinite(value)
        for rule in self.rules if ctx.probe is not None else self._every_step_rules:
            if rule.done and not rule.repeats:
                continue  # a rule that has fired is quiet for the rest of the run
            if outranked(rule.code, ctx.fired):
                continue
            found = rule.observe(ctx)
            if found and causes(rule.code) and early:
                self._held += found
            elif found:
                ctx.fired.update(f.code for f in found)
                new += found
        if self._held:
            # a held finding whose cause has fired since is that cause's consequence: dropped
            self._held = [f for f in self._held if not outranked(f.code, ctx.fired)]
            if not early and (ctx.probe is not None or not math.isfinite(value)):
                new += self._held  # released with the first probe after the hold
                self._held = []
        return new

    def arm(self) -> None:
        """Attach the probe for the coming step if the schedule probes it. :meth:`step` does
        this for the next step itself; call it before the forward pass only after restoring
        state (e.g. in a callback's batch-start event), where the probe would otherwise be lost.
        """
        if not self.halted and self.schedule.is_probe(self.step_count):
            self.prober.arm(self.step_count)

    def epoch_end(self, logs: dict[str, Any]) -> list[Finding]:
        """Call once per epoch with its logs ("loss", "val_loss", "val_accuracy", ...); runs the
        curve rules (overfitting, underfitting, ...) and returns new findings. A verdict that
        a finding so far explains is dropped (see :mod:`~trainwise.doctor.precedence`: e.g.
        "underfitting" after ``lr_too_low``, "overfitting" in an unstable run)."""
        self._last_logs = dict(logs)
        curves = self._curve_rules()
        epoch = self.epoch
        self.epoch += 1
        if self.halted:
            return []
        logs = epoch_logs(logs, self._epoch_lrs, self.optimizer)
        self._epoch_lrs = (None, None)
        found = curves.update(epoch, logs, step=self.step_count)
        new = self._add([f for f in found if not outranked(f.code, self._codes)])
        curves.revise(self)  # withdraw or demote what the curves now contradict
        return [f for f in new if f in self._findings]

    def check_test(self, test_logs: dict[str, Any]) -> list[Finding]:
        """After training: compare test metrics ("loss", "accuracy" or "test_loss", ...) with
        the last epoch's validation metrics (``test_shift``); returns new findings."""
        if self._last_logs is None:
            return []
        # lazy: start-up time (the curve rules load scipy.stats: seconds)
        from trainwise.doctor.curves import check_test_shift

        val = {k[4:]: v for k, v in self._last_logs.items() if k.startswith("val_")}
        test = {(k[5:] if k.startswith("test_") else k): v for k, v in test_logs.items()}
        epoch = self.epoch - 1 if self.epoch else None
        found = check_test_shift(
            val,
            test,
            epoch=epoch,
            step=self.step_count,
            n_val=self.data_sizes.get("val"),
            n_test=self.data_sizes.get("test"),
        )
        return self._add(list(found))

    def passed(self, fail_on: str = "warning") -> bool:
        """False when a finding at or above ``fail_on`` ("warning" | "error") exists (CI gate)."""
        return passes(self._findings, fail_on)

    def close(self) -> None:
        """Remove every hook the doctor placed on the model (and on the optimizer)."""
        self.prober.disarm()
        self.loop.close()

    # -- resume ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """JSON-able state, so a resumed run keeps its findings, baselines and streaks."""
        curves = self._curves
        return {
            "step": self.step_count,
            "epoch": self.epoch,
            "task": self.task,
            "max_lr": self.max_lr,
            "epoch_lrs": list(self._epoch_lrs),
            "halted": self.halted,
            "label_counts": {str(k): v for k, v in self.label_counts.items()},
            "findings": [f.to_dict() for f in self._findings],
            "held": [f.to_dict() for f in self._held],
            "losses": self.losses.state_dict(),
            "rules": {r.code: r.state_dict() for r in self.rules},
            "last_logs": self._last_logs,
            "probe_log": self.probe_log,
            "curves": curves.state_dict() if curves is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step_count = int(state["step"])
        self.epoch = int(state["epoch"])
        self.task = state.get("task", self.task)
        self.max_lr = state.get("max_lr")
        start, end = state.get("epoch_lrs") or (None, None)
        self._epoch_lrs = (start, end)
        self.halted = bool(state.get("halted", False))
        self.label_counts = {int(k): int(v) for k, v in state.get("label_counts", {}).items()}
        self._findings = [Finding.from_dict(d) for d in state.get("findings", [])]
        self._held = [Finding.from_dict(d) for d in state.get("held", [])]
        self._codes = {f.code for f in self._findings if f.severity != "info"}
        self.losses.load_state_dict(state["losses"])
        for rule in self.rules:
            if rule.code in state.get("rules", {}):
                rule.load_state_dict(state["rules"][rule.code])
        self._last_logs = state.get("last_logs")
        self.probe_log = list(state.get("probe_log", []))
        if state.get("curves") is not None:
            self._curve_rules().load_state_dict(state["curves"])
        self.probes.clear()
        self.prober.disarm()
        self.arm()

    # -- internals ------------------------------------------------------------------------------
    def _add(self, found: list[Finding]) -> list[Finding]:
        for f in found:
            self._findings.append(f)
            self._codes.update([f.code] if f.severity != "info" else [])  # info explains none
            if self.echo is not None:
                self.echo(f)
        return found

    def _lr(self) -> float | None:
        if self.optimizer is None or not self.optimizer.param_groups:
            return None
        lr = float(self.optimizer.param_groups[0].get("lr", 0.0))
        self.max_lr = lr if self.max_lr is None else max(self.max_lr, lr)
        return lr

    def _num_classes(self) -> int | None:
        return max(self.label_counts) + 1 if self.label_counts else None

    def _curve_rules(self):
        if self._curves is None:
            # lazy: start-up time (the curve rules load scipy.stats: seconds)
            from trainwise.doctor.curves import CurveRules

            facts = curve_facts(
                total_epochs=self.total_epochs,
                total_steps=self.total_steps,
                steps_done=self.step_count,
                task=self.task if self.task in TASKS else None,
                num_classes=self._num_classes() if self.task != "regression" else None,
                regularization=self.regularization,
                n_val=self.data_sizes.get("val"),
                train_xy=self._train_xy,
            )
            self._curves = CurveRules(**facts)
        return self._curves

    def _locate(self, inputs, outputs, pre: dict[str, Any] | None) -> dict[str, Any] | None:
        """Where this step's non-finite loss came from (see ``live/nan_source.py``)."""
        snap = self.prober.last_snapshot
        snapshot = snap.values if snap is not None else None
        return nan_source.locate(
            self.model, self.layout, self.losses, snapshot, inputs, outputs, pre
        )


def _as_float(loss) -> float:
    return float(loss.detach() if isinstance(loss, torch.Tensor) else loss)
