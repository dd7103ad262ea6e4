"""A hand-written self-attention builds its padding mask as ``(x != PAD).unsqueeze(2)``, shape
(B, T, 1), which broadcasts over the *query* axis instead of the key axis ((B, 1, T)): the rows
of the padding queries are masked out entirely, ``masked_fill(-inf)`` leaves them all -inf, and
their softmax is 0/0 = NaN, which the pooling carries into every logit and the loss.

Source: https://github.com/hyunwoongko/transformer/pull/40 ("with .unsqueeze(1).unsqueeze(3) will
got wrong broadcast result ... everything in that row stays False, so the logits become -inf, and
softmax turns the row into nan"). Re-implemented on synthetic token sequences (3 classes, every
sequence padded) with an ``nn.Embedding``, one self-attention layer written by hand, masked mean
pooling and AdamW. Fix: mask the keys, ``(x != PAD).unsqueeze(1)``.
"""

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from real_bugs_batch4.common import PAD, load, train

SOURCE = "https://github.com/hyunwoongko/transformer/pull/40"
EXPECTED = ("nan_loss",)
BLOCKS = True


class SelfAttentionPool(nn.Module):
    def __init__(self, query_axis_mask: bool, vocab=40, dim=32, classes=3):
        super().__init__()
        self.query_axis_mask = query_axis_mask
        self.emb = nn.Embedding(vocab, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        real = x != PAD
        h = self.emb(x)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        scores = q @ k.transpose(1, 2) / q.size(-1) ** 0.5
        mask = real.unsqueeze(2) if self.query_axis_mask else real.unsqueeze(1)
        attn = F.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        out = h + attn @ v
        w = real.unsqueeze(-1).float()
        pooled = (out * w).sum(1) / w.sum(1).clamp(min=1)
        return self.head(pooled)


def program(seed: int, bug: bool):
    d = load("tokens", seed)
    torch.manual_seed(seed)
    model = SelfAttentionPool(query_axis_mask=bug)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
