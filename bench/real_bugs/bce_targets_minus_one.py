"""Binary targets in {-1, 1} (an augmentation that rescaled the masks) fed to
``BCEWithLogitsLoss``, which needs {0, 1}: the loss turns negative and unbounded.

Source: https://github.com/bigmb/Unet-Segmentation-Pytorch-Nest-of-Unets/issues/18 ("negative
number occur in 'Loss' ... Because I have do the augment to mask, which cause mask'value to
[-1, 1]. bce's target should be [0, 1]"). Re-implemented on two circles with SGD. Fix: map the
targets back to {0, 1}.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/bigmb/Unet-Segmentation-Pytorch-Nest-of-Unets/issues/18"
EXPECTED = ("label_out_of_range",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("circles", seed)
    encode = (lambda y: 2 * y.float() - 1) if bug else (lambda y: y.float())
    torch.manual_seed(seed)
    model = nn.Sequential(mlp(2, 1, hidden=32), nn.Flatten(0))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def predict(out):
        return (out > 0).long()

    return train(
        model,
        opt,
        nn.BCEWithLogitsLoss(),
        d,
        seed=seed,
        epochs=20,
        task="binary",
        predict=predict,
        y_train=encode(d.y_train),
        y_val=encode(d.y_val),
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
