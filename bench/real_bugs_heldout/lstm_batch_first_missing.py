"""An LSTM built without ``batch_first=True`` is fed ``(batch, seq, feature)`` tensors: it reads
the batch axis as time, so each "sequence" runs across different samples of the batch.

Source: https://github.com/yunjey/pytorch-tutorial/issues/89 ("I just delete
batch_first=True ... However, the accuracy drops to 11%"); the same report in
https://github.com/pytorch/pytorch/issues/1538. Re-implemented on digits read row by row
(8 steps of 8 pixels) with a one-layer LSTM and Adam. Fix: ``batch_first=True``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/yunjey/pytorch-tutorial/issues/89"
EXPECTED = ("sequence_dims_swapped",)
BLOCKS = True


class RowLSTM(nn.Module):
    def __init__(self, batch_first: bool, hidden: int = 64, classes: int = 10):
        super().__init__()
        self.lstm = nn.LSTM(8, hidden, batch_first=batch_first)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):  # x: (batch, seq, feature), as the data loader gives it
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])  # "the last time step" of every sample


def program(seed: int, bug: bool):
    d = load("digits_seq", seed)
    torch.manual_seed(seed)
    model = RowLSTM(batch_first=not bug)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=12)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
