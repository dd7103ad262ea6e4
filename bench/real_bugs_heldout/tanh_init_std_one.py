"""A tanh MLP whose weights are drawn from N(0, 1): pre-activations have a standard deviation
of about sqrt(fan_in), nearly every unit sits at -1 or +1, and the gradients through them
vanish.

Source: https://breno.bearblog.dev/the-weights-in-a-study-on-fixing-the-saturated-function
("W1 = torch.randn(...) ... the pre-activation values will typically range from -15 to +15.
And tanh(15)=0.9999999..., which is as saturated as it gets"). Re-implemented on the 8-class
synthetic problem with a 3-hidden-layer tanh MLP and SGD. Fix: keep PyTorch's default
(fan-in scaled) initialization.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, mlp, train

SOURCE = "https://breno.bearblog.dev/the-weights-in-a-study-on-fixing-the-saturated-function"
EXPECTED = ("saturated_activations", "vanishing_gradients")
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("classes8", seed)
    torch.manual_seed(seed)
    model = mlp(16, 8, hidden=128, depth=3, act=nn.Tanh)
    if bug:
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight)  # std 1.0
                nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
