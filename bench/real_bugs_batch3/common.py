"""What the third batch's programs share: the first batch's contract (a plain PyTorch loop that
talks to the doctor only through ``Doctor(model, optimizer)``, ``check_data``,
``step(loss, inputs=, targets=)`` after ``optimizer.step()`` and ``epoch_end(logs)``; quality
measured by the harness on a held-out test split against the true labels), plus what this batch
needs and the earlier two lack:

- other offline datasets (:func:`load`): wine, diabetes, Friedman #2 with raw targets,
  Hastie's 10-feature problem, a 5-class problem whose classes overlap (a noise ceiling well
  below 1.0), a multi-label problem, a 6-class imbalanced problem, and digits as flat pixels
  0..16 (only where a pipeline mistake needs raw pixels);
- a loop (:func:`train`) in which the program owns its data pipeline (``get_batch``: what the
  user's Dataset/DataLoader really returns for a batch of indices), may call ``doctor.step``
  only after steps where the optimizer stepped (gradient accumulation written as users write
  it), may run code at the start of every epoch (``epoch_start``), and is scored with the right
  quality for its task: accuracy, balanced accuracy (imbalanced data), per-label accuracy
  (multi-label), R² (regression).

The doctor is created and fed exactly as in ``real_bugs.common.train``; the AutoTrainer and
DeepDiagnosis re-implementations watch the same runs the same way. ``Doctor``, ``AutoTrainer``
and ``DeepDiagnosis`` are looked up at call time, so a check of the programs alone can swap
them for do-nothing stand-ins. ``real_bugs.common.MAX_EPOCHS`` caps the epochs here too.
"""

from __future__ import annotations

import math
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
from real_bugs.common import Data, Run, argmax, mlp, standard_step  # noqa: E402,F401

AutoTrainer = first.AutoTrainer
DeepDiagnosis = first.DeepDiagnosis
Doctor = first.Doctor

DATASETS = (
    "wine",
    "diabetes",
    "friedman2",
    "hastie",
    "overlap5",
    "multilabel",
    "imbalanced6",
    "digits_raw",
)
REGRESSION = ("diabetes", "friedman2")


def load(
    name: str,
    seed: int,
    *,
    standardize: bool = True,
    standardize_y: bool = True,
    n: int | None = None,
) -> Data:
    """A small offline dataset split 60/20/20 at random (stratified for single-label classes).

    name: "wine" (13 features, 3 classes, 178 rows), "diabetes" (10 features, 1 target),
    "friedman2" (Friedman #2, 4 features, targets about 0..1700), "hastie" (10 features,
    2 classes), "overlap5" (12 features, 5 overlapping classes: an RBF SVM reaches about
    0.85-0.9), "multilabel" (20 count features, 6 labels, targets (N, 6) 0/1 floats),
    "imbalanced6" (16 features, 6 classes with shares 50/20/12/8/6/4 %), "digits_raw" (64
    pixels 0..16, 10 classes; ``standardize`` is ignored: the program scales them itself).
    ``standardize``: inputs scaled with the training split's mean/std (the correct pipeline);
    ``standardize_y`` (regression): targets scaled with the training split's mean/std.
    """
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    rng = np.random.RandomState(seed)
    if name == "wine":
        x, y = datasets.load_wine(return_X_y=True)
    elif name == "diabetes":
        x, y = datasets.load_diabetes(return_X_y=True)
    elif name == "friedman2":
        x, y = datasets.make_friedman2(n or 1200, noise=20.0, random_state=rng)
    elif name == "hastie":
        x, y = datasets.make_hastie_10_2(n or 2000, random_state=rng)
        y = (y > 0).astype(int)
    elif name == "overlap5":
        x, y = datasets.make_classification(
            n or 2000,
            n_features=12,
            n_informative=6,
            n_redundant=2,
            n_classes=5,
            n_clusters_per_class=1,
            class_sep=0.9,
            flip_y=0.0,
            random_state=rng,
        )
    elif name == "multilabel":
        x, y = datasets.make_multilabel_classification(
            n or 1500, n_features=20, n_classes=6, n_labels=2, random_state=rng
        )
    elif name == "imbalanced6":
        x, y = datasets.make_classification(
            n or 3000,
            n_features=16,
            n_informative=8,
            n_redundant=2,
            n_classes=6,
            n_clusters_per_class=1,
            weights=[0.5, 0.2, 0.12, 0.08, 0.06, 0.04],
            class_sep=0.8,
            flip_y=0.0,
            random_state=rng,
        )
    elif name == "digits_raw":
        x, y = datasets.load_digits(return_X_y=True)
        standardize = False
    else:
        raise ValueError(f"dataset {name!r}: allowed {', '.join(DATASETS)}")
    regression = name in REGRESSION
    strat = None if regression or name == "multilabel" else y
    x_tr, x_rest, y_tr, y_rest = train_test_split(
        x, y, test_size=0.4, random_state=seed, stratify=strat
    )
    strat = None if strat is None else y_rest
    x_va, x_te, y_va, y_te = train_test_split(
        x_rest, y_rest, test_size=0.5, random_state=seed, stratify=strat
    )
    if standardize:
        mu, sd = x_tr.mean(0), x_tr.std(0) + 1e-8
        x_tr, x_va, x_te = (x_tr - mu) / sd, (x_va - mu) / sd, (x_te - mu) / sd
    if regression and standardize_y:
        mu_y, sd_y = y_tr.mean(), y_tr.std()
        y_tr, y_va, y_te = (y_tr - mu_y) / sd_y, (y_va - mu_y) / sd_y, (y_te - mu_y) / sd_y
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    if regression or name == "multilabel":
        t = f
        k = 0 if regression else y.shape[1]
    else:
        t = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
        k = int(y.max()) + 1
    return Data(f(x_tr), t(y_tr), f(x_va), t(y_va), f(x_te), t(y_te), k)


def multilabel_predict(out: torch.Tensor) -> torch.Tensor:
    """Per-label decision at probability 0.5 (logit 0)."""
    return (out > 0).float()


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
    quality: str = "accuracy",
    predict: Callable = argmax,
    step: Callable | None = None,
    get_batch: Callable | None = None,
    epoch_start: Callable | None = None,
    epoch_end: Callable | None = None,
    x_train=None,
    y_train=None,
    x_val=None,
    y_val=None,
    x_test=None,
) -> Run:
    """The user's plain loop with the doctor attached through the documented API only.

    ``step(xb, yb)`` returns ``(loss, out)`` or ``(loss, out, stepped)``; with the third value
    the program calls ``doctor.step`` only when ``stepped`` is True (it stepped the optimizer),
    as a user who writes "doctor.step after optimizer.step()" literally does in an accumulation
    loop. ``get_batch(idx, epoch) -> (xb, yb)`` is the user's data pipeline (default: rows
    ``idx`` of the training tensors). ``epoch_start(epoch)`` / ``epoch_end(epoch, logs)`` run
    around each epoch. ``quality``: "accuracy", "balanced_accuracy", "multilabel" (per-label
    accuracy through ``predict``), "multilabel_exact" (share of samples with every label right)
    or "r2" (regression). ``x_train``/``y_train``/``x_val``/
    ``y_val`` are what the program hands to ``check_data`` and validates on (default: ``d``'s
    splits); ``x_test``: the test inputs through the program's own pipeline (default
    ``d.x_test``); quality is always scored against ``d.y_test``.
    """
    torch.manual_seed(seed)
    cap = first.MAX_EPOCHS
    epochs = epochs if cap is None else min(epochs, cap)
    x = d.x_train if x_train is None else x_train
    y = d.y_train if y_train is None else y_train
    xv = d.x_val if x_val is None else x_val
    yv = d.y_val if y_val is None else y_val
    xt = d.x_test if x_test is None else x_test
    step = step or standard_step(model, opt, loss_fn)
    get_batch = get_batch or (lambda idx, epoch: (x[idx], y[idx]))
    doctor = Doctor(model, opt)
    doctor.check_data(x, y, x_val=xv, y_val=yv, task=task)
    tools = {"autotrainer": AutoTrainer(epochs), "deepdiagnosis": DeepDiagnosis(epochs)}
    g = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    for epoch in range(epochs):
        if epoch_start is not None:
            epoch_start(epoch)
        model.train()
        order = torch.randperm(len(x), generator=g)
        tot, correct, n, seen = 0.0, 0, 0, 0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            xb, yb = get_batch(idx, epoch)
            result = step(xb, yb)
            loss, out = result[0], result[1]
            if len(result) < 3 or result[2]:
                doctor.step(loss, inputs=xb, targets=yb)
            tot += float(loss.detach()) * len(idx)
            n += len(idx)
            if task != "regression":
                with torch.no_grad():
                    pred = predict(out)
                    correct += int((pred == yb.to(pred.dtype)).sum())
                    seen += yb.numel()
        logs = {"loss": tot / n}
        if task != "regression":
            logs["accuracy"] = correct / max(seen, 1)
        logs.update({f"val_{k}": v for k, v in _validate(model, loss_fn, xv, yv, task, predict)})
        doctor.epoch_end(logs)
        losses.append(logs["loss"])
        if epoch_end is not None:
            epoch_end(epoch, logs)
        for tool in tools.values():
            try:
                tool.epoch_end(epoch, logs, model, loss_fn, x[:batch_size], y[:batch_size])
            except Exception:  # a baseline that cannot probe this program reports nothing
                pass
    q = _quality(model, xt, d.y_test, quality, predict)
    findings = doctor.findings
    doctor.close()
    return Run(findings, {k: dict(t.detections) for k, t in tools.items()}, q, losses[-1], losses)


@torch.no_grad()
def _validate(model, loss_fn, x, y, task, predict) -> list[tuple[str, float]]:
    model.eval()
    out = model(x)
    model.train()
    try:
        loss = float(loss_fn(out, y))
    except Exception:  # the program's loss may not apply to a whole split; skip the value
        loss = float("nan")
    items = [("loss", loss)]
    if task != "regression":
        pred = predict(out)
        items.append(("accuracy", float((pred == y.to(pred.dtype)).float().mean())))
    return items


@torch.no_grad()
def _quality(model, x, y_true, quality, predict) -> float:
    model.eval()
    out = model(x)
    if quality == "r2":
        pred = out.reshape(-1).float()
        y = y_true.reshape(-1).float()
        ss = float(((y - pred) ** 2).sum())
        tot = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - ss / tot if tot > 0 else 0.0
        return r2 if math.isfinite(r2) else -1.0
    pred = predict(out)
    if quality == "multilabel":
        return float((pred == y_true.to(pred.dtype)).float().mean())
    if quality == "multilabel_exact":
        return float((pred == y_true.to(pred.dtype)).all(1).float().mean())
    pred, y = pred.reshape(-1), y_true.reshape(-1).long()
    if quality == "balanced_accuracy":
        recalls = [float((pred[y == c] == c).float().mean()) for c in torch.unique(y).tolist()]
        return sum(recalls) / len(recalls)
    return float((pred == y).float().mean())
