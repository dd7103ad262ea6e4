"""An autoencoder built from two submodules zeroes the gradients of one of them only
(``model.decoder.zero_grad()`` where ``optimizer.zero_grad()`` was meant): the encoder's
gradients pile up step after step, and SGD with momentum applies ever larger sums until the
encoder's weights blow up.

Source: https://github.com/browatbn2/3FabRec/issues/7 (the training loop zeroes one submodule,
``self.saae.P.zero_grad()``, where the gradients of the other, ``Q``, are left to accumulate;
the reporter suggests zeroing ``self.saae.Q``). Re-implemented on digits (64 pixels 0..1) with an
MLP autoencoder (64-32-8-32-64) and SGD with momentum; quality is the test reconstruction R².
Fix: ``optimizer.zero_grad()`` (both submodules).
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import AutoEncoder, autoencoder_data, train

SOURCE = "https://github.com/browatbn2/3FabRec/issues/7"
EXPECTED = ("zero_grad_missing", "exploding_gradients", "lr_too_high")
BLOCKS = True


def program(seed: int, bug: bool):
    d = autoencoder_data(seed, standardize=False)
    torch.manual_seed(seed)
    model = AutoEncoder()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.MSELoss()

    def step(xb, yb):
        if bug:
            model.decoder.zero_grad()
        else:
            opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        return loss, out

    return train(
        model, opt, loss_fn, d, seed=seed, epochs=15, step=step, task="regression", quality="r2"
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
