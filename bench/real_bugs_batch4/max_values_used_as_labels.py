"""One-hot targets turned into class indices with ``torch.max(onehot, 1)[0]``, the maximum
*values* (all 1), instead of ``[1]``, the indices: every training and validation label becomes
class 1, and the model learns to answer 1.

Source: https://github.com/ZJULearning/MaxSquareLoss/issues/18 (``maxpred, argpred =
torch.max(prob, 1)`` "will return the values and indices", and the code used the values
``maxpred`` where the indices ``argpred`` were meant). Re-implemented on wine (targets stored
one-hot) with an MLP and Adagrad. Fix: take the indices (``argmax``).
"""

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/ZJULearning/MaxSquareLoss/issues/18"
EXPECTED = ("labels_collapsed", "loss_not_decreasing")
BLOCKS = True


def decode(onehot: torch.Tensor, bug: bool) -> torch.Tensor:
    values, indices = torch.max(onehot, 1)
    return values.long() if bug else indices


def program(seed: int, bug: bool):
    d = load("wine", seed)
    y = decode(F.one_hot(d.y_train, 3).float(), bug)
    yv = decode(F.one_hot(d.y_val, 3).float(), bug)
    torch.manual_seed(seed)
    model = mlp(13, 3, hidden=32)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.05)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=20,
        batch_size=16,
        y_train=y,
        y_val=yv,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
