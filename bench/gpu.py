"""GPU throughput: ``tw.fit`` against a hand-written loop (and Lightning) on CUDA.

Two workloads: the default recipe (MNIST-1D, the 4-layer 1-D CNN, AdamW + one-cycle, batch
128) and a larger one (a ResNet on 32x32 synthetic RGB images, 10 classes, batch 256). Each
in fp32, bf16 and fp16, with and without ``torch.compile``, is trained by:

- ``raw``: a careful hand-written loop: pinned batches copied with ``non_blocking=True``,
  loss and accuracy summed on the device and read once per epoch, autocast (+ GradScaler for
  fp16), validation each epoch;
- ``fit``: ``tw.fit`` with ``doctor=False``; ``fit+doctor``: with the doctor at its defaults;
- ``lightning``: ``lightning.Trainer`` on the same module, when ``lightning`` is installed.

Every run starts from the same weights and trains the same epochs, validation included. The
figure is images per second over the epochs after the first (the first holds CUDA start-up,
cuDNN autotuning and compilation), the median over ``--reps`` repetitions run in alternation
so drift in the machine's speed hits every runner alike; peak memory is
``torch.cuda.max_memory_allocated`` of the run. Ratios: raw / fit throughput (target <= 1.03)
and fit / fit+doctor (target <= 1.05).

Usage::

    python bench/gpu.py [--reps 3] [--epochs 4] [--workloads default resnet]
                        [--json gpu.json] [--md gpu.md]

Without a CUDA device it prints why and exits with status 0, measuring nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

import trainwise as tw
from trainwise.cli.commands import DEFAULT_RECIPE
from trainwise.data.load import load_data
from trainwise.models.build import build_model
from trainwise.models.resnet import ResNet
from trainwise.run import load_config
from trainwise.training.amp import resolve_precision

PRECISIONS = ("fp32", "bf16", "fp16")
NO_CUDA = (
    "bench/gpu.py: no CUDA device (torch.cuda.is_available() is False), so nothing was "
    "measured. Run it on a machine with an NVIDIA GPU and a CUDA build of torch; "
    "docs/performance.md says how."
)


class Workload:
    """Data, a model factory and the recipe's optimizer settings."""

    def __init__(self, name, x, y, xv, yv, make_model, batch_size, lr, wd, smoothing):
        self.name, self.x, self.y, self.xv, self.yv = name, x, y, xv, yv
        self.make_model, self.batch_size = make_model, batch_size
        self.lr, self.wd, self.smoothing = lr, wd, smoothing


def default_workload() -> Workload:
    cfg = load_config(DEFAULT_RECIPE, [])
    b = load_data(cfg.data, seed=cfg.seed)

    def make():
        torch.manual_seed(0)
        return build_model(cfg.model, b.input_shape, b.output_dim)

    return Workload(
        "default recipe (MNIST-1D CNN, batch 128)", b.x_train, b.y_train, b.x_val, b.y_val,
        make, cfg.training.batch_size, cfg.optimizer.lr, cfg.optimizer.weight_decay,
        cfg.loss.label_smoothing,
    )  # fmt: skip


def resnet_workload(n_train: int = 20_000, n_val: int = 2_000) -> Workload:
    g = torch.Generator().manual_seed(0)
    # class-dependent colour means plus noise: learnable, so losses fall as they would
    means = torch.randn(10, 3, 1, 1, generator=g)
    y = torch.randint(0, 10, (n_train + n_val,), generator=g)
    x = means[y] + torch.randn(n_train + n_val, 3, 32, 32, generator=g)

    def make():
        torch.manual_seed(0)
        return ResNet((3, 32, 32), 10, channels=(64, 128, 256), blocks=2, pool="max")

    return Workload(
        "ResNet on 32x32 synthetic images, batch 256", x[:n_train], y[:n_train], x[n_train:],
        y[n_train:], make, 256, 1e-3, 0.05, 0.0,
    )  # fmt: skip


def _epoch_ips(epoch_seconds: list[float], samples: int) -> float:
    later = epoch_seconds[1:] or epoch_seconds
    return samples / statistics.median(later)


def run_fit(w: Workload, precision: str, compiled: bool, epochs: int, doctor: bool) -> list:
    result = tw.fit(
        w.make_model(), (w.x, w.y), (w.xv, w.yv), epochs=epochs, batch_size=w.batch_size,
        optimizer={"name": "adamw", "lr": w.lr, "weight_decay": w.wd}, schedule="onecycle",
        loss={"name": "cross_entropy", "label_smoothing": w.smoothing}, precision=precision,
        compile=compiled, doctor=doctor, device="cuda", verbose=False, seed=0,
    )  # fmt: skip
    return [h["time"] for h in result.history]


def run_raw(w: Workload, precision: str, compiled: bool, epochs: int) -> list:
    """The hand-written loop: what tw.fit's step is measured against."""
    dev = torch.device("cuda")
    model = w.make_model().to(dev)
    net = torch.compile(model) if compiled else model
    opt = torch.optim.AdamW(model.parameters(), lr=w.lr, weight_decay=w.wd)
    steps = -(-len(w.x) // w.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=w.lr, total_steps=epochs * steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=w.smoothing)
    amp = resolve_precision(precision, dev)
    scaler = amp.make_scaler()
    g = torch.Generator().manual_seed(0)
    times = []
    for _ in range(epochs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.train()
        loss_sum = torch.zeros((), device=dev)
        for idx in torch.randperm(len(w.x), generator=g).split(w.batch_size):
            xb = torch.index_select(w.x, 0, idx).pin_memory().to(dev, non_blocking=True)
            yb = torch.index_select(w.y, 0, idx).pin_memory().to(dev, non_blocking=True)
            with torch.autocast("cuda", dtype=amp.dtype, enabled=amp.dtype is not None):
                loss = loss_fn(net(xb), yb)
            opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
            sched.step()
            loss_sum += loss.detach() * len(idx)
        model.eval()
        correct = torch.zeros((), device=dev, dtype=torch.long)
        with torch.no_grad():
            for xb, yb in zip(w.xv.split(256), w.yv.split(256)):
                xb, yb = xb.pin_memory().to(dev, non_blocking=True), yb.to(dev)
                with torch.autocast("cuda", dtype=amp.dtype, enabled=amp.dtype is not None):
                    correct += (net(xb).argmax(1) == yb).sum()
        _ = (loss_sum / len(w.x)).item(), correct.item()  # the epoch's one read
        times.append(time.perf_counter() - t0)
    return times


def run_lightning(w: Workload, precision: str, compiled: bool, epochs: int) -> list | None:
    try:
        import lightning as L
    except ImportError:
        return None
    from torch.utils.data import DataLoader, TensorDataset

    times: list[float] = []

    class Timer(L.Callback):
        def on_train_epoch_start(self, trainer, module):
            torch.cuda.synchronize()
            self.t0 = time.perf_counter()

        def on_train_epoch_end(self, trainer, module):  # after the epoch's validation
            torch.cuda.synchronize()
            times.append(time.perf_counter() - self.t0)

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = w.make_model()
            self.loss_fn = nn.CrossEntropyLoss(label_smoothing=w.smoothing)

        def training_step(self, batch, _):
            loss = self.loss_fn(self.net(batch[0]), batch[1])
            self.log("loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch, _):
            acc = (self.net(batch[0]).argmax(1) == batch[1]).float().mean()
            self.log("val_acc", acc)

        def configure_optimizers(self):
            opt = torch.optim.AdamW(self.parameters(), lr=w.lr, weight_decay=w.wd)
            total = self.trainer.estimated_stepping_batches
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=w.lr, total_steps=total)
            return [opt], [{"scheduler": sched, "interval": "step"}]

    module = Module()
    if compiled:
        module = torch.compile(module)
    names = {"fp32": "32-true", "bf16": "bf16-mixed", "fp16": "16-mixed"}
    train = DataLoader(TensorDataset(w.x, w.y), w.batch_size, shuffle=True, pin_memory=True)
    val = DataLoader(TensorDataset(w.xv, w.yv), 256, pin_memory=True)
    L.Trainer(
        max_epochs=epochs, accelerator="cuda", devices=1, precision=names[precision],
        logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, callbacks=[Timer()],
    ).fit(module, train, val)  # fmt: skip
    return times


def measure(w: Workload, precision: str, compiled: bool, epochs: int, reps: int) -> dict:
    runners = {
        "raw": lambda: run_raw(w, precision, compiled, epochs),
        "fit": lambda: run_fit(w, precision, compiled, epochs, doctor=False),
        "fit+doctor": lambda: run_fit(w, precision, compiled, epochs, doctor=True),
        "lightning": lambda: run_lightning(w, precision, compiled, epochs),
    }
    ips: dict[str, list[float]] = {k: [] for k in runners}
    peak: dict[str, int] = {}
    for _ in range(reps):  # alternating: drift hits every runner alike
        for name, run in runners.items():
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            times = run()
            if times is None:
                continue
            ips[name].append(_epoch_ips(times, len(w.x)))
            peak[name] = max(peak.get(name, 0), torch.cuda.max_memory_allocated())
    row = {"workload": w.name, "precision": precision, "compile": compiled}
    for name, values in ips.items():
        if values:
            row[f"{name}_ips"] = statistics.median(values)
            row[f"{name}_peak_mib"] = peak[name] / 2**20
    row["raw_over_fit"] = row["raw_ips"] / row["fit_ips"]
    row["doctor_ratio"] = row["fit_ips"] / row["fit+doctor_ips"]
    return row


def markdown(rows: list[dict], card: str) -> str:
    lines = [
        f"Card: {card}; torch {torch.__version__}; images/s (median), peak MiB in brackets.",
        "",
        "| workload | precision | compile | raw | tw.fit | tw.fit + doctor | Lightning "
        "| raw / fit | doctor on / off |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:

        def cell(name, r=r):
            if f"{name}_ips" not in r:
                return "n/a"
            return f"{r[f'{name}_ips']:,.0f} ({r[f'{name}_peak_mib']:,.0f})"

        lines.append(
            f"| {r['workload']} | {r['precision']} | {'yes' if r['compile'] else 'no'} | "
            f"{cell('raw')} | {cell('fit')} | {cell('fit+doctor')} | {cell('lightning')} | "
            f"{r['raw_over_fit']:.3f} | {r['doctor_ratio']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=4, help="per run; the first is not timed")
    ap.add_argument("--workloads", nargs="+", default=["default", "resnet"])
    ap.add_argument("--precisions", nargs="+", default=list(PRECISIONS))
    ap.add_argument("--compile", nargs="+", default=["no", "yes"], choices=["no", "yes"])
    ap.add_argument("--json")
    ap.add_argument("--md")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print(NO_CUDA)
        return 0
    card = torch.cuda.get_device_name()
    makers = {"default": default_workload, "resnet": resnet_workload}
    rows = []
    for key in args.workloads:
        w = makers[key]()
        for precision in args.precisions:
            if precision == "bf16" and not torch.cuda.is_bf16_supported():
                print(f"{card} has no bf16: skipped")
                continue
            for c in args.compile:
                row = measure(w, precision, c == "yes", args.epochs, args.reps)
                rows.append(row)
                print(json.dumps(row), flush=True)
    table = markdown(rows, card)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"card": card, "torch": torch.__version__, "rows": rows}, f, indent=1)
    if args.md:
        with open(args.md, "w") as f:
            f.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
