"""A GRU classifier over right-padded sequences takes ``out[:, -1]``, the output at the last
*padded* position: for short sequences that is the state after a long run of padding tokens, not
after the sequence's last real token.

Source: https://github.com/thtrieu/qclass_dl/issues/1 ("when I try to remove these lines, just
use output = outputs[-1], I get terrible result. I guess output = outputs[-1] may be the output
of <PAD/> word" -- "yes your guess is correct"). Re-implemented on synthetic token sequences of
3 to 12 tokens padded to 48 (about half the tokens are keywords of the class), with an ``nn.Embedding`` + GRU and Adam. Fix: gather each sequence's output at
``length - 1``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import load, token_lengths, train

SOURCE = "https://github.com/thtrieu/qclass_dl/issues/1"
EXPECTED = ("padding_read_as_data", "underfitting", "loss_not_decreasing")
BLOCKS = False


class LastStepGRU(nn.Module):
    def __init__(self, from_padding: bool, vocab=40, dim=16, hidden=32, classes=3):
        super().__init__()
        self.from_padding = from_padding
        self.emb = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.gru(self.emb(x))
        if self.from_padding:
            last = out[:, -1]
        else:
            idx = (token_lengths(x) - 1).clamp(min=0)
            last = out[torch.arange(len(x)), idx]
        return self.head(last)


def program(seed: int, bug: bool):
    d = load("tokens", seed, min_len=3, max_len=12, pad_to=48, keyword_p=0.5)
    torch.manual_seed(seed)
    model = LastStepGRU(from_padding=bug)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
