"""A softmax over a single output unit: its output is always 1, so the loss cannot move.

Source: https://github.com/FluxML/Flux.jl/issues/1546 ("Softmax stucks the network": a 2-2-1
network ending in ``softmax`` whose loss stays at 0.28823234186242325 for every epoch; "the
network works fine without the softmax function"). Re-implemented in PyTorch on two moons with a
one-unit output, MSE on 0/1 targets and Adam. Fix: a sigmoid (a probability for one class)
instead of the softmax.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/FluxML/Flux.jl/issues/1546"
EXPECTED = ("loss_output_mismatch",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("moons", seed)
    torch.manual_seed(seed)
    model = nn.Sequential(
        mlp(2, 1, hidden=32), nn.Softmax(dim=1) if bug else nn.Sigmoid(), nn.Flatten(0)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def predict(out):
        return (out > 0.5).long()

    return train(
        model,
        opt,
        nn.MSELoss(),
        d,
        seed=seed,
        epochs=15,
        task="binary",
        predict=predict,
        y_train=d.y_train.float(),
        y_val=d.y_val.float(),
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
