"""``trainwise doctor CONFIG``: preflight checks, then a monitored run, then the findings.

Data errors (NaN values, labels out of range) end the diagnosis before training: they would
stop ``trainwise run`` with exit 2 anyway, and the doctor's job is to name them all at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainwise import run_files
from trainwise.data.load import load_data
from trainwise.doctor.doctor import Doctor
from trainwise.doctor.finding import Finding
from trainwise.models.build import build_model
from trainwise.run.schema import Config
from trainwise.run.session import resolve_run_dir, run_config
from trainwise.training.seeding import seed_everything


def preflight_only(model, bundle) -> list[Finding] | None:
    """Run preflight on a config's loaded data (a ``DataBundle``); return the findings if any
    is an error (the run cannot start), else None (``tw.fit`` then runs the full preflight
    itself, in the training order)."""
    doctor = Doctor(model, None, task=bundle.task)
    try:
        doctor.check_data(
            bundle.x_train,
            bundle.y_train,
            x_val=bundle.x_val,
            y_val=bundle.y_val,
            x_test=bundle.x_test,
            y_test=bundle.y_test,
            task=bundle.task,
        )
    finally:
        doctor.close()
    found = doctor.findings
    return found if any(f.severity == "error" for f in found) else None


def diagnose(cfg, out_dir=None, stem: str = "doctor", echo=print) -> dict[str, Any]:
    """Preflight, then (if the data can be trained on) the run with the doctor on.

    Returns ``{"run_dir", "findings" (list of dicts), "trained" (bool), "summary"}`` and writes
    ``findings.json`` into the run directory.

    Example::

        from trainwise.run import load_config
        report = diagnose(load_config("examples/circles.yaml"), "runs/circles-doctor")
    """
    cfg = cfg if isinstance(cfg, Config) else Config.model_validate(cfg)  # ConfigError if bad
    cfg = cfg.model_copy(update={"doctor": True})
    seed_everything(cfg.seed)
    bundle = load_data(cfg.data, seed=cfg.seed)
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    stop = preflight_only(model, bundle)
    if stop is not None:
        run_dir = resolve_run_dir(cfg, out_dir, stem, resume=False)
        for f in stop:
            echo(f"doctor: {f}")
        findings = [f.to_dict() for f in stop]
        (Path(run_dir) / run_files.FINDINGS).write_text(json.dumps(findings, indent=1))
        return {"run_dir": str(run_dir), "findings": findings, "trained": False, "summary": None}
    summary = run_config(cfg, out_dir, stem=stem, echo=echo, bundle=bundle)
    return {
        "run_dir": summary["run_dir"],
        "findings": summary.get("findings", []),
        "trained": True,
        "summary": summary,
    }
