"""Fixtures of the report tests: hand-made run and comparison directories (every file the
report reads, in the formats fit/compare write), one tiny real run, and the browser."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import yaml

EVIL = '<script>alert("x")</script>'

LAYERS = ["features.dense1.weight", "features.dense2.weight", "head.weight"]


def write_run(
    path: Path,
    epochs: int = 4,
    *,
    nan_from: int | None = None,
    probes: bool = True,
    activation: str = "relu",
    findings: list | None = None,
    name: str | None = None,
    lr_find: bool = False,
    regression: bool = False,
    offset: float = 0.0,
) -> Path:
    """A run directory in the formats ``run_config`` writes: config.yaml, metrics.jsonl,
    lr_steps.json, probes.jsonl, findings.json, summary.json (and lr_find.json). From epoch
    ``nan_from`` on, the losses are NaN/inf, as in a diverged run; ``offset`` shifts the
    curves (to tell variants and seeds apart)."""
    path.mkdir(parents=True, exist_ok=True)
    metric = "mae" if regression else "accuracy"
    cfg = {
        "seed": 0,
        "data": {"name": "regression" if regression else "circles"},
        "model": {"name": "mlp", "activation": activation},
        "output": {"dir": "runs", "name": name},
    }
    (path / "config.yaml").write_text(yaml.safe_dump(cfg))
    rows = []
    for e in range(1, epochs + 1):
        bad = nan_from is not None and e >= nan_from
        rows.append(
            {
                "epoch": e,
                "loss": math.nan if bad else 1.0 / e + offset,
                metric: 0.5 + 0.1 * e - offset,
                "val_loss": math.inf if bad else 1.2 / e + offset,
                f"val_{metric}": 0.45 + 0.1 * e - offset,
                "lr": 0.01,
                "time": 0.1,
            }
        )
    # json.dumps writes NaN/Infinity literals, exactly as the metrics log does
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    steps = epochs * 10
    (path / "lr_steps.json").write_text(json.dumps([0.01 * (1 + i) / steps for i in range(steps)]))
    if probes:
        recs = []
        for i, step in enumerate([0, 1, 2, 3, 4, 5, 6, 7, 9, 13, 21, steps - 1]):
            recs.append(
                {
                    "step": step,
                    "epoch": step // 10,
                    "loss": 1.0 / (1 + i),
                    "grad_norm": {w: 0.1 * (k + 1) / (1 + i) for k, w in enumerate(LAYERS)},
                    "update_ratio": {w: 1e-3 * (k + 1) for k, w in enumerate(LAYERS)},
                    "dead": {"features.act1": 0.05 * i, "features.act2": 0.0}
                    if activation == "relu"
                    else {},
                    "saturated": {"features.act1": 0.02 * i} if activation == "tanh" else {},
                }
            )
        recs[3]["grad_norm"][LAYERS[0]] = None  # a non-finite reading (record() writes null)
        (path / "probes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    if findings is not None:
        (path / "findings.json").write_text(json.dumps(findings))
    summary = {
        "run_dir": str(path),
        "epochs_run": epochs,
        "best_epoch": 2,
        "best": {"loss": 0.5, "val_loss": 0.6, f"val_{metric}": 0.65},
        "final": rows[-1],
        "test": {"test_loss": 0.61, f"test_{metric}": 0.93},
        "train_seconds": 1.25,
        "params": 1218,
        "stop_reason": None,
        "findings": findings or [],
    }
    (path / "summary.json").write_text(json.dumps(summary))
    if lr_find:
        lrs = [1e-5 * 10 ** (i / 10) for i in range(50)]
        losses = [2.0 - 0.02 * i if i < 40 else 5.0 + i for i in range(50)]
        losses[45] = None  # non-finite losses are null in lr_find.json
        lr_data = {
            "suggested": 1e-3,
            "suggestions": {"steepest": 8e-4, "valley": 1e-3, "min_div_10": None},
            "agreement_decades": 0.1,
            "message": "suggested LR 1e-3",
            "lrs": lrs,
            "losses": losses,
            "smoothed": losses,
        }
        (path / "lr_find.json").write_text(json.dumps(lr_data))
    return path


def finding(code="lr_too_high", severity="warning", **kw) -> dict:
    """A ``Finding.to_dict()``-shaped dict."""
    d = {
        "code": code,
        "severity": severity,
        "message": "learning rate 5.0 is too high",
        "fix": {"text": "lower the learning rate", "overrides": {"optimizer.lr": 0.05}},
        "step": 40,
        "epoch": 1,
        "where": None,
        "evidence": {"update_ratio": 0.31234567, "probes": [1, 2]},
    }
    d.update(kw)
    return d


def write_compare(root: Path, seeds=(0, 1)) -> Path:
    """A comparison directory as ``trainwise compare`` writes it (compare.json version 1),
    with hand-made trial runs; one trial has its own report.html, one never ran."""
    variants = []
    for k, (name, overrides) in enumerate(
        [("baseline", {}), ("+dropout 0.2", {"model.dropout": 0.2})]
    ):
        trials = []
        for s in seeds:
            rel = f"trials/{'baseline' if k == 0 else 'dropout-0.2'}/seed-{s}"
            found = [finding()] if (k == 1 and s == seeds[0]) else []
            offset = 0.02 * s - 0.08 * k
            write_run(root / rel, epochs=3 + s, findings=found, probes=False, offset=offset)
            trials.append(
                {
                    "seed": s,
                    "fold": None,
                    "dir": rel,
                    "status": "done",
                    "wall_seconds": 1.5,
                    "metrics": {"test_accuracy": 0.9 + 0.01 * k, "val_loss": 0.3},
                }
            )
        stats = {
            "test_accuracy": {"mean": 0.9 + 0.01 * k, "std": 0.004, "n": 2, "ci95": [0.88, 0.93]},
            "val_loss": {"mean": 0.3, "std": None, "n": 2, "ci95": None},
        }
        diff = (
            {}
            if k == 0
            else {
                "test_accuracy": {
                    "mean": 0.012,
                    "std": 0.003,
                    "n": 2,
                    "ci95": [0.004, 0.02],
                    "p": 0.02,
                },
                "val_loss": {"mean": -0.01, "std": None, "n": 2, "ci95": None, "p": None},
            }
        )
        variants.append(
            {
                "name": name,
                "overrides": overrides,
                "trials": trials,
                "stats": stats,
                "diff": diff,
                "wall_seconds": {"mean": 1.5, "total": 3.0},
            }
        )
    variants[1]["trials"].append(
        {
            "seed": 9,
            "fold": None,
            "dir": "trials/dropout-0.2/seed-9",
            "status": "failed",
            "wall_seconds": None,
            "metrics": {},
        }
    )
    (root / "trials/baseline/seed-0/report.html").write_text("<html></html>")
    data = {
        "version": 1,
        "config": {"data": {"name": "circles"}, "model": {"name": "mlp"}},
        "baseline": "baseline",
        "metrics": ["test_accuracy", "val_loss"],
        "seeds": list(seeds),
        "folds": None,
        "variants": variants,
    }
    (root / "compare.json").write_text(json.dumps(data))
    return root


@pytest.fixture
def run_dir(tmp_path):
    """A complete hand-made run directory with one finding and an LR finder sweep."""
    return write_run(tmp_path / "run", findings=[finding()], lr_find=True)


@pytest.fixture
def small_run_dir(tmp_path):
    """A run directory without probes or LR finder (3 plots: cheaper to report)."""
    return write_run(tmp_path / "small", findings=[finding()], probes=False)


@pytest.fixture
def compare_dir(tmp_path):
    return write_compare(tmp_path / "cmp")


@pytest.fixture
def make_run():
    """:func:`write_run`, for tests that need a run directory of their own shape."""
    return write_run


@pytest.fixture
def make_finding():
    """:func:`finding`: a ``Finding.to_dict()``-shaped dict, fields overridable."""
    return finding


def load_cdp():
    """tests/report/cdp.py, the DevTools client. It is a helper, not a test; tests run with
    --import-mode=importlib (this folder is not on sys.path), so it is loaded from its path."""
    if "trainwise_test_cdp" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "trainwise_test_cdp", Path(__file__).with_name("cdp.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["trainwise_test_cdp"]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium over the DevTools protocol, one per session; skipped when Chromium
    (or websocket-client, from the test extras) is missing."""
    pytest.importorskip("websocket", reason="websocket-client missing: pip install -e .[test]")
    cdp = load_cdp()
    if cdp.find_browser() is None:
        pytest.skip("chromium is not installed: run `make browser` (part of `make test`)")
    b = cdp.Browser()
    yield b
    b.close()
