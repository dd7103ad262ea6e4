"""A Gaussian-noise augmentation written as ``x + torch.randn_like(x) * std + mean`` with
``mean=0.5, std=1.5`` applied to image tensors already scaled to [0, 1]: every training image is
shifted by half the pixel range and buried under noise 1.5 times the range, so the CNN trains on
inputs unlike the clean validation and test images, and on hardly any signal.

Source: https://github.com/mindee/doctr/pull/654 (review of ``RandomGaussianNoise(mean=0.5,
std=1.5)``: "This won't work: if the input tensor is an image ... the image is in float, in
range [0, 1] ... we don't want a shift, we want variance around its initial value").
Re-implemented on digits as 1x8x8 images with a small CNN and Adam, the noise added to every
training batch. Fix: zero-mean noise of a scale suited to [0, 1] images (std 0.1).
"""

from functools import partial

import torch
import torch.nn.functional as F

from real_bugs_batch4.common import load, small_cnn, train

SOURCE = "https://github.com/mindee/doctr/pull/654"
EXPECTED = ("augmentation_too_strong", "underfitting")
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("digits_img", seed)
    mean, std = (0.5, 1.5) if bug else (0.0, 0.1)
    torch.manual_seed(seed)
    model = small_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)

    def augment(idx, epoch):
        xb = d.x_train[idx]
        return xb + torch.randn(xb.shape, generator=g) * std + mean, d.y_train[idx]

    return train(model, opt, F.cross_entropy, d, seed=seed, epochs=8, get_batch=augment)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
