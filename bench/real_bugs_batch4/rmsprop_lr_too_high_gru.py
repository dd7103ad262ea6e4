"""A GRU trained with RMSprop at a learning rate tuned for another model (0.1): RMSprop's
normalized steps are about the LR in size for every weight, which for a recurrent network is far
too large, and the loss jumps around and blows up instead of falling.

Source: https://github.com/thtrieu/darkflow/issues/381 ("the parameters and loss may become nan
suddenly ... I encountered this problem when I used the RMSPROP optimizer ... I think the
problem is related to huge gradients, and gradient clipping may be a safe way to solve it").
Re-implemented on digits read row by row (8 steps of 8 pixels) with a GRU and RMSprop. Fix: the
LR 40x lower (0.0025) and gradient-norm clipping at 0.5, which is active on many steps (the
fixed program is correct but unusual: clipping at work).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, train

SOURCE = "https://github.com/thtrieu/darkflow/issues/381"
EXPECTED = ("lr_too_high", "exploding_gradients", "nan_loss")
BLOCKS = True


class RowGRU(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.gru = nn.GRU(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


def program(seed: int, bug: bool):
    d = load("digits_rows", seed)
    torch.manual_seed(seed)
    model = RowGRU()
    opt = torch.optim.RMSprop(model.parameters(), lr=0.1 if bug else 0.0025)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        if not bug:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        return loss, out

    return train(model, opt, loss_fn, d, seed=seed, epochs=8, step=step)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
