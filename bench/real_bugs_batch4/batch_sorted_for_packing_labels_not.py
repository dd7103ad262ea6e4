"""A ``collate_fn`` sorts each batch of padded sequences by length, longest first (what
``pack_padded_sequence`` once required), but returns the labels in their original order: inside
every batch the sequences and their labels no longer match.

Source: https://github.com/fartashf/vsepp/pull/36 ("I found in my implementation I was sorting
but then not getting the sort back ... embeddings in a batch seemed to be mixed up").
Re-implemented on synthetic token sequences (3 classes) with an ``nn.Embedding`` + GRU that
packs its input (``enforce_sorted=False``, so the sort is not needed at all), Adam. Fix: sort
the labels with the same index (here: drop the sort).
"""

from functools import partial

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from real_bugs_batch4.common import load, token_lengths, train

SOURCE = "https://github.com/fartashf/vsepp/pull/36"
EXPECTED = ("outputs_misaligned_with_targets", "labels_unrelated", "loss_not_decreasing")
BLOCKS = True


class PackedGRU(nn.Module):
    def __init__(self, vocab=40, dim=32, hidden=32, classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        lengths = token_lengths(x).clamp(min=1).cpu()
        packed = pack_padded_sequence(self.emb(x), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.head(h[-1])


def program(seed: int, bug: bool):
    d = load("tokens", seed)
    torch.manual_seed(seed)
    model = PackedGRU()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)

    def collate(idx, epoch):
        xs, ys = d.x_train[idx], d.y_train[idx]
        if bug:
            order = torch.argsort(token_lengths(xs), descending=True, stable=True)
            xs = xs[order]  # ys stay in sampling order
        return xs, ys

    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=8, get_batch=collate)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
