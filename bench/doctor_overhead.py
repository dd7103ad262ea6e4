"""Doctor overhead: the default recipe's model in a plain PyTorch loop, with and without
``Doctor.step``.

Two copies of the same model (same initial weights) train in lockstep on the same batches,
one with the doctor; every optimizer step of each is timed, alternating which copy goes first,
so drift in machine speed (a shared CPU) hits both alike within milliseconds. The figure is
the median over repetitions of (total time with the doctor) / (total time without). The doctor runs at its default settings for the planned
run (``total_steps`` = epochs x batches per epoch), with inputs, targets and outputs passed,
as ``tw.fit`` does.

Usage::

    python bench/doctor_overhead.py [--reps 3] [--epochs 30] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from importlib.resources import files

import torch
from torch import nn

from trainwise.data.load import load_data
from trainwise.doctor import Doctor
from trainwise.models.build import build_model
from trainwise.run import load_config


def paired_run(base, x, y, epochs: int, batch_size: int, lr: float, wd: float, seed: int):
    """Train two copies of ``base`` in lockstep on the same batches, one with the doctor; time
    every step of each, alternating which goes first. Returns (seconds off, seconds on,
    findings on the healthy run)."""
    runs = []
    for _ in range(2):  # [model, optimizer, doctor, seconds]: off, then on
        model = copy.deepcopy(base)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
        runs.append([model, opt, None, 0.0])
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    steps = epochs * -(-len(x) // batch_size)
    runs[1][2] = Doctor(runs[1][0], runs[1][1], loss_fn=loss_fn, total_steps=steps)
    g = torch.Generator().manual_seed(seed)
    for m, *_ in runs:
        m.train()
    t = 0
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            xb, yb = x[idx], y[idx]
            for run in runs if t % 2 == 0 else runs[::-1]:
                model, opt, doc, _ = run
                t0 = time.perf_counter()
                out = model(xb)
                loss = loss_fn(out, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if doc is not None:
                    doc.step(loss, inputs=xb, targets=yb, outputs=out)
                else:
                    float(loss.detach())  # a careful hand-written loop logs the loss too
                run[3] += time.perf_counter() - t0
            t += 1
    doc = runs[1][2]
    doc.close()
    return runs[0][3], runs[1][3], [f.code for f in doc.findings]


def paired_whole_run(
    base,
    data,
    epochs: int,
    batch_size: int,
    lr: float,
    wd: float,
    seed: int,
    clock=time.perf_counter,
):
    """Like :func:`paired_run`, but the whole run as a user's loop has it: the doctor's
    preflight (``check_data`` on the training and validation data) timed into the run with the
    doctor, a validation pass after every epoch in both runs, and ``Doctor.epoch_end`` with
    its logs (curve rules) in the run with it. ``data`` is ``(x, y, x_val, y_val)``. ``clock``
    (default wall time): ``time.process_time`` counts this process's CPU time instead, which
    other programs on a shared machine barely move (with one torch thread; with more, idle
    OpenMP threads spin on both sides). Returns (seconds off, seconds on, seconds of the
    preflight alone, findings)."""
    x, y, xv, yv = data
    runs = []
    for _ in range(2):
        model = copy.deepcopy(base)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
        runs.append([model, opt, None, 0.0])
    loss_fn = nn.CrossEntropyLoss()
    steps = epochs * -(-len(x) // batch_size)
    t0 = clock()
    doc = Doctor(runs[1][0], runs[1][1], loss_fn=loss_fn, total_steps=steps)
    doc.check_data(x, y, x_val=xv, y_val=yv)
    preflight = clock() - t0
    runs[1][2], runs[1][3] = doc, preflight
    g = torch.Generator().manual_seed(seed)
    t = 0
    for _ in range(epochs):
        sums = [torch.zeros(()), torch.zeros(())]
        for m, *_ in runs:
            m.train()
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            xb, yb = x[idx], y[idx]
            for k in (0, 1) if t % 2 == 0 else (1, 0):
                model, opt, d, _ = runs[k]
                t1 = clock()
                out = model(xb)
                loss = loss_fn(out, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if d is not None:
                    d.step(loss, inputs=xb, targets=yb)
                sums[k] += loss.detach() * len(idx)
                runs[k][3] += clock() - t1
            t += 1
        for k, (model, _, d, _) in enumerate(runs):
            t1 = clock()
            model.eval()
            with torch.no_grad():
                out = model(xv)
                logs = {
                    "loss": float(sums[k]) / len(x),
                    "val_loss": float(loss_fn(out, yv)),
                    "val_accuracy": float((out.argmax(1) == yv).float().mean()),
                }
            if d is not None:
                d.epoch_end(logs)
            runs[k][3] += clock() - t1
    doc.close()
    return runs[0][3], runs[1][3], preflight, [f.code for f in doc.findings]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = load_config(files("trainwise") / "recipes" / "default.yaml")
    bundle = load_data(cfg.data, seed=cfg.seed)
    torch.manual_seed(cfg.seed)
    base = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    x, y = bundle.x_train, bundle.y_train
    bs = cfg.training.batch_size
    lr, wd = cfg.optimizer.lr, cfg.optimizer.weight_decay
    ratios, offs, ons = [], [], []
    for rep in range(args.reps):
        off, on, found = paired_run(base, x, y, args.epochs, bs, lr, wd, seed=rep)
        offs.append(off)
        ons.append(on)
        ratios.append(on / off)
        print(f"rep {rep}: off {off:.2f}s  on {on:.2f}s  ratio {on / off:.4f}  findings {found}")
    steps = args.epochs * -(-len(x) // bs)
    result = {
        "steps": steps,
        "off_s": statistics.median(offs),
        "on_s": statistics.median(ons),
        "ratio_median": statistics.median(ratios),
        "overhead_pct": 100 * (statistics.median(ratios) - 1),
        "threads": args.threads,
    }
    print(
        f"default recipe model, {steps} steps: doctor on/off = {result['ratio_median']:.4f} "
        f"({result['overhead_pct']:+.2f}% per step, median of {args.reps} pairs)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
