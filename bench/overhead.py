"""Training-loop overhead: ``tw.fit`` against a hand-written PyTorch loop on the same work.

Same model (same initial weights), same data, same optimizer, same number of steps, same
per-epoch validation; runs alternate (raw, fit, raw, fit, ...) so drift in machine speed hits
both alike, and the reported figure is the median of the per-pair ratios. With
``pip install -e .[bench]``, Lightning and Keras 3 (torch backend) run the same work too.
``tw.fit`` runs twice per rep, with the doctor at its defaults (as users get it) and with
``doctor=False``; their median ratio is the doctor's whole cost, preflight included.

The doctor's per-step cost is the headline figure, and whole runs minutes apart cannot resolve
it on a shared machine (their ratio wandered 1.007-1.040 over three invocations). So it is
measured in lockstep (``doctor_overhead.paired_run``): two copies of the model train on the
same batches, the copy with ``Doctor.step`` and the one without alternating step by step, so
machine drift hits both within milliseconds.

At the end it prints the issue's three cost figures (:func:`doctor_figures`): whole run
doctor on / off, preflight included, in lockstep, on the default recipe (target <= 3%) and
on a short run (~300 steps of the small CNN on MNIST-1D, target <= 10%), and the preflight
alone on 4,000 samples (target <= 0.5 s); ``--doctor-only`` prints just those.

Usage::

    python bench/overhead.py [--reps 7] [--epochs 10] [--threads 2] [--json out.json]
    python bench/overhead.py --doctor-only --reps 3
    python bench/overhead.py --doctor-only --reps 3 --threads 1 --clock cpu   # busy machine
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from importlib.resources import files

import torch
from torch import nn

import trainwise as tw

os.environ.setdefault("KERAS_BACKEND", "torch")  # before any keras import: no TensorFlow here
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doctor_overhead import paired_run, paired_whole_run  # noqa: E402
from trainwise.data.load import load_data
from trainwise.doctor import Doctor
from trainwise.models.build import build_model
from trainwise.run import Config, load_config


def raw_loop(model, x, y, xv, yv, epochs, batch_size, lr, seed):
    """What a careful person writes by hand: index slicing, Adam, eval each epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    for _ in range(epochs):
        model.train()
        total = torch.zeros(())
        for idx in torch.randperm(n, generator=g).split(batch_size):
            xb, yb = x[idx], y[idx]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        model.eval()
        with torch.no_grad():
            out = model(xv)
            _ = loss_fn(out, yv).item(), (out.argmax(1) == yv).float().mean().item()
        _ = (total / n).item()


def tw_fit(model, x, y, xv, yv, epochs, batch_size, lr, seed, out_dir, doctor=True) -> float:
    """Runs ``tw.fit``; returns the seconds of its training loop alone (without the setup
    and the doctor's one-off preflight)."""
    result = tw.fit(
        model,
        (x, y),
        val_data=(xv, yv),
        loss="cross_entropy",
        optimizer="adam",
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        verbose=False,
        out_dir=out_dir,
        doctor=doctor,
    )
    return result.wall_time


def lightning_fit(model, x, y, xv, yv, epochs, batch_size, lr, seed):
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = model
            self.loss_fn = nn.CrossEntropyLoss()

        def training_step(self, batch, _):
            xb, yb = batch
            loss = self.loss_fn(self.net(xb), yb)
            self.log("loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch, _):
            xb, yb = batch
            out = self.net(xb)
            self.log("val_loss", self.loss_fn(out, yb))
            self.log("val_acc", (out.argmax(1) == yb).float().mean())

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=lr)

    train = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    val = DataLoader(TensorDataset(xv, yv), batch_size=len(xv))
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Module(), train, val)


def keras_fit(model, x, y, xv, yv, epochs, batch_size, lr, seed):
    import keras

    class Wrapped(keras.Model):
        def __init__(self):
            super().__init__()
            self.net = keras.layers.TorchModuleWrapper(model)

        def call(self, inputs):
            return self.net(inputs)

    km = Wrapped()
    km.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    km.fit(
        x.numpy(),
        y.numpy(),
        validation_data=(xv.numpy(), yv.numpy()),
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
    )


#: the issue's targets: doctor on / off over a whole run (percent), and the preflight alone
TARGETS = {"default_recipe": 3.0, "short_run": 10.0, "preflight_4000_s": 0.5}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def preflight_seconds(reps: int, clock=time.perf_counter) -> list[float]:
    """Seconds of ``Doctor.check_data`` on 4,000 MNIST-1D training samples (plus a
    1,000-sample validation split), each time with a fresh doctor and the default CNN; one
    figure per rep, after one dropped warm-up (imports of scipy and scikit-learn)."""
    cfg = Config.model_validate({"data": {"name": "mnist1d"}})
    bundle = load_data(cfg.data, seed=0)
    x = torch.cat([bundle.x_train, bundle.x_val, bundle.x_test])
    y = torch.cat([bundle.y_train, bundle.y_val, bundle.y_test])
    if len(x) < 5000:
        raise SystemExit(f"MNIST-1D has {len(x)} samples here; 5000 are needed")
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    times = []
    for _ in range(reps + 1):
        doctor = Doctor(model)
        t0 = clock()
        doctor.check_data(x[:4000], y[:4000], x_val=x[4000:5000], y_val=y[4000:5000])
        times.append(clock() - t0)
        doctor.close()
    return times[1:]


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.4f}, min {min(values):.4f}, max {max(values):.4f}"


def doctor_figures(reps: int, clock: str = "wall") -> dict:
    """The issue's three cost figures, each printed with its target: whole run doctor on /
    off, preflight included, in lockstep (:func:`doctor_overhead.paired_whole_run`), on the
    default recipe (its model, data, batch size and epochs: 1,080 steps) and on a short run
    (the default small CNN on MNIST-1D, 10 epochs of batch 128: 290 steps); and the preflight
    alone on 4,000 samples. Medians over ``reps``, with the spread; ``clock`` "wall" (default)
    or "cpu" (this process's CPU time: steadier on a shared machine, see paired_whole_run)."""
    tick = CLOCKS[clock]
    out: dict = {"clock": clock, "reps": reps}
    recipe = load_config(files("trainwise") / "recipes" / "default.yaml")
    short = Config.model_validate({"data": {"name": "mnist1d"}})
    plans = (
        ("default_recipe", recipe, recipe.training.epochs, recipe.training.batch_size),
        ("short_run", short, 10, 128),
    )
    for name, cfg, epochs, bs in plans:
        bundle = load_data(cfg.data, seed=0)
        torch.manual_seed(0)
        base = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
        data = (bundle.x_train, bundle.y_train, bundle.x_val, bundle.y_val)
        paired_whole_run(base, data, 1, bs, 1e-3, 0.0, seed=99, clock=tick)  # warm-up, dropped
        ratios, pre, offs = [], [], []
        for rep in range(reps):
            off, on, p, _ = paired_whole_run(base, data, epochs, bs, 1e-3, 0.0, rep, clock=tick)
            ratios.append(on / off)
            pre.append(p)
            offs.append(off)
        out[name] = {
            "steps": epochs * -(-len(bundle.x_train) // bs),
            "ratio": statistics.median(ratios),
            "ratios": ratios,
            "off_s": statistics.median(offs),
            "preflight_s": statistics.median(pre),
        }
    pre4000 = preflight_seconds(max(3, reps), tick)
    out["preflight_4000_s"] = statistics.median(pre4000)
    out["preflight_4000_all_s"] = pre4000
    print(f"\nThe doctor's cost ({clock} clock, median of {reps} reps; spread in brackets):")
    for name, label in (("default_recipe", "default recipe"), ("short_run", "short run")):
        r, target = out[name], TARGETS[name]
        pct = 100 * (r["ratio"] - 1)
        verdict = "OK" if pct <= target else "OVER"
        print(
            f"  {label:<15} doctor on / off, whole run incl. preflight, {r['steps']} steps: "
            f"{pct:+.2f}% (target <= {target:g}%: {verdict}) [ratios {_spread(r['ratios'])}; "
            f"run without doctor {r['off_s']:.2f} s, preflight {r['preflight_s']:.3f} s of it]"
        )
    p4000, target = out["preflight_4000_s"], TARGETS["preflight_4000_s"]
    verdict = "OK" if p4000 <= target else "OVER"
    print(
        f"  {'preflight':<15} check_data on 4,000 samples (+1,000 validation): {p4000:.3f} s "
        f"(target <= {target:g} s: {verdict}) [{_spread(pre4000)}]"
    )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--doctor-only",
        action="store_true",
        help="print only the doctor's three cost figures (skip the framework comparison)",
    )
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="the doctor figures' clock: wall time (default) or this process's CPU time, "
        "steadier on a busy shared machine (use it with --threads 1)",
    )
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.doctor_only:
        result = {"doctor": doctor_figures(args.reps, args.clock), "threads": args.threads}
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
        return result

    # the default recipe's model and data (what docs/benchmarks.md describes); Config() alone
    # would be the generic small pooled CNN, ~4x cheaper per step
    cfg = load_config(files("trainwise") / "recipes" / "default.yaml")
    bundle = load_data(cfg.data, seed=0)
    x, y, xv, yv = bundle.x_train, bundle.y_train, bundle.x_val, bundle.y_val
    torch.manual_seed(0)
    base = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    steps = args.epochs * -(-len(x) // args.batch_size)
    common = dict(epochs=args.epochs, batch_size=args.batch_size, lr=1e-3, seed=0)

    # "trainwise" is tw.fit as users get it (doctor on: preflight + probes); "no doctor" is
    # the same with doctor=False, so their ratio is the doctor's whole cost
    contenders = {"raw": raw_loop, "trainwise": None, "no doctor": None}
    for name, fn, module in (
        ("lightning", lightning_fit, "lightning"),
        ("keras", keras_fit, "keras"),
    ):
        try:
            __import__(module)
            contenders[name] = fn
        except ImportError:
            pass

    times: dict[str, list[float]] = {k: [] for k in contenders}
    loop_times: dict[str, list[float]] = {"trainwise": [], "no doctor": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps + 1):  # rep 0 warms up caches and is dropped
            for name, fn in contenders.items():
                model = copy.deepcopy(base)
                t0 = time.perf_counter()
                if name in ("trainwise", "no doctor"):
                    out = f"{tmp}/{name.replace(' ', '_')}{rep}"
                    loop = tw_fit(
                        model, x, y, xv, yv, out_dir=out, doctor=name == "trainwise", **common
                    )
                    if rep:
                        loop_times[name].append(loop)
                else:
                    fn(model, x, y, xv, yv, **common)
                if rep:
                    times[name].append(time.perf_counter() - t0)

    raw = times["raw"]
    result = {
        "steps": steps,
        "reps": args.reps,
        "threads": args.threads,
        "median_seconds": {k: statistics.median(v) for k, v in times.items()},
        "median_ratio": {
            k: statistics.median(t / r for t, r in zip(v, raw)) for k, v in times.items()
        },
    }
    print(f"{steps} optimizer steps per run, {args.reps} alternating reps, {args.threads} threads")
    print(f"{'loop':<12}{'median s':>10}{'ratio to raw':>14}")
    for k in times:
        print(f"{k:<12}{result['median_seconds'][k]:>10.3f}{result['median_ratio'][k]:>14.3f}")
    doctor = statistics.median(t / n for t, n in zip(times["trainwise"], times["no doctor"]))
    loop_ratio = statistics.median(
        t / n for t, n in zip(loop_times["trainwise"], loop_times["no doctor"])
    )
    lockstep = []
    for rep in range(args.reps):
        off, on, _ = paired_run(base, x, y, args.epochs, args.batch_size, lr=1e-3, wd=0.0, seed=rep)
        lockstep.append(on / off)
    per_step = statistics.median(lockstep)
    result["doctor_on_off"] = doctor
    result["doctor_on_off_fit_loop"] = loop_ratio
    result["doctor_on_off_per_step"] = per_step
    print(
        f"doctor on / off, per step (lockstep, median of {args.reps}): {per_step:.4f} "
        f"({100 * (per_step - 1):+.2f}%)"
    )
    print(f"doctor on / off, tw.fit training loops minutes apart (noisy): {loop_ratio:.4f}")
    print(f"doctor on / off, whole run (incl. the one-off preflight): {doctor:.4f}")
    result["doctor"] = doctor_figures(args.reps, args.clock)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
