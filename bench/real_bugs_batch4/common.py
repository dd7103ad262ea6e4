"""What the fourth batch's programs need beyond ``real_bugs_batch3.common`` (whose loop,
``train``, they all run through, and whose datasets they reuse):

- data the earlier batches use little (:func:`load`): digits as 1x8x8 images for small CNNs
  (``digits_img``), digits read row by row as 8-step sequences (``digits_rows``), synthetic token
  sequences of varying length, right-padded with id 0, for ``nn.Embedding``/``EmbeddingBag``,
  GRU and attention models (``tokens``), and a binary problem with 5 % positives for
  ``BCEWithLogitsLoss`` (``binary_rare``); everything else is forwarded to
  ``real_bugs_batch3.common.load``;
- :func:`train`, the third batch's loop with ``Doctor``, ``AutoTrainer`` and ``DeepDiagnosis``
  looked up in *this* module at call time, so a check of the programs alone can replace them
  here with do-nothing stand-ins (the batch-3 loop is handed them for the call and gets its own
  back afterwards);
- small shared models and helpers: :func:`small_cnn`, :class:`BagClassifier`,
  :class:`AutoEncoder`, :func:`autoencoder_data` (digits pixels as inputs and targets),
  :func:`binary_predict` (logit > 0) and :func:`token_lengths`.

The doctor is created and fed exactly as in ``real_bugs.common.train`` (``Doctor(model,
optimizer)``, ``check_data``, ``step(loss, inputs=, targets=)`` after ``optimizer.step()``,
``epoch_end(logs)``); quality is measured by the harness on a held-out test split against the
true labels (reconstruction R² for the autoencoders).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

BENCH = Path(__file__).resolve().parents[1]
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from real_bugs.common import Data, Run, argmax, mlp, standard_step  # noqa: E402,F401
from real_bugs_batch3 import common as third  # noqa: E402

AutoTrainer = third.AutoTrainer
DeepDiagnosis = third.DeepDiagnosis
Doctor = third.Doctor

PAD = 0
OWN = ("digits_img", "digits_rows", "tokens", "binary_rare")


def train(*args, **kwargs) -> Run:
    """``real_bugs_batch3.common.train`` with this module's ``Doctor``/``AutoTrainer``/
    ``DeepDiagnosis`` (read now, not at import), so that swapping them here takes effect."""
    saved = (third.Doctor, third.AutoTrainer, third.DeepDiagnosis)
    third.Doctor, third.AutoTrainer, third.DeepDiagnosis = Doctor, AutoTrainer, DeepDiagnosis
    try:
        return third.train(*args, **kwargs)
    finally:
        third.Doctor, third.AutoTrainer, third.DeepDiagnosis = saved


def small_cnn(classes: int = 10) -> nn.Sequential:
    """Two 3x3 conv + max-pool stages on 1x8x8 images, then a linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, classes),
    )


class BagClassifier(nn.Module):
    """Mean of token embeddings (``nn.EmbeddingBag``, padding ignored), ReLU, linear head."""

    def __init__(self, vocab: int = 40, dim: int = 32, classes: int = 3):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean", padding_idx=PAD)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(dim, classes))

    def forward(self, x):
        return self.head(self.bag(x))


class AutoEncoder(nn.Module):
    """64-32-8-32-64 MLP autoencoder as two submodules, ``encoder`` and ``decoder``, with an
    optional output activation."""

    def __init__(self, out_act: nn.Module | None = None):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8))
        layers = [nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 64)]
        self.decoder = nn.Sequential(*layers, *([out_act] if out_act is not None else []))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def autoencoder_data(seed: int, *, standardize: bool) -> Data:
    """Digits as 64 pixels, inputs = targets: scaled to 0..1, or standardized per pixel with the
    training split's mean and std (a constant pixel keeps std 1, as StandardScaler does)."""
    from sklearn import datasets

    x, y = datasets.load_digits(return_X_y=True)
    x_tr, x_va, x_te, _, _, _ = _split(x, y, seed)
    if standardize:
        mu, sd = x_tr.mean(0), x_tr.std(0)
        sd = np.where(sd > 0, sd, 1.0)
    else:
        mu, sd = 0.0, 16.0
    f = lambda a: torch.tensor((a - mu) / sd, dtype=torch.float32)  # noqa: E731
    return Data(f(x_tr), f(x_tr), f(x_va), f(x_va), f(x_te), f(x_te), 0)


def binary_predict(out: torch.Tensor) -> torch.Tensor:
    """Class 1 where the single logit is positive."""
    return (out.reshape(-1) > 0).long()


def token_lengths(x: torch.Tensor) -> torch.Tensor:
    """Number of non-padding tokens per row of a right-padded (N, T) id tensor."""
    return (x != PAD).sum(1)


def _split(x, y, seed, stratify=True):
    from sklearn.model_selection import train_test_split

    strat = y if stratify else None
    x_tr, x_rest, y_tr, y_rest = train_test_split(
        x, y, test_size=0.4, random_state=seed, stratify=strat
    )
    strat = y_rest if stratify else None
    x_va, x_te, y_va, y_te = train_test_split(
        x_rest, y_rest, test_size=0.5, random_state=seed, stratify=strat
    )
    return x_tr, x_va, x_te, y_tr, y_va, y_te


def _tokens(seed, n, classes, vocab, min_len, max_len, pad_to, keyword_p):
    """Each class owns 4 keyword ids (1..4*classes); the other ids up to ``vocab`` are shared.
    A sequence of random length in [min_len, max_len] draws a keyword of its class with
    probability ``keyword_p`` at each position, a shared id otherwise; right-padded with 0."""
    rng = np.random.RandomState(1000 + seed)
    y = rng.randint(classes, size=n)
    first_shared = 4 * classes + 1
    x = np.zeros((n, pad_to), dtype=np.int64)
    for i in range(n):
        length = rng.randint(min_len, max_len + 1)
        kw = rng.rand(length) < keyword_p
        own = 1 + 4 * y[i] + rng.randint(4, size=length)
        shared = rng.randint(first_shared, vocab, size=length)
        x[i, :length] = np.where(kw, own, shared)
    return x, y


def load(
    name: str,
    seed: int,
    *,
    n: int | None = None,
    classes: int = 3,
    vocab: int = 40,
    min_len: int = 4,
    max_len: int = 20,
    pad_to: int = 24,
    keyword_p: float = 0.3,
    **kwargs,
) -> Data:
    """A small offline dataset split 60/20/20 (stratified for classes).

    name: "digits_img" (digits as (N, 1, 8, 8) pixels scaled to 0..1, 10 classes),
    "digits_rows" (the same as (N, 8, 8): 8 steps of 8 pixels), "tokens" (synthetic (N,
    ``pad_to``) long ids, right-padded with 0, ``classes`` classes, see :func:`_tokens`),
    "binary_rare" (10 features standardized with the training split, targets 0./1. floats with
    5 % positives); any other name goes to ``real_bugs_batch3.common.load(name, seed,
    **kwargs)``.
    """
    from sklearn import datasets

    if name not in OWN:
        return third.load(name, seed, n=n, **kwargs)
    if name in ("digits_img", "digits_rows"):
        x, y = datasets.load_digits(return_X_y=True)
        x = x / 16.0
        shape = (-1, 1, 8, 8) if name == "digits_img" else (-1, 8, 8)
        x_tr, x_va, x_te, y_tr, y_va, y_te = _split(x, y, seed)
        f = lambda a: torch.tensor(a, dtype=torch.float32).reshape(shape)  # noqa: E731
        t = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
        return Data(f(x_tr), t(y_tr), f(x_va), t(y_va), f(x_te), t(y_te), 10)
    if name == "tokens":
        x, y = _tokens(seed, n or 1500, classes, vocab, min_len, max_len, pad_to, keyword_p)
        x_tr, x_va, x_te, y_tr, y_va, y_te = _split(x, y, seed)
        t = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
        return Data(t(x_tr), t(y_tr), t(x_va), t(y_va), t(x_te), t(y_te), classes)
    x, y = datasets.make_classification(
        n or 3000,
        n_features=10,
        n_informative=5,
        n_redundant=2,
        weights=[0.95, 0.05],
        class_sep=1.0,
        flip_y=0.0,
        random_state=np.random.RandomState(seed),
    )
    x_tr, x_va, x_te, y_tr, y_va, y_te = _split(x, y, seed)
    mu, sd = x_tr.mean(0), x_tr.std(0) + 1e-8
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return Data(
        f((x_tr - mu) / sd),
        f(y_tr),
        f((x_va - mu) / sd),
        f(y_va),
        f((x_te - mu) / sd),
        f(y_te),
        2,
    )
