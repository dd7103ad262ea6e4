"""bench/doctor_overhead.py: the whole-run lockstep measurement behind bench/overhead.py's
doctor figures, on a tiny model (well under a second)."""

import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from doctor_overhead import paired_whole_run  # noqa: E402


def test_paired_whole_run_times_both_runs_and_the_preflight_into_the_doctors():
    torch.manual_seed(0)
    x, xv = torch.randn(256, 6), torch.randn(64, 6)
    y, yv = (x[:, 0] > 0).long(), (xv[:, 0] > 0).long()
    base = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
    off, on, preflight, found = paired_whole_run(base, (x, y, xv, yv), 2, 32, 1e-2, 0.0, seed=0)
    assert off > 0 and on > preflight > 0
    assert isinstance(found, list)
    assert all(p.grad is None for p in base.parameters())  # the base model is only copied


def test_paired_whole_run_takes_any_clock():
    ticks = []

    def clock():  # a fake clock: one second per reading
        ticks.append(None)
        return float(len(ticks))

    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
    base = nn.Sequential(nn.Linear(3, 2))
    off, on, preflight, _ = paired_whole_run(base, (x, y, x, y), 1, 32, 1e-2, 0.0, 0, clock=clock)
    assert preflight == 1.0  # read twice around check_data
    # two batches and one validation pass each: one second per timed block
    assert (off, on) == (3.0, 4.0)
