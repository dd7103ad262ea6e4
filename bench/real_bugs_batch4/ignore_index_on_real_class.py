"""``CrossEntropyLoss(ignore_index=0)`` copied from sequence code where id 0 is padding, on a
classification task whose class 0 is a real class: every sample of class 0 is dropped from the
loss, so the model never learns to predict it.

Source: https://github.com/nyu-mll/jiant/issues/925 ("we put ignore_index as pad_index ... I have
0 as a target class for the tagger, and this has led to some wonky runs because the
cross_entropy ignores all 0 class in the target"). Re-implemented on synthetic token sequences
(3 classes) with an ``nn.EmbeddingBag`` (mean) classifier and Adam. Fix: leave ``ignore_index``
at its default; both programs use label smoothing 0.1 (the fixed one is correct but unusual).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import BagClassifier, load, train

SOURCE = "https://github.com/nyu-mll/jiant/issues/925"
EXPECTED = ("label_ignored_by_loss",)
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("tokens", seed)
    torch.manual_seed(seed)
    model = BagClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    kw = {"ignore_index": 0} if bug else {}
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1, **kw)
    return train(model, opt, loss_fn, d, seed=seed, epochs=12)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
