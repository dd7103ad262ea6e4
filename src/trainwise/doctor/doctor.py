"""The training doctor for any PyTorch loop: preflight data checks, live probes, curve rules.

Cost model (why it is nearly free): an ordinary step costs no host read at all: the step is
recorded (its loss tensor, the batch by reference, the learning rate) and the losses of
``read_every`` (32) steps are read in one transfer, or sooner at a probed step, at
``epoch_end`` and when findings or state are asked for (:mod:`~trainwise.doctor.step_reader`);
the rules then judge each step in order, so findings are the same, only up to ``read_every``
steps later. Probes (gradient norms, update/weight ratios, activation statistics) run on a
sparse schedule (:class:`~trainwise.doctor.probes.ProbeSchedule`) with forward hooks attached
only for the probed step; the forward replay that names the first non-finite module
(:mod:`~trainwise.doctor.live.nan_source`) runs only after a non-finite loss, on the weights of
that step: kept eagerly on a probed step, else recovered by replaying the read window
(:mod:`~trainwise.doctor.trainer_replay`, which a Trainer run attaches as ``doctor.replay``).

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
from trainwise.doctor.doctor_state import doctor_state, load_doctor_state
from trainwise.doctor.finding import Finding, passes, rank
from trainwise.doctor.live import LoopWatch, make_live_rules, nan_source
from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.live.regularization_read import read_regularization
from trainwise.doctor.precedence import outranked
from trainwise.doctor.preflight import run_preflight
from trainwise.doctor.probes import ModelLayout, Prober, ProbeSchedule, auto_every
from trainwise.doctor.step_judging import StepJudging
from trainwise.doctor.step_reader import READ_EVERY, StepEntry, StepReader
from trainwise.errors import ArgumentTypeError
from trainwise.vocabulary import TASKS, check_task


class Doctor(StepJudging):
    """Watches a training run and reports :class:`~trainwise.doctor.finding.Finding` objects.

    Args:
        model: the ``nn.Module`` being trained.
        optimizer: its optimizer (default None: the "not in the optimizer" check and the
            learning-rate suggestions need it).
        task: "classification" | "binary" | "regression" (default None: inferred from the first
            targets: integer -> classification, floats -> regression).
        loss_fn: the loss function (default None; needed for the live loss/output check and
            the trivial-loss reference of ``loss_not_decreasing``).
        probe_every: late probe interval in steps (default None: 16, or about 64 probes over
            ``total_steps`` when that exceeds ~1,000 steps; see
            :func:`~trainwise.doctor.probes.schedule.auto_every`); the first 8 steps are always
            probed.
        total_steps: planned optimizer steps (default None); sets the probe interval and when
            ``loss_not_decreasing`` judges (8% of the run).
        total_epochs: planned epochs for the curve rules (default None).
        echo: called with each new finding as it appears (default None: silent), e.g. ``print``.
        regularization: for the curve rules: any of "weight_decay", "l1", "l2", "dropout",
            "label_smoothing" (default None: the optimizer's weight_decay and the model's
            dropout p, see :mod:`~trainwise.doctor.live.regularization_read`).
        read_every: steps whose losses are read from the device in one transfer (default
            None: :data:`~trainwise.doctor.step_reader.READ_EVERY`, 32); 1 reads every step.
            Findings of ordinary steps appear at the next read (at most ``read_every`` steps
            late, sooner at a probed step or ``epoch_end``); ``findings``, ``passed``,
            ``epoch_end``, ``check_test``, ``close`` and ``state_dict`` read first. Memory:
            references to up to ``read_every`` steps' inputs and targets (and outputs in a
            plain loop). A non-finite loss found late is diagnosed on the weights of its own
            step when ``replay`` can rebuild them (a Trainer run: see
            :mod:`~trainwise.doctor.trainer_replay`); a plain loop without one uses the last
            probe's weight copy and the weights at the read.

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
        read_every: int | None = None,
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
        for name, v in (
            ("total_steps", total_steps),
            ("total_epochs", total_epochs),
            ("read_every", read_every),
        ):
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
        self.regularization = (
            dict(regularization)
            if regularization is not None
            else read_regularization(model, optimizer)
        )
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
        #: the pending steps and their batched read (see :mod:`~trainwise.doctor.step_reader`)
        self.reader = StepReader(read_every or READ_EVERY)
        #: ``replay(entry) -> dict | None``: the NaN diagnosis of a step read late, on that
        #: step's own weights (set by ``DoctorCallback`` for a Trainer run; None: a plain loop)
        self.replay: Callable[[StepEntry], dict[str, Any] | None] | None = None
        self.judged_steps = 0  # steps the rules have judged (step_count counts steps seen)
        self.prober.arm(0)

    # -- public API ---------------------------------------------------------------------------
    @property
    def findings(self) -> list[Finding]:
        """Every finding so far (pending steps judged first), deduplicated and ranked (errors
        first, then by onset)."""
        self.flush()
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
        """Optional, between ``loss.backward()`` and ``optimizer.step()``. On a probed step (or
        with ``read_every=1``) it reads the loss and, when it is non-finite, keeps the weights
        *before* the update spoils them, for an exact NaN diagnosis (the read is not repeated
        in :meth:`step`). On other steps it reads nothing: a non-finite loss found by the next
        read is diagnosed through ``replay`` when one is attached."""
        if self.reader.every > 1 and self.prober.armed_step != self.step_count:
            return
        value = _as_float(loss)
        self._pre = {"step": self.step_count, "value": value}
        if not math.isfinite(value) and not self.halted:
            self._pre["params"] = nan_source.keep_pre_update(self.layout)

    def step(self, loss, inputs=None, targets=None, outputs=None, skipped=None) -> list[Finding]:
        """Call once per optimizer step, after ``optimizer.step()``; returns the findings new
        since the last read (an ordinary step reads nothing: its findings come with the next
        read, see ``read_every``).

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
        self._pre = None
        armed = self.prober.armed_step == t
        probe = None
        if armed and not self.halted and (skipped is None or not bool(skipped)):
            # collected before the pending steps are judged, so a replay they may need runs
            # with the probe's hooks off; dropped below if one of them was non-finite
            probe = self.prober.collect(t, self.epoch, inputs, outputs)
        new = self.flush() if armed else []
        if self.halted:
            self.step_count = t + 1
            self.prober.disarm()
            return new
        entry = self._record(t, loss, inputs, targets, outputs, pre, armed)
        entry.probe = probe
        moved = armed and probe is None and skipped is not None
        if moved:
            self.prober.disarm()
            self.skipped_probes += 1
        elif self.prober.armed_step is not None and not armed:
            self.prober.disarm()  # armed for a step that never came (e.g. a skipped step)
        # outputs can be large (a language model's logits): kept for a probed step only; the
        # NaN diagnosis recomputes them (replay) or reads the finite flag kept instead
        entry.outputs = outputs if (armed or self.reader.every == 1) else None
        self.loop.observe(t, loss)
        self.step_count = t + 1
        if self.reader.add(entry) or armed:
            new += self.flush()
        if not self.halted and (moved or self.schedule.is_probe(t + 1)):
            self.prober.arm(t + 1)
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
        "underfitting" after ``lr_too_low``, "overfitting" in an unstable run). The epoch's
        pending steps are judged first (their findings are returned too)."""
        live = self.flush()
        self._last_logs = dict(logs)
        curves = self._curve_rules()
        epoch = self.epoch
        self.epoch += 1
        if self.halted:
            return live
        logs = epoch_logs(logs, self._epoch_lrs, self.optimizer)
        self._epoch_lrs = (None, None)
        found = curves.update(epoch, logs, step=self.step_count)
        new = self._add([f for f in found if not outranked(f.code, self._codes)])
        curves.revise(self)  # withdraw or demote what the curves now contradict
        return [f for f in live + new if f in self._findings]

    def check_test(self, test_logs: dict[str, Any]) -> list[Finding]:
        """After training: compare test metrics ("loss", "accuracy" or "test_loss", ...) with
        the last epoch's validation metrics (``test_shift``); returns new findings."""
        self.flush()
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
        """False when a finding at or above ``fail_on`` ("warning" | "error") exists (CI gate);
        pending steps are judged first."""
        self.flush()
        return passes(self._findings, fail_on)

    def close(self) -> None:
        """Judge the pending steps, then remove every hook the doctor placed on the model (and
        on the optimizer)."""
        self.flush()
        self.prober.disarm()
        self.loop.close()

    # -- resume ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """JSON-able state, so a resumed run keeps its findings, baselines and streaks (pending
        reads are judged first: see :mod:`~trainwise.doctor.doctor_state`)."""
        return doctor_state(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        load_doctor_state(self, state)

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


def _as_float(loss) -> float:
    return float(loss.detach() if isinstance(loss, torch.Tensor) else loss)
