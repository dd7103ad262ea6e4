"""The training doctor for any PyTorch loop: preflight data checks, live probes, curve rules.

Cost model (why it is nearly free): on every step only ``float(loss)`` (the loop syncs
anyway) and a few comparisons; probes (gradient norms, update/weight ratios, activation
statistics) run on a sparse schedule (:class:`~trainwise.doctor.probes.ProbeSchedule`) with
forward hooks attached only for the probed step; the forward replay that names the first
non-finite module runs only after a non-finite loss.

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

from trainwise.doctor.finding import Finding, rank
from trainwise.doctor.live import LiveContext, make_live_rules
from trainwise.doctor.live.loss_not_decreasing import SPECIFIC
from trainwise.doctor.live.loss_track import LossTrack
from trainwise.doctor.probes import (
    ModelLayout,
    Prober,
    ProbeSchedule,
    all_finite,
    auto_every,
    replay_forward,
)
from trainwise.errors import ArgumentTypeError

TASKS = ("classification", "binary", "regression")
#: a rule with ``yields_to`` (a symptom that is often the consequence of another cause) holds
#: its findings until this many losses are in (and the next probe), so a cause that needs a full loss window to be
#: judged (lr_too_high) can still claim them: dead units after a too-high LR are reported as
#: the LR's fault, not as a second problem. Costs at most this many steps of delay.
CONSEQUENCE_HOLD = 10
#: live findings that explain a stalled training loss (and so an "underfitting" curve): the
#: same causes that keep ``loss_not_decreasing`` quiet
LIVE_CAUSES = SPECIFIC
#: live findings that explain a stall instead of a strong penalty (``lr_too_high`` included:
#: its bounce test stands aside when an L2 penalty holds the weights, so when it fires the
#: steps really are too large)
OVER_REGULARIZED_YIELDS_TO = tuple(c for c in LIVE_CAUSES if c != "over_regularized")
#: live findings of an unstable run, whose validation curve says nothing about generalization
UNSTABLE = ("lr_too_high", "exploding_gradients", "nan_loss")


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
            ``loss_not_decreasing`` judges (5% of the run).
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
        if task is not None and task not in TASKS:
            raise ArgumentTypeError(
                f"Doctor task: {task!r} is not allowed; allowed: {', '.join(TASKS)} or None"
            )
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
        self._every_step_rules = [r for r in self.rules if r.every_step]
        self.losses = LossTrack()
        self.probes: deque = deque(maxlen=8)
        #: one compact record per probe (see ProbeReading.record); fit writes it to probes.jsonl
        self.probe_log: list[dict[str, Any]] = []
        self.step_count = 0  # optimizer steps seen
        self.epoch = 0  # epochs finished
        self.max_lr: float | None = None
        #: the LR at the current epoch's first and latest step (for the curve rules)
        self._epoch_lrs: tuple[float | None, float | None] = (None, None)
        self.label_counts: dict[int, int] = {}
        self.halted = False  # after a non-finite loss the live rules stop (weights are gone)
        self._findings: list[Finding] = []
        self._held: list[Finding] = []  # consequence findings waiting (CONSEQUENCE_HOLD)
        self._yields = {r.code: set(r.yields_to) for r in self.rules}
        self._codes: set[str] = set()
        self._pre: dict[str, Any] | None = None  # pre-update state of a non-finite step
        self._curves: Any = None
        self._curves_missing = False
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
        class shares (for the live ``unshuffled_data`` rule). Needs the preflight package;
        without it, returns [].

        Example::

            doctor.check_data(x_train, y_train, x_val=x_val, y_val=y_val)
        """
        if self.task is None:
            self.task = task
        self._remember_labels(y, task)
        self.data_sizes = {
            "train": _rows(y),
            "val": _rows(y_val),
            "test": _rows(y_test),
        }
        self._train_xy = (x, y) if task != "regression" else None
        try:
            from trainwise.doctor.preflight import run_preflight
        except ImportError:
            return []
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
            with torch.no_grad():
                self._pre["params"] = {n: p.detach().clone() for n, p in self.layout.params}

    def step(self, loss, inputs=None, targets=None, outputs=None) -> list[Finding]:
        """Call once per optimizer step, after ``optimizer.step()``; returns new findings.

        ``loss`` is the step's loss (tensor or float); ``inputs``/``targets``/``outputs`` (all
        optional) are the batch and the model's output on it: inputs let the doctor name the
        module where a NaN started, targets feed the shuffling and trivial-loss checks,
        outputs the loss/output pairing check.
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
            self.task = _infer_task(targets)
        self.losses.add(t, value)
        probe = None
        if self.prober.armed_step == t:
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
        )
        new: list[Finding] = []
        early = self.losses.count < CONSEQUENCE_HOLD and math.isfinite(value)
        for rule in self.rules if probe is not None else self._every_step_rules:
            if rule.done and not rule.repeats:
                continue  # a rule that has fired is quiet for the rest of the run
            if rule.yields_to and not ctx.fired.isdisjoint(rule.yields_to):
                continue
            found = rule.observe(ctx)
            if found and rule.yields_to and early:
                self._held += found
            elif found:
                ctx.fired.update(f.code for f in found)
                new += found
        if self._held:
            # a held finding whose cause has fired since is that cause's consequence: dropped
            self._held = [f for f in self._held if ctx.fired.isdisjoint(self._yields[f.code])]
            if not early and (probe is not None or not math.isfinite(value)):
                new += self._held  # released with the first probe after the hold
                self._held = []
        if not math.isfinite(value):
            self.halted = True
            self.prober.disarm()
        self.step_count = t + 1
        self._pre = None
        if not self.halted and self.schedule.is_probe(t + 1):
            self.prober.arm(t + 1)
        return self._add(new)

    def arm(self) -> None:
        """Attach the probe for the coming step if the schedule probes it. :meth:`step` does
        this for the next step itself; call it before the forward pass only after restoring
        state (e.g. in a callback's batch-start event), where the probe would otherwise be lost.
        """
        if not self.halted and self.schedule.is_probe(self.step_count):
            self.prober.arm(self.step_count)

    def epoch_end(self, logs: dict[str, Any]) -> list[Finding]:
        """Call once per epoch with its logs ("loss", "val_loss", "val_accuracy", ...); runs the
        curve rules (overfitting, underfitting, ...) and returns new findings. An
        "underfitting" verdict is dropped when a live finding (:data:`LIVE_CAUSES`) already
        explains the stall, "overfitting"/"overconfident_predictions" when the run is unstable
        (:data:`UNSTABLE`)."""
        self._last_logs = dict(logs)
        curves = self._curve_rules()
        epoch = self.epoch
        self.epoch += 1
        if curves is None or self.halted:
            return []
        found = list(curves.update(epoch, self._curve_logs(logs), step=self.step_count))
        if not self._codes.isdisjoint(LIVE_CAUSES):
            # the live finding already says why training stalls; "underfitting" would repeat it
            found = [f for f in found if f.code != "underfitting"]
        if not self._codes.isdisjoint(OVER_REGULARIZED_YIELDS_TO):
            # e.g. a stall from a tiny LR is not the weight decay's fault (lr * decay ~ 0)
            found = [f for f in found if f.code != "over_regularized"]
        if not self._codes.isdisjoint(UNSTABLE):
            # a run thrown about by its updates has a wild validation loss too: not a sign of
            # memorizing (circles at SGD lr 20: val loss 0.84 -> 8.9 with accuracy at chance)
            found = [f for f in found if f.code not in ("overfitting", "overconfident_predictions")]
        return self._add(found)

    def check_test(self, test_logs: dict[str, Any]) -> list[Finding]:
        """After training: compare test metrics ("loss", "accuracy" or "test_loss", ...) with
        the last epoch's validation metrics (``test_shift``); returns new findings."""
        if self._last_logs is None:
            return []
        try:
            from trainwise.doctor.curves import check_test_shift
        except ImportError:
            return []
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

    def close(self) -> None:
        """Remove every hook the doctor placed on the model."""
        self.prober.disarm()

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
        self._codes = {f.code for f in self._findings}
        self.losses.load_state_dict(state["losses"])
        for rule in self.rules:
            if rule.code in state.get("rules", {}):
                rule.load_state_dict(state["rules"][rule.code])
        self._last_logs = state.get("last_logs")
        self.probe_log = list(state.get("probe_log", []))
        if state.get("curves") is not None and self._curve_rules() is not None:
            self._curves.load_state_dict(state["curves"])
        self.probes.clear()
        self.prober.disarm()
        self.arm()

    # -- internals ------------------------------------------------------------------------------
    def _add(self, found: list[Finding]) -> list[Finding]:
        for f in found:
            self._findings.append(f)
            self._codes.add(f.code)
            if self.echo is not None:
                self.echo(f)
        return found

    def _curve_logs(self, logs: dict[str, Any]) -> dict[str, Any]:
        """The epoch's logs plus what the optimizer says about its learning rate: at the
        epoch's first and last step, and the scheduler's base LR (``initial_lr``), so the curve
        rules can tell a warm-up from a stall even on the first epoch."""
        out = dict(logs)
        start, end = self._epoch_lrs
        self._epoch_lrs = (None, None)
        if start is not None and end is not None:
            out |= {"lr_start": start, "lr_end": end}
            base = self.optimizer.param_groups[0].get("initial_lr") if self.optimizer else None
            if isinstance(base, (int, float)) and base > 0:
                out["lr_base"] = float(base)
        return out

    def _lr(self) -> float | None:
        if self.optimizer is None or not self.optimizer.param_groups:
            return None
        lr = float(self.optimizer.param_groups[0].get("lr", 0.0))
        if self.max_lr is None or lr > self.max_lr:
            self.max_lr = lr
        return lr

    def _num_classes(self) -> int | None:
        return max(self.label_counts) + 1 if self.label_counts else None

    def _remember_labels(self, y, task: str) -> None:
        if task == "regression" or y is None:
            return
        t = torch.as_tensor(y)
        if t.ndim != 1 or t.is_floating_point() and not bool((t == t.round()).all()):
            return
        values, counts = torch.unique(t.long(), return_counts=True)
        self.label_counts = dict(zip(values.tolist(), counts.tolist()))

    def _curve_rules(self):
        if self._curves is None and not self._curves_missing:
            try:
                from trainwise.doctor.curves import CurveRules
            except ImportError:
                self._curves_missing = True
                return None
            self._curves = CurveRules(**self._curve_facts())
        return self._curves

    def _curve_facts(self) -> dict[str, Any]:
        """What the curve rules get to know: the planned epochs (from ``total_steps`` and the
        first epoch's step count when not given), task, classes, validation size and a lazy
        reference model on the training data."""
        total_epochs = self.total_epochs
        if total_epochs is None and self.total_steps and self.step_count > 0:
            total_epochs = max(1, math.ceil(self.total_steps / self.step_count))
        classes = self._num_classes() if self.task != "regression" else None
        xy = self._train_xy

        def reference():
            from trainwise.doctor.curves.reference_accuracy import reference_accuracy

            return reference_accuracy(*xy)

        return {
            "total_epochs": total_epochs,
            "regularization": self.regularization or None,
            "task": self.task if self.task in TASKS else None,
            "num_classes": classes if classes is not None and classes >= 2 else None,
            "n_val": self.data_sizes.get("val"),
            "reference": reference if xy is not None else None,
        }

    def _last_module(self, names: list[str]) -> str:
        """Of the parameters ``names``, the module called last in the forward pass."""
        order = {m: i for i, m in enumerate(self.layout.module_order)}
        params = [n for n, _ in self.layout.params]
        return self.layout.module_of(
            max(names, key=lambda n: (order.get(self.layout.module_of(n), -1), params.index(n)))
        )

    def _locate(self, inputs, outputs, pre: dict[str, Any] | None) -> dict[str, Any] | None:
        """Where the non-finite loss of this step came from (see ``live/nan_loss.py``)."""
        if inputs is None:
            return None
        if isinstance(inputs, torch.Tensor) and inputs.is_floating_point():
            bad = ~torch.isfinite(inputs.detach())
            if bool(bad.any()):
                rows = bad.reshape(bad.shape[0], -1).any(dim=1) if bad.ndim > 1 else bad
                return {
                    "source": "inputs",
                    "bad_values": int(bad.sum()),
                    "first_sample": int(rows.nonzero()[0, 0]),
                }
        elif not all_finite(inputs):
            return {"source": "inputs", "bad_values": None, "first_sample": None}
        if outputs is not None and all_finite(outputs):
            return {"source": "loss"}
        with torch.no_grad():
            current_bad = [n for n, p in self.layout.params if not bool(torch.isfinite(p).all())]
        params = None
        if pre is not None and "params" in pre:
            pre_bad = [n for n, v in pre["params"].items() if not bool(torch.isfinite(v).all())]
            if pre_bad:
                return {
                    "source": "params",
                    "module": self._last_module(pre_bad),
                    "params_nonfinite": pre_bad[:10],
                }
            params = pre["params"]
        elif current_bad:
            snap = self.prober.last_snapshot
            if snap is not None and all(
                bool(torch.isfinite(v).all()) for v in snap.values.values()
            ):
                params = snap.values
        rep = replay_forward(self.model, inputs, params)
        if not rep["finite"]:
            module = rep["module"]
            target = self.model.get_submodule(module) if module else self.model
            values = params if params is not None else dict(self.layout.params)
            own = [f"{module}.{n}" if module else n for n, _ in target.named_parameters()]
            own_bad = [n for n in own if n in values and not bool(torch.isfinite(values[n]).all())]
            if own_bad:
                return {"source": "params", "module": module, "params_nonfinite": own_bad[:10]}
            return {
                "source": "module",
                "module": module,
                "culprit": rep["culprit"],
                "module_type": type(target).__name__,
                "replayed_with": "pre-update weights" if params is not None else "current weights",
            }
        start = self.losses.start()
        last = self.losses.finite_recent(1)
        if current_bad and pre is None and not (start and last and last[-1][1] > 10 * start):
            return {
                "source": "params",
                "module": self._last_module(current_bad),
                "params_nonfinite": current_bad[:10],
            }
        return {"source": "diverged"}


def _rows(y) -> int | None:
    """Sample count of a split's targets (None when absent or empty)."""
    try:
        n = len(y) if y is not None else 0
    except TypeError:
        return None
    return n or None


def _as_float(loss) -> float:
    if isinstance(loss, torch.Tensor):
        return float(loss.detach())
    return float(loss)


def _infer_task(targets) -> str | None:
    if not isinstance(targets, torch.Tensor):
        return None
    return "regression" if targets.is_floating_point() else "classification"
