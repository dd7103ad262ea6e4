"""A CNN with BatchNorm trained one sample at a time: in training every image is normalized
with its own statistics, while the running statistics kept for evaluation average those
per-image values, so the evaluated network is not the one that was trained.

Source: https://github.com/microsoft/CNTK/issues/905 ("for very low values the training result
gets worse. A value of 1 delivers no useful result at all (error rate > 50%)" with the
BatchNorm MNIST example). Re-implemented on digits images (BatchNorm2d accepts a batch of one:
it normalizes over the 8x8 pixels). Fix: batches of 32.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/microsoft/CNTK/issues/905"
EXPECTED = ("batch_too_small_for_batchnorm",)
BLOCKS = True


def cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def program(seed: int, bug: bool):
    d = load("digits_img", seed, standardize=False)
    d.x_train, d.x_val, d.x_test = d.x_train / 16, d.x_val / 16, d.x_test / 16
    torch.manual_seed(seed)
    model = cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01 if bug else 0.05, momentum=0.9)
    return train(
        model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=3, batch_size=1 if bug else 32
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
