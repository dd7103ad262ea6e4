"""Tiny training loops with seeded faults for the live-rule tests (each runs in well under a
second on one thread)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from trainwise.doctor import Doctor


def make_data(n=512, d=8, classes=4, seed=0, random_labels=False):
    """Linearly separable-ish classes from a fixed random projection."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x @ torch.randn(d, classes, generator=g)).argmax(1)
    if random_labels:
        y = torch.randint(0, classes, (n,), generator=g)
    return x, y


def make_mlp(d=8, classes=4, hidden=(32, 32), act=nn.ReLU, bn=False, seed=0):
    torch.manual_seed(seed)
    layers, prev = [], d
    for h in hidden:
        layers += [nn.Linear(prev, h), *([nn.BatchNorm1d(h)] if bn else []), act()]
        prev = h
    layers.append(nn.Linear(prev, classes))
    return nn.Sequential(*layers)


def train(
    model,
    opt=None,
    *,
    steps=160,
    batch=32,
    xy=None,
    loss_fn=None,
    sort=False,
    seed=0,
    nan_at=None,
    doctor=True,
    **doctor_kwargs,
):
    """Run ``steps`` optimizer steps of a plain loop with ``Doctor.step``; return the doctor.

    ``sort`` feeds batches in label order; ``nan_at`` puts a NaN in the batch of that step.
    """
    torch.manual_seed(seed)
    x, y = xy if xy is not None else make_data()
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    opt = opt or torch.optim.Adam(model.parameters(), lr=1e-3)
    doc = (
        Doctor(model, opt, loss_fn=loss_fn, total_steps=steps, **doctor_kwargs) if doctor else None
    )
    g = torch.Generator().manual_seed(seed)
    t = 0
    while t < steps:
        order = torch.argsort(y, stable=True) if sort else torch.randperm(len(x), generator=g)
        for idx in order.split(batch):
            if t >= steps:
                break
            xb, yb = x[idx], y[idx]
            if nan_at is not None and t == nan_at:
                xb = xb.clone()
                xb[3, 1] = float("nan")
            out = model(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if doc is not None:
                doc.step(loss, inputs=xb, targets=yb, outputs=out)
            t += 1
    if doc is not None:
        doc.close()
    return doc


def documented_loop(model, loss_of, *, steps=120, lr=1e-2, y=None):
    """``steps`` optimizer steps over shuffled batches of 32 through the documented plain-loop
    API only (``Doctor(model, optimizer)``, ``check_data``, ``step(loss, inputs=, targets=)``
    after ``optimizer.step()``, ``epoch_end``); ``loss_of(out, y)`` is the loss minimized,
    ``y`` replaces the data's labels. Returns the closed doctor."""
    x, y0 = make_data()
    y = y0 if y is None else y
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    doc = Doctor(model, opt)
    doc.check_data(x, y)
    g = torch.Generator().manual_seed(0)
    t = 0
    while t < steps:
        for idx in torch.randperm(len(x), generator=g).split(32):
            loss = loss_of(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[idx], targets=y[idx])
            t += 1
            if t >= steps:
                break
        doc.epoch_end({"loss": float(loss.detach())})
    doc.close()
    return doc


def codes(doc) -> set[str]:
    return {f.code for f in doc.findings}


def one(doc, code):
    found = [f for f in doc.findings if f.code == code]
    assert len(found) == 1, [str(f) for f in doc.findings]
    return found[0]


@pytest.fixture
def kit(one_thread):
    """``kit.train``, ``kit.loop`` (documented API only), ``kit.mlp``, ``kit.data``,
    ``kit.codes``, ``kit.one`` (see this file); one intra-op thread while a module uses it
    (the loops are tiny)."""
    return SimpleNamespace(
        train=train, loop=documented_loop, mlp=make_mlp, data=make_data, codes=codes, one=one
    )
