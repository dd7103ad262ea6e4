"""What every real-bug program shares: small offline data, a plain PyTorch training loop that
talks to the doctor only through its documented API, and the ground-truth quality of the result.

The loop is the one a new user writes after reading docs/doctor.md::

    doctor = Doctor(model, optimizer)
    doctor.check_data(x_train, y_train, x_val=x_val, y_val=y_val, task=task)
    for epoch ...:
        for xb, yb in batches:
            loss = <the program's own step>        # forward, backward, optimizer.step()
            doctor.step(loss, inputs=xb, targets=yb)
        doctor.epoch_end({"loss": ..., "accuracy": ..., "val_loss": ..., "val_accuracy": ...})

Nothing else is passed (no ``loss_fn``, ``outputs``, ``total_steps``): those are optional and a
user who follows the short form of the docs does not pass them. A program whose mistake lives in
the loop itself (no ``zero_grad``, no ``optimizer.step()``, a scheduler stepped per batch) hands
:func:`train` its own ``step`` function; everything else uses :func:`standard_step`.

The AutoTrainer and DeepDiagnosis re-implementations (``bench/baselines``) watch the same run:
each epoch they get the logs and the first training batch, as in the seeded-fault suite.

``quality`` is measured by the harness, not by the program: accuracy (R² for regression) on a
held-out test split with the *true* labels, through the program's own input pipeline. It is what
tells a buggy run from its fixed twin (a run on collapsed labels can reach a training accuracy
of 1.0 and still be useless).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

BENCH = Path(__file__).resolve().parents[1]
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from baselines.autotrainer import AutoTrainer  # noqa: E402
from baselines.deepdiagnosis import DeepDiagnosis  # noqa: E402
from trainwise.doctor import Doctor  # noqa: E402

#: caps every program's epochs when set (the fast test runs pairs for 2 epochs); None: as written
MAX_EPOCHS: int | None = None


@dataclass
class Run:
    """What one program run leaves behind for the scorer."""

    findings: list  # the doctor's findings, ranked as it ranks them (doctor.findings)
    baselines: dict  # tool -> {problem: epoch first reported}
    quality: float  # test accuracy (R² for regression) against the true labels
    final_loss: float  # mean training loss of the last epoch (as the program computed it)
    losses: list = field(default_factory=list)  # per-epoch training loss


@dataclass
class Data:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int  # 0 for regression


def load(name: str, seed: int, *, standardize: bool = True, n: int | None = None) -> Data:
    """A small offline dataset, split 60/20/20 at random (stratified for classes).

    name: "digits" (8x8 images as 64 values 0..16, 10 classes), "moons", "circles"
    (2 features, 2 classes), "blobs4" (make_classification, 20 features, 4 classes),
    "regression" (make_regression, 10 features, 1 target). ``standardize`` fits mean/std on
    the training split and applies them to every split (the correct pipeline).
    """
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    rng = np.random.RandomState(seed)
    if name == "digits":
        x, y = datasets.load_digits(return_X_y=True)
    elif name == "moons":
        x, y = datasets.make_moons(n or 1000, noise=0.2, random_state=rng)
    elif name == "circles":
        x, y = datasets.make_circles(n or 1000, noise=0.08, factor=0.5, random_state=rng)
    elif name == "blobs4":
        x, y = datasets.make_classification(
            n or 1500,
            n_features=20,
            n_informative=8,
            n_classes=4,
            n_clusters_per_class=1,
            class_sep=1.5,
            random_state=rng,
        )
    elif name == "regression":
        x, y = datasets.make_regression(n or 1000, n_features=10, noise=5.0, random_state=rng)
        y = (y - y.mean()) / y.std()
    else:
        raise ValueError(f"dataset {name!r}: allowed digits, moons, circles, blobs4, regression")
    regression = name == "regression"
    strat = None if regression else y
    x_tr, x_rest, y_tr, y_rest = train_test_split(
        x, y, test_size=0.4, random_state=seed, stratify=strat
    )
    x_va, x_te, y_va, y_te = train_test_split(
        x_rest, y_rest, test_size=0.5, random_state=seed, stratify=None if regression else y_rest
    )
    if standardize:
        mu, sd = x_tr.mean(0), x_tr.std(0) + 1e-8
        x_tr, x_va, x_te = (x_tr - mu) / sd, (x_va - mu) / sd, (x_te - mu) / sd
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    t = (lambda a: torch.tensor(a, dtype=torch.float32)) if regression else torch.tensor
    return Data(
        f(x_tr), t(y_tr), f(x_va), t(y_va), f(x_te), t(y_te), 0 if regression else int(y.max()) + 1
    )


def mlp(d_in: int, d_out: int, hidden: int = 64, depth: int = 2, act=nn.ReLU) -> nn.Sequential:
    layers: list[nn.Module] = []
    d = d_in
    for _ in range(depth):
        layers += [nn.Linear(d, hidden), act()]
        d = hidden
    layers.append(nn.Linear(d, d_out))
    return nn.Sequential(*layers)


def argmax(out: torch.Tensor) -> torch.Tensor:
    return out.argmax(1)


def standard_step(model, opt, loss_fn) -> Callable:
    """The textbook step: zero_grad, forward, loss, backward, optimizer.step()."""

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        return loss, out

    return step


def train(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    loss_fn: Callable,
    d: Data,
    *,
    seed: int,
    epochs: int = 10,
    batch_size: int = 32,
    task: str = "classification",
    predict: Callable = argmax,
    step: Callable | None = None,
    epoch_end: Callable | None = None,
    x_train=None,
    y_train=None,
    x_val=None,
    y_val=None,
    x_test=None,
    y_test_true=None,
    shuffle: bool = True,
    eval_predict: Callable | None = None,
) -> Run:
    """The user's plain loop with the doctor attached through the documented API only.

    ``x_train``/``y_train``/``x_val``/``y_val``/``x_test`` are what the program trains and
    validates on (default: ``d``'s splits); ``y_test_true`` the labels the quality is scored
    against (default ``d.y_test``). ``step(xb, yb) -> (loss, out)`` is the program's optimizer
    step (default :func:`standard_step`); ``epoch_end(epoch)`` runs after each epoch (e.g. an
    epoch scheduler)."""
    torch.manual_seed(seed)
    epochs = epochs if MAX_EPOCHS is None else min(epochs, MAX_EPOCHS)
    x = d.x_train if x_train is None else x_train
    y = d.y_train if y_train is None else y_train
    xv = d.x_val if x_val is None else x_val
    yv = d.y_val if y_val is None else y_val
    xt = d.x_test if x_test is None else x_test
    yt = d.y_test if y_test_true is None else y_test_true
    step = step or standard_step(model, opt, loss_fn)
    doctor = Doctor(model, opt)
    doctor.check_data(x, y, x_val=xv, y_val=yv, task=task)
    tools = {"autotrainer": AutoTrainer(epochs), "deepdiagnosis": DeepDiagnosis(epochs)}
    g = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=g) if shuffle else torch.arange(len(x))
        tot, correct, n = 0.0, 0, 0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            xb, yb = x[idx], y[idx]
            loss, out = step(xb, yb)
            doctor.step(loss, inputs=xb, targets=yb)
            tot += float(loss.detach()) * len(idx)
            n += len(idx)
            if task != "regression":
                with torch.no_grad():
                    correct += int((predict(out) == yb.reshape(-1).to(predict(out).dtype)).sum())
        logs = {"loss": tot / n}
        if task != "regression":
            logs["accuracy"] = correct / n
        logs.update({f"val_{k}": v for k, v in _evaluate(model, loss_fn, xv, yv, task, predict)})
        doctor.epoch_end(logs)
        losses.append(logs["loss"])
        if epoch_end is not None:
            epoch_end(epoch)
        for tool in tools.values():
            try:
                tool.epoch_end(epoch, logs, model, loss_fn, x[:batch_size], y[:batch_size])
            except Exception:  # a baseline that cannot probe this program reports nothing
                pass
    quality = _quality(model, xt, yt, task, eval_predict or predict)
    findings = doctor.findings
    doctor.close()
    return Run(
        findings, {k: dict(t.detections) for k, t in tools.items()}, quality, losses[-1], losses
    )


@torch.no_grad()
def _evaluate(model, loss_fn, x, y, task, predict) -> list[tuple[str, float]]:
    model.eval()
    out = model(x)
    model.train()
    try:
        loss = float(loss_fn(out, y))
    except Exception:  # the program's loss may not apply to a whole split; skip the value
        loss = float("nan")
    items = [("loss", loss)]
    if task != "regression":
        items.append(
            (
                "accuracy",
                float((predict(out) == y.reshape(-1).to(predict(out).dtype)).float().mean()),
            )
        )
    return items


@torch.no_grad()
def _quality(model, x, y_true, task, predict) -> float:
    model.eval()
    out = model(x)
    if task == "regression":
        pred = out.reshape(-1).float()
        y = y_true.reshape(-1).float()
        ss = float(((y - pred) ** 2).sum())
        tot = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - ss / tot if tot > 0 else 0.0
        return r2 if math.isfinite(r2) else -1.0
    return float((predict(out).reshape(-1) == y_true.reshape(-1).long()).float().mean())
