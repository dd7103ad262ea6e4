"""An attention-pooling classifier builds its padding mask as ``x != PAD`` (True for real
tokens) and passes it as ``key_padding_mask``, where PyTorch masks out the True positions: the
query attends only to the padding, so the pooled vector carries no information about the
tokens.

Source: https://github.com/lucidrains/halonet-pytorch/pull/6 ("mask = mask.bool() marks valid
pixels as True, which sim.masked_fill_(mask, max_neg_value) zeroes out to -inf, directing all
attention to the padding zeros"; fix: invert the mask). Re-implemented on synthetic token
sequences (3 classes, every sequence padded) with an ``nn.Embedding``, one learned query and
``nn.MultiheadAttention``, Adam. Fix: ``key_padding_mask = x == PAD``.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import PAD, load, train

SOURCE = "https://github.com/lucidrains/halonet-pytorch/pull/6"
EXPECTED = ("attention_mask_inverted", "underfitting", "loss_not_decreasing")
BLOCKS = True


class AttentionPool(nn.Module):
    def __init__(self, inverted: bool, vocab=40, dim=32, classes=3):
        super().__init__()
        self.inverted = inverted
        self.emb = nn.Embedding(vocab, dim)
        self.query = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.attn = nn.MultiheadAttention(dim, num_heads=2, batch_first=True)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        h = self.emb(x)
        mask = (x != PAD) if self.inverted else (x == PAD)
        q = self.query.expand(len(x), 1, -1)
        pooled, _ = self.attn(q, h, h, key_padding_mask=mask, need_weights=False)
        return self.head(pooled[:, 0])


def program(seed: int, bug: bool):
    d = load("tokens", seed, pad_to=24, max_len=20)
    torch.manual_seed(seed)
    model = AttentionPool(inverted=bug)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=12)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
