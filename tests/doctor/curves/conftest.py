"""Shared helpers of the curve-rule tests: recorded runs (fixtures/*.json) and scripted curves.

Tests get them through the ``curves`` fixture (test modules cannot import this file under
``--import-mode=importlib``). The recorded runs come from fixtures/make_fixtures.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = sorted(p.stem for p in FIXTURES.glob("*.json"))


def load_record(name: str) -> dict:
    """A recorded run: history, test metrics, sizes, regularization, expected codes."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def facts_of(rec: dict) -> RunFacts:
    return RunFacts(
        total_epochs=rec["total_epochs"],
        num_classes=rec["num_classes"],
        n_val=rec["n_val"],
        regularization=dict(rec["regularization"]),
    )


def history_of(rows: list[dict], steps_per_epoch: int = 10) -> CurveHistory:
    h = CurveHistory()
    for e, row in enumerate(rows):
        h.add(e, row, step=steps_per_epoch * (e + 1))
    return h


def first_detection(rule, rows: list[dict], facts: RunFacts, steps_per_epoch: int = 10):
    """Feed ``rows`` epoch by epoch (``steps_per_epoch`` optimizer steps each); return (epoch
    detected, finding) of the first hit, or (None, None)."""
    h = CurveHistory()
    for e, row in enumerate(rows):
        h.add(e, row, step=steps_per_epoch * (e + 1))
        f = rule(h, facts)
        if f is not None:
            return e, f
    return None, None


def scripted(
    epochs: int,
    *,
    seed: int = 0,
    val_noise: float = 0.02,
    turn: int | None = None,
    rise_per_epoch: float = 0.0,
    acc_per_epoch_after_turn: float = 0.0,
    floor: float = 0.05,
) -> list[dict]:
    """A scripted classification run: training loss decays from 2.3 towards ``floor``;
    validation loss follows it (+10%) with Gaussian noise ``val_noise`` (relative) and, from
    epoch ``turn`` on, climbs by ``rise_per_epoch`` per epoch; validation accuracy rises to
    ~0.9 (and by ``acc_per_epoch_after_turn`` per epoch after the turn)."""
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(epochs):
        train = floor + (2.3 - floor) * np.exp(-e / 4.0)
        val = (0.1 + train) * 1.1
        acc = 0.9 - 0.8 * np.exp(-e / 3.0)
        if turn is not None and e > turn:
            val = (0.1 + floor + (2.3 - floor) * np.exp(-turn / 4.0)) * 1.1
            val += rise_per_epoch * (e - turn)
            acc = 0.9 - 0.8 * np.exp(-turn / 3.0) + acc_per_epoch_after_turn * (e - turn)
        val *= 1.0 + val_noise * rng.standard_normal()
        acc = float(np.clip(acc + 0.005 * rng.standard_normal(), 0.0, 1.0))
        rows.append(
            {
                "loss": float(train * (1 + 0.01 * rng.standard_normal())),
                "accuracy": float(min(1.0, acc + 0.05)),
                "val_loss": float(val),
                "val_accuracy": acc,
            }
        )
    return rows


#: the recorded runs on which every curve rule must stay silent
HEALTHY = [n for n in RECORDED if n.startswith(("healthy_", "plateau_"))]


@pytest.fixture
def curves():
    return SimpleNamespace(
        load=load_record,
        facts=facts_of,
        history=history_of,
        first_detection=first_detection,
        scripted=scripted,
        recorded=RECORDED,
        healthy=HEALTHY,
    )
