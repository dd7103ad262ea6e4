"""``ReduceLROnPlateau`` stepped after every batch on that batch's loss: a noisy per-batch
loss rarely beats its best value so far, so the "plateau" is detected every few batches and
the learning rate is halved again and again until SGD stops moving.

Source: https://github.com/pytorch/pytorch/issues/30873 ("ReduceLROnPlateau ... steps the LR
when the loss is not below the best it has ever achieved ... In this example, this stalls the
training because the LR is repeatedly decimated"). Re-implemented on Hastie's problem with an
MLP and SGD with momentum. Fix: step it once per epoch on the validation loss; the fixed run's
scheduler legitimately lowers the LR once or twice near the end.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = "https://github.com/pytorch/pytorch/issues/30873"
EXPECTED = ("lr_schedule_collapsed",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("hastie", seed)
    torch.manual_seed(seed)
    model = mlp(10, 2, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        if bug:
            sched.step(float(loss))
        return loss, out

    def epoch_end(epoch, logs):
        if not bug:
            sched.step(logs["val_loss"])

    return train(model, opt, loss_fn, d, seed=seed, epochs=30, step=step, epoch_end=epoch_end)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
