"""``ReduceLROnPlateau(mode="max")`` fed the validation loss: a falling loss counts as "no
improvement", so the scheduler cuts the learning rate again and again while training is going
well, until the LR is ~0.

Source: https://github.com/FunctionLab/selene/issues/115 ("the learning rate scheduler ...
reduces LR when the maximum loss is not increased ... the mode was not switched from max to min
when the scheduler was updated to track loss instead of AUROC"). Re-implemented on the 8-class
synthetic problem with an MLP and plain SGD. Fix: ``mode="min"``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = "https://github.com/FunctionLab/selene/issues/115"
EXPECTED = ("lr_schedule_collapsed",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("classes8", seed)
    torch.manual_seed(seed)
    model = mlp(16, 8, hidden=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="max" if bug else "min", factor=0.1, patience=0
    )

    def epoch_end(epoch, logs):
        sched.step(logs["val_loss"])

    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=15, epoch_end=epoch_end)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
