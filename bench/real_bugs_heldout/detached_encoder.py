"""The encoder's features are ``.detach()``-ed before the classifier head, so no gradient
reaches the encoder: only the head trains, on the encoder's random initial features.

Source: https://github.com/lucidrains/CoCa-pytorch/issues/6 ("The cloned tensor in Extractor
will be detached ... So gradient may not propagate back to image encoder"). Re-implemented on
digits images: a small CNN encoder with an 8-dimensional embedding, a linear head, Adam.
Fix: pass the features on without ``detach()``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_heldout.common import load, train

SOURCE = "https://github.com/lucidrains/CoCa-pytorch/issues/6"
EXPECTED = ("frozen_parameters", "params_not_updating")
BLOCKS = True


class EncoderClassifier(nn.Module):
    def __init__(self, detach: bool, embed: int = 8):
        super().__init__()
        self.detach = detach
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(64, embed),
        )
        self.head = nn.Linear(embed, 10)

    def forward(self, x):
        z = self.encoder(x)
        if self.detach:
            z = z.detach()  # "features for the head", copied out of the graph
        return self.head(z)


def program(seed: int, bug: bool):
    d = load("digits_img", seed)
    torch.manual_seed(seed)
    model = EncoderClassifier(detach=bug)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
