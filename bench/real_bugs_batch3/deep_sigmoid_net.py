"""A deep MLP with sigmoid activations in every hidden layer, trained with plain SGD: the
gradient shrinks by at least 4x at each sigmoid on its way back, the first layers do not learn
and the net stays near chance.

Source: https://ai.stackexchange.com/questions/16557/what-could-be-the-problem-when-a-neural-network-with-four-hidden-layers-with-the
("I used four hidden layers with 500 neurons in each layer, and sigmoidal activation functions
in each layer. The network appears to be unable to learn"). Re-implemented on a 5-class problem
whose classes overlap (an RBF SVM reaches about 0.85-0.9 test accuracy) with four sigmoid
hidden layers of 64 and SGD with momentum. Fix: ReLU activations; the fixed run reaches that SVM's
accuracy, the practical ceiling of these overlapping classes, and levels off there.
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
    model = mlp(12, 5, hidden=64, depth=4, act=nn.Sigmoid if bug else nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=25)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
