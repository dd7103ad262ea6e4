"""A categorical column (a store id, 0..29) goes into the network as one number, its integer id
standardized like the numeric columns, instead of one-hot or an embedding: stores whose ids are
close look alike to the first layer, although the ids say nothing about which stores are alike,
and the class that depends on the store can hardly be learned.

Source: https://github.com/ageron/handson-ml3/issues/51 ("The most naive approach would be to
just encode them as a single integer value ... most types of models (including neural nets ...)
implicitly assume that similar values represent similar things"). Re-implemented on a synthetic
problem (4 numeric features; the class, 3 of them, is set by the store's hidden group, nudged by
the numeric features) with an MLP trained by SGD with momentum under a triangular cyclic LR (0.005 to 0.1, one
epoch up, one down; the fixed program is correct but unusual). Fix: one-hot encode the store.
"""

from functools import partial

import numpy as np
import torch
from torch import nn

from real_bugs_batch4.common import Data, mlp, train

SOURCE = "https://github.com/ageron/handson-ml3/issues/51"
EXPECTED = ("categorical_ids_as_numbers", "underfitting")
BLOCKS = False
STORES = 30


def make(seed: int):
    rng = np.random.RandomState(2000 + seed)
    n = 2400
    group = rng.randint(3, size=STORES)
    store = rng.randint(STORES, size=n)
    num = rng.randn(n, 4)
    score = np.eye(3)[group[store]] * 2.0 + 0.3 * num[:, :3]
    y = score.argmax(1)
    return store, num, y


def program(seed: int, bug: bool):
    from sklearn.model_selection import train_test_split

    store, num, y = make(seed)
    if bug:
        feats = np.concatenate([store.reshape(-1, 1).astype(float), num], axis=1)
    else:
        feats = np.concatenate([np.eye(STORES)[store], num], axis=1)
    idx = np.arange(len(y))
    i_tr, i_rest = train_test_split(idx, test_size=0.4, random_state=seed, stratify=y)
    i_va, i_te = train_test_split(i_rest, test_size=0.5, random_state=seed, stratify=y[i_rest])
    mu, sd = feats[i_tr].mean(0), feats[i_tr].std(0) + 1e-8
    if not bug:  # one-hot columns stay 0/1; only the numeric ones are standardized
        mu[:STORES], sd[:STORES] = 0.0, 1.0
    f = lambda i: torch.tensor((feats[i] - mu) / sd, dtype=torch.float32)  # noqa: E731
    t = lambda i: torch.tensor(y[i], dtype=torch.long)  # noqa: E731
    d = Data(f(i_tr), t(i_tr), f(i_va), t(i_va), f(i_te), t(i_te), 3)
    torch.manual_seed(seed)
    model = mlp(feats.shape[1], 3, hidden=32)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    steps = -(-len(i_tr) // 32)
    sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.005, max_lr=0.1, step_size_up=steps)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        sched.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=12, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
