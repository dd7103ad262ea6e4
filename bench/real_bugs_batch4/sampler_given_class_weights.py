"""``WeightedRandomSampler(class_weights, num_samples=len(dataset))`` given one weight per
*class* instead of one per sample: the sampler draws indices in ``range(len(weights))``, so every
epoch is made of the first 6 training samples drawn over and over.

Source: https://github.com/deep-voice/soundbay/pull/49 ("WeightedRandomSampler ... assigns weights
to *each sample* and so it actually will choose the same samples (The first and second with the
probabilities we assigned). What needed to be done is to assign to *each* sample the prior
probability"). Re-implemented on 6 imbalanced classes with an MLP and Adam, scored by balanced
accuracy. Fix: per-sample weights ``1 / count[y_i]``; the fixed program is correct but unusual:
class-balanced sampling with replacement.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, mlp, train

SOURCE = "https://github.com/deep-voice/soundbay/pull/49"
EXPECTED = ("same_batch_repeated", "overfitting")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("imbalanced6", seed)
    torch.manual_seed(seed)
    model = mlp(16, 6, hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    counts = torch.bincount(d.y_train, minlength=6).float()
    class_weights = 1.0 / counts
    weights = class_weights if bug else class_weights[d.y_train]
    g = torch.Generator().manual_seed(seed)

    def get_batch(idx, epoch):  # what DataLoader(sampler=WeightedRandomSampler(...)) yields
        drawn = torch.multinomial(weights, len(idx), replacement=True, generator=g)
        return d.x_train[drawn], d.y_train[drawn]

    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=12,
        get_batch=get_batch,
        quality="balanced_accuracy",
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
