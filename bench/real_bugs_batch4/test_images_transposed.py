"""The validation and test images are loaded by the evaluation path, which swaps height and
width (an image library that reports (width, height) where the array is (height, width)), so
every held-out digit reaches the CNN transposed, while the training images are upright.

Source: https://github.com/tensorflow/models/issues/6163 ("This was due to my misinterpretation
of PIL's image size output, and numpy array's shape ... I was transposing axes whenever I was
exchanging between handlers. Once I corrected this the results were fine"). Re-implemented on
digits as 1x8x8 images with a small CNN trained with mixup (alpha 0.4) and AdamW; the fixed
program is correct but unusual (mixup targets). Fix: read the held-out images in the
training layout.
"""

from functools import partial

import torch
import torch.nn.functional as F

from real_bugs_batch4.common import load, small_cnn, train

SOURCE = "https://github.com/tensorflow/models/issues/6163"
EXPECTED = ("distribution_shift", "test_shift")
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("digits_img", seed)
    xv = d.x_val.transpose(2, 3) if bug else d.x_val
    xt = d.x_test.transpose(2, 3) if bug else d.x_test
    torch.manual_seed(seed)
    model = small_cnn()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    beta = torch.distributions.Beta(0.4, 0.4)

    def step(xb, yb):
        lam = float(beta.sample())
        perm = torch.randperm(len(xb))
        mixed = lam * xb + (1 - lam) * xb[perm]
        opt.zero_grad()
        out = model(mixed)
        loss = lam * F.cross_entropy(out, yb) + (1 - lam) * F.cross_entropy(out, yb[perm])
        loss.backward()
        opt.step()
        return loss, out

    return train(
        model, opt, F.cross_entropy, d, seed=seed, epochs=8, step=step, x_val=xv, x_test=xt
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
