"""The final hidden state of a bidirectional GRU, shaped (directions, batch, hidden), is turned
into one vector per sample with ``h_n.view(batch, -1)``: the view concatenates the states of
neighbouring samples (and puts the forward states of the batch in the first half of the rows
and the backward states in the second), so almost every row's features belong to other samples
than its label.

Source: https://github.com/PaccMann/paccmann_chemistry/issues/5 ("hidden's batch dimension ends
up being mixed up with the n_directions dimension, i.e. mixing the samples together"; fix:
``hidden.permute(1, 0, 2).reshape(batch, -1)``). Re-implemented on digits read row by row (8
steps of 8 pixels) with a bidirectional GRU and Adam. Fix: permute before reshaping.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, train

SOURCE = "https://github.com/PaccMann/paccmann_chemistry/issues/5"
EXPECTED = ("outputs_misaligned_with_targets", "loss_not_decreasing", "underfitting")
BLOCKS = True


class BiGRU(nn.Module):
    def __init__(self, buggy_view: bool, hidden=32):
        super().__init__()
        self.buggy_view = buggy_view
        self.gru = nn.GRU(8, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, 10)

    def forward(self, x):
        _, h = self.gru(x)  # (2, B, H), whatever batch_first says
        if self.buggy_view:
            z = h.view(x.size(0), -1)
        else:
            z = h.permute(1, 0, 2).reshape(x.size(0), -1)
        return self.head(z)


def program(seed: int, bug: bool):
    d = load("digits_rows", seed)
    torch.manual_seed(seed)
    model = BiGRU(buggy_view=bug)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=8)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
