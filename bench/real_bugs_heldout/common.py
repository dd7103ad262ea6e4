"""What the held-out real-bug programs share: the first batch's contract (``real_bugs.common``:
a plain PyTorch loop that talks to the doctor only through ``Doctor(model, optimizer)``,
``check_data``, ``step(loss, inputs=, targets=)`` and ``epoch_end(logs)``; quality measured by the
harness on a test split with the true labels), plus what this batch needs and the first lacks:

- other offline datasets (:func:`load`): breast cancer, Gaussian quantiles, an 8-class synthetic
  problem, Friedman #1 regression with raw targets, digits as 1x8x8 images or as 8-step
  sequences, and 1-D signals whose target is the position of a bump;
- a loop (:func:`train`) whose mode handling is the program's own (``train_mode_each_epoch``:
  the validation pass leaves the model in eval mode, as a user's ``validate()`` does, and only
  a program that calls ``model.train()`` every epoch gets it back), with an optional per-batch
  ``augment`` step and optional best-checkpoint selection on validation accuracy
  (``select_best``), as users write them.

The doctor is created and fed exactly as in ``real_bugs.common.train``; the AutoTrainer and
DeepDiagnosis re-implementations watch the same runs the same way. ``real_bugs.common.MAX_EPOCHS``
caps the epochs here too (the fast structural test sets it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

BENCH = Path(__file__).resolve().parents[1]
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from real_bugs import common as first  # noqa: E402
from real_bugs.common import (  # noqa: E402,F401
    Data,
    Run,
    _quality,
    argmax,
    mlp,
    standard_step,
)

# looked up at call time, so a check of the programs alone can swap them for stand-ins
AutoTrainer = first.AutoTrainer
DeepDiagnosis = first.DeepDiagnosis
Doctor = first.Doctor

DATASETS = (
    "breast_cancer",
    "quantiles",
    "classes8",
    "friedman",
    "digits_img",
    "digits_seq",
    "bumps",
)


def _bumps(n: int, rng: np.random.RandomState, length: int = 32):
    """1-D signals holding one symmetric Gaussian bump plus noise; target: the bump's centre.

    The bump is symmetric, so a signal reversed end to end looks exactly like a genuine signal
    whose bump sits at the mirrored position."""
    pos = rng.uniform(3, length - 4, size=n)
    t = np.arange(length)[None, :]
    width = rng.uniform(1.5, 3.0, size=(n, 1))
    height = rng.uniform(0.8, 1.5, size=(n, 1))
    x = height * np.exp(-0.5 * ((t - pos[:, None]) / width) ** 2)
    x = x + 0.05 * rng.randn(n, length)
    return x[:, None, :], pos  # (N, 1, L) for Conv1d


def load(
    name: str,
    seed: int,
    *,
    standardize: bool = True,
    standardize_y: bool = True,
    n: int | None = None,
) -> Data:
    """A small offline dataset split 60/20/20 at random (stratified for classes).

    name: "breast_cancer" (30 features, 2 classes), "quantiles" (Gaussian quantiles, 6 features,
    3 classes), "classes8" (make_classification, 16 features, 8 classes), "friedman" (Friedman #1,
    10 features, 1 target), "digits_img" (digits as (N, 1, 8, 8) pixels 0..16), "digits_seq"
    (digits as 8 rows of 8 values, (N, 8, 8)), "bumps" ((N, 1, 32) signals, target: bump centre).
    ``standardize``: inputs scaled with the training split's per-feature mean/std (+1e-8), the
    correct pipeline; ``standardize_y`` (regression only): targets scaled with the training
    split's mean/std.
    """
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    rng = np.random.RandomState(seed)
    if name == "breast_cancer":
        x, y = datasets.load_breast_cancer(return_X_y=True)
    elif name == "quantiles":
        x, y = datasets.make_gaussian_quantiles(
            n_samples=n or 1500, n_features=6, n_classes=3, random_state=rng
        )
    elif name == "classes8":
        x, y = datasets.make_classification(
            n or 2400,
            n_features=16,
            n_informative=10,
            n_redundant=2,
            n_classes=8,
            n_clusters_per_class=1,
            class_sep=1.2,
            random_state=rng,
        )
    elif name == "friedman":
        x, y = datasets.make_friedman1(n or 1200, n_features=10, noise=1.0, random_state=rng)
    elif name in ("digits_img", "digits_seq"):
        x, y = datasets.load_digits(return_X_y=True)
        x = x.reshape(-1, 1, 8, 8) if name == "digits_img" else x.reshape(-1, 8, 8)
    elif name == "bumps":
        x, y = _bumps(n or 1500, rng)
    else:
        raise ValueError(f"dataset {name!r}: allowed {', '.join(DATASETS)}")
    regression = name in ("friedman", "bumps")
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
    if regression and standardize_y:
        mu_y, sd_y = y_tr.mean(), y_tr.std()
        y_tr, y_va, y_te = (y_tr - mu_y) / sd_y, (y_va - mu_y) / sd_y, (y_te - mu_y) / sd_y
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    t = f if regression else (lambda a: torch.tensor(a, dtype=torch.long))
    k = 0 if regression else int(y.max()) + 1
    return Data(f(x_tr), t(y_tr), f(x_va), t(y_va), f(x_te), t(y_te), k)


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
    augment: Callable | None = None,
    x_train=None,
    y_train=None,
    x_val=None,
    y_val=None,
    train_mode_each_epoch: bool = True,
    select_best: bool = False,
) -> Run:
    """The user's plain loop with the doctor attached through the documented API only.

    ``step(xb, yb) -> (loss, out)``: the program's optimizer step (default
    :func:`standard_step`); ``epoch_end(epoch, logs)`` runs after each epoch (a scheduler);
    ``augment(xb, yb, generator) -> (xb, yb)`` transforms each training batch before the step
    (what the doctor's ``step`` then sees). ``train_mode_each_epoch=False``: ``model.train()`` is
    called once before the first epoch only, and the validation pass (``model.eval()``) is never
    undone. ``select_best``: the weights of the epoch with the best validation accuracy (lowest
    validation loss for regression) are restored at the end, as users do for "the best model".
    """
    torch.manual_seed(seed)
    cap = first.MAX_EPOCHS
    epochs = epochs if cap is None else min(epochs, cap)
    x = d.x_train if x_train is None else x_train
    y = d.y_train if y_train is None else y_train
    xv = d.x_val if x_val is None else x_val
    yv = d.y_val if y_val is None else y_val
    step = step or standard_step(model, opt, loss_fn)
    doctor = Doctor(model, opt)
    doctor.check_data(x, y, x_val=xv, y_val=yv, task=task)
    tools = {"autotrainer": AutoTrainer(epochs), "deepdiagnosis": DeepDiagnosis(epochs)}
    g = torch.Generator().manual_seed(seed)
    aug_g = torch.Generator().manual_seed(seed + 7)
    losses: list[float] = []
    best, best_state = None, None
    model.train()
    for epoch in range(epochs):
        if train_mode_each_epoch:
            model.train()
        order = torch.randperm(len(x), generator=g)
        tot, correct, n = 0.0, 0, 0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb, yb = augment(xb, yb, aug_g)
            loss, out = step(xb, yb)
            doctor.step(loss, inputs=xb, targets=yb)
            tot += float(loss.detach()) * len(idx)
            n += len(idx)
            if task != "regression":
                with torch.no_grad():
                    correct += int((predict(out) == yb.reshape(-1)).sum())
        logs = {"loss": tot / n}
        if task != "regression":
            logs["accuracy"] = correct / n
        logs.update({f"val_{k}": v for k, v in _validate(model, loss_fn, xv, yv, task, predict)})
        doctor.epoch_end(logs)
        losses.append(logs["loss"])
        if select_best:
            score = logs.get("val_accuracy", -logs["val_loss"])
            if best is None or score > best:
                best = score
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if epoch_end is not None:
            epoch_end(epoch, logs)
        for tool in tools.values():
            try:
                tool.epoch_end(epoch, logs, model, loss_fn, x[:batch_size], y[:batch_size])
            except Exception:  # a baseline that cannot probe this program reports nothing
                pass
    if best_state is not None:
        model.load_state_dict(best_state)
    quality = _quality(model, d.x_test, d.y_test, task, predict)
    findings = doctor.findings
    doctor.close()
    return Run(
        findings, {k: dict(t.detections) for k, t in tools.items()}, quality, losses[-1], losses
    )


@torch.no_grad()
def _validate(model, loss_fn, x, y, task, predict) -> list[tuple[str, float]]:
    """The user's validation pass: ``model.eval()``, and the mode is left as it is."""
    model.eval()
    out = model(x)
    try:
        loss = float(loss_fn(out, y))
    except Exception:  # the program's loss may not apply to a whole split; skip the value
        loss = float("nan")
    items = [("loss", loss)]
    if task != "regression":
        items.append(("accuracy", float((predict(out) == y.reshape(-1)).float().mean())))
    return items
