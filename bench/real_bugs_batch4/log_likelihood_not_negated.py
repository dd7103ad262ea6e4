"""A hand-written classification loss returns the mean log-likelihood of the true class,
``log_softmax(out).gather(1, y).mean()``, and minimizes it: without the minus sign, training
pushes the probability of every true class towards zero and the loss falls without bound.

Source: https://github.com/kmkurn/pytorch-crf/issues/27 ("Is the returned value the negative
loglikelihood or likelihood? Should I multiply -1 before loss.backward()?" -- "The returned value
is the log likelihood. So, to use it as a loss objective to minimize, you'd want to multiply it
by -1 first"). Re-implemented on digits as 1x8x8 images with a small CNN and Adam. Fix: negate
the log-likelihood.
"""

from functools import partial

import torch
import torch.nn.functional as F

from real_bugs_batch4.common import load, small_cnn, train

SOURCE = "https://github.com/kmkurn/pytorch-crf/issues/27"
EXPECTED = ("loss_sign_flipped", "loss_output_mismatch")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits_img", seed)
    torch.manual_seed(seed)
    model = small_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def loss_fn(out, y):
        ll = F.log_softmax(out, dim=1).gather(1, y.reshape(-1, 1)).mean()
        return ll if bug else -ll

    return train(model, opt, loss_fn, d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
