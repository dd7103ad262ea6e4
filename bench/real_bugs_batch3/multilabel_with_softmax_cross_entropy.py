"""A multi-label problem (each sample carries several of 6 labels) trained with
``CrossEntropyLoss`` on the multi-hot targets: the softmax makes the labels compete for one
unit of probability and leaves the logits' level free, so thresholding each label at 0.5 is
meaningless.

Source: https://github.com/hypnopump/rgn2-replica/pull/12 ("we should use nn.BCEWithLogitsLoss
because it treats each output independently and is suitable for multi-label classification").
Re-implemented on a synthetic multi-label problem (20 count features, 6 labels, about 2 per
sample) with an MLP and Adam; quality is the share of samples whose 6 labels are all right
(subset accuracy) at probability 0.5. Fix:
``BCEWithLogitsLoss``; the fixed program trains on multi-label 0/1 targets.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, multilabel_predict, train

SOURCE = "https://github.com/hypnopump/rgn2-replica/pull/12"
EXPECTED = ("loss_output_mismatch",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("multilabel", seed)
    torch.manual_seed(seed)
    model = mlp(20, 6, hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss() if bug else nn.BCEWithLogitsLoss()
    return train(
        model,
        opt,
        loss_fn,
        d,
        seed=seed,
        epochs=30,
        quality="multilabel_exact",
        predict=multilabel_predict,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
