"""``next(iter(loader))`` called inside the training loop: a fresh iterator of an unshuffled
loader is made every step, so every step trains on the same first batch of 32 images.

Source: https://github.com/ZhaoJ9014/face.evoLVe/pull/39 ("It will always iter the first batch
if we do like this: ``batch, _ = iter(loader).next()``"). Re-implemented on digits (pixels
scaled by the program to 0..1) with a big MLP (two hidden layers of 512) under heavy dropout
(0.5) and Adam: the program's pipeline hands the first 32 training images to every step. Fix:
iterate the loader once per epoch; the fixed program is a big net with heavy but appropriate
dropout that trains well.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, train

SOURCE = "https://github.com/ZhaoJ9014/face.evoLVe/pull/39"
EXPECTED = ("same_batch_repeated",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits_raw", seed)
    x, xv, xt = d.x_train / 16.0, d.x_val / 16.0, d.x_test / 16.0
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(64, 512),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(512, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def get_batch(idx, epoch):
        if bug:  # "batch = next(iter(train_loader))", loader not shuffled
            return x[:32], d.y_train[:32]
        return x[idx], d.y_train[idx]

    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=15,
        get_batch=get_batch,
        x_train=x,
        x_val=xv,
        x_test=xt,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
