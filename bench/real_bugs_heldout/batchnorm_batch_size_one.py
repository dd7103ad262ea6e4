"""A CNN with BatchNorm trained one sample at a time: in training every image is normalized
with its own statistics, while the running statistics kept for evaluation average those
per-image values, so the evaluated network is not the one that was trained.

Source: https://github.com/microsoft/CNTK/issues/905 ("for very low values the training result
gets worse. A value of 1 delivers no useful result at all (error rate > 50%)" with the
BatchNorm MNIST example). Re-implemented on digits images with a small CNN whose BatchNorm2d
sits on its last 2x2 feature maps (a batch of one is accepted there: it normalizes over the 4
positions) and SGD with momentum. Fix: batches of 32.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/microsoft/CNTK/issues/905"
EXPECTED = ("batch_too_small_for_batchnorm",)
BLOCKS = False


def cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )


def program(seed: int, bug: bool):
    d = load("digits_img", seed, standardize=False)
    d.x_train, d.x_val, d.x_test = d.x_train / 16, d.x_val / 16, d.x_test / 16
    torch.manual_seed(seed)
    model = cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return train(
        model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=4, batch_size=1 if bug else 32
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
