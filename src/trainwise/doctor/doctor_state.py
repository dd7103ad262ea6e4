"""The doctor's resume state: what :meth:`Doctor.state_dict` saves and
:meth:`Doctor.load_state_dict` restores, so a resumed run keeps its findings, baselines and
streaks (JSON-able). Pending lazy reads are judged first (``Doctor.flush``), so the state is
that of every step seen and nothing waits on the device."""

from __future__ import annotations

from typing import Any

from trainwise.doctor.finding import Finding


def doctor_state(doc) -> dict[str, Any]:
    """``doc``'s state after judging its pending steps.

    Example::

        state = doctor_state(doctor)   # == doctor.state_dict()
    """
    doc.flush()
    curves = doc._curves
    return {
        "step": doc.step_count,
        "epoch": doc.epoch,
        "task": doc.task,
        "max_lr": doc.max_lr,
        "epoch_lrs": list(doc._epoch_lrs),
        "halted": doc.halted,
        "label_counts": {str(k): v for k, v in doc.label_counts.items()},
        "findings": [f.to_dict() for f in doc._findings],
        "held": [f.to_dict() for f in doc._held],
        "losses": doc.losses.state_dict(),
        "rules": {r.code: r.state_dict() for r in doc.rules},
        "last_logs": doc._last_logs,
        "probe_log": doc.probe_log,
        "curves": curves.state_dict() if curves is not None else None,
    }


def load_doctor_state(doc, state: dict[str, Any]) -> None:
    """Restore what :func:`doctor_state` saved into ``doc`` (and re-arm its probe).

    Example::

        load_doctor_state(doctor, state)   # == doctor.load_state_dict(state)
    """
    doc.reader.pending = []
    doc.step_count = doc.judged_steps = int(state["step"])
    doc.epoch = int(state["epoch"])
    doc.task = state.get("task", doc.task)
    doc.max_lr = state.get("max_lr")
    start, end = state.get("epoch_lrs") or (None, None)
    doc._epoch_lrs = (start, end)
    doc.halted = bool(state.get("halted", False))
    doc.label_counts = {int(k): int(v) for k, v in state.get("label_counts", {}).items()}
    doc._findings = [Finding.from_dict(d) for d in state.get("findings", [])]
    doc._held = [Finding.from_dict(d) for d in state.get("held", [])]
    doc._codes = {f.code for f in doc._findings if f.severity != "info"}
    doc.losses.load_state_dict(state["losses"])
    for rule in doc.rules:
        if rule.code in state.get("rules", {}):
            rule.load_state_dict(state["rules"][rule.code])
    doc._last_logs = state.get("last_logs")
    doc.probe_log = list(state.get("probe_log", []))
    if state.get("curves") is not None:
        doc._curve_rules().load_state_dict(state["curves"])
    doc.probes.clear()
    doc.prober.disarm()
    doc.arm()
