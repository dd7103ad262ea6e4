"""A categorical feature encoded separately on each split: the encoder is fitted again on the
validation and test data, so the same category gets a different code (and a different one-hot
column) there than in training, and the model reads every validation/test sample's category
as another one.

Source: https://github.com/sayakpaul/Benchmarking-and-MLI-experiments-on-the-Adult-dataset/issues/1
("We use the LabelEncoder on our training and testing data separately, which will cause index
mismatch"). Re-implemented on a synthetic 4-class problem (6 numeric features and a "city"
with 8 values of unequal frequency that shifts the class strongly), codes assigned in order of
first appearance per split (as ``pandas.factorize`` does, so the mismatch happens on every
split), one-hot encoded, an MLP and Adam. Fix: fit the encoder on the training split only and
reuse it for validation and test.
"""

from functools import partial

import numpy as np
import torch
from torch import nn

from real_bugs_batch3.common import Data, mlp, train

SOURCE = (
    "https://github.com/sayakpaul/Benchmarking-and-MLI-experiments-on-the-Adult-dataset/issues/1"
)
EXPECTED = ("distribution_shift", "test_shift")
BLOCKS = False
CITIES = 8


def make(seed: int):
    """Raw rows: numeric features, a city name per row, a class label."""
    rng = np.random.RandomState(seed)
    n = 2000
    share = rng.dirichlet(np.ones(CITIES) * 2.0)
    city = rng.choice(CITIES, size=n, p=share)
    names = np.array([f"city_{c}" for c in rng.permutation(CITIES)])[city]
    num = rng.randn(n, 6)
    effect = rng.randn(CITIES, 4) * 2.0
    w = rng.randn(6, 4)
    y = np.argmax(num @ w + effect[city] + 0.5 * rng.randn(n, 4), axis=1)
    return num, names, y


def factorize(names: np.ndarray, mapping: dict | None = None) -> tuple[np.ndarray, dict]:
    """Codes in order of first appearance (a fitted mapping is reused when given)."""
    if mapping is None:
        mapping = {}
        for v in names:
            mapping.setdefault(v, len(mapping))
    return np.array([mapping[v] for v in names]), mapping


def program(seed: int, bug: bool):
    num, names, y = make(seed)
    idx = np.random.RandomState(seed + 1).permutation(len(y))
    splits = np.split(idx, [int(0.6 * len(y)), int(0.8 * len(y))])
    mu, sd = num[splits[0]].mean(0), num[splits[0]].std(0)
    codes_train, mapping = factorize(names[splits[0]])
    parts = []
    for i, s in enumerate(splits):
        codes = codes_train if i == 0 else factorize(names[s], None if bug else mapping)[0]
        onehot = np.eye(CITIES)[codes]
        parts.append(np.hstack([(num[s] - mu) / sd, onehot]))
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    t = lambda s: torch.tensor(y[s], dtype=torch.long)  # noqa: E731
    d = Data(f(parts[0]), t(splits[0]), f(parts[1]), t(splits[1]), f(parts[2]), t(splits[2]), 4)
    torch.manual_seed(seed)
    model = mlp(6 + CITIES, 4, hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
