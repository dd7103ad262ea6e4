"""A deep MLP with sigmoid activations in every hidden layer, trained with plain SGD: the
gradient shrinks by at least 4x at each sigmoid on its way back, the first layers do not learn
and the net stays near chance.

Source: https://ai.stackexchange.com/questions/16557/what-could-be-the-problem-when-a-neural-network-with-four-hidden-layers-with-the
("I used four hidden layers with 500 neurons in each layer, and sigmoidal activation functions
in each layer. The network appears to be unable to learn"). Re-implemented on a 5-class problem
whose classes overlap (the best achievable accuracy is about 0.7) with six sigmoid hidden
layers and SGD. Fix: ReLU activations; the fixed run plateaus at the data's noise ceiling.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch3.common import load, mlp, train

SOURCE = (
    "https://ai.stackexchange.com/questions/16557/"
    "what-could-be-the-problem-when-a-neural-network-with-four-hidden-layers-with-the"
)
EXPECTED = ("vanishing_gradients", "saturated_activations")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("overlap5", seed)
    torch.manual_seed(seed)
    model = mlp(12, 5, hidden=64, depth=6, act=nn.Sigmoid if bug else nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=25)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
