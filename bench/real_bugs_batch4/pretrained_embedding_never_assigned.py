"""``self.bag.from_pretrained(vectors)`` called on an existing layer: ``from_pretrained`` is a
class method that *returns* a new layer, so the result is thrown away and the model keeps its
random embedding, which the program then freezes (``requires_grad = False``) as one does with
pretrained vectors. Only the small head learns, on top of random token vectors.

Source: https://github.com/fenchri/edge-oriented-graph/issues/12 ("you used
self.embedding.from_pretrained(pret_embeds, freeze=self.freeze) but the from_pretrained method
is a class method, which does not change the self.embedding, so only randomly initialized
embedding is used"). Re-implemented on synthetic token sequences (3 classes, 200 ids) with an
``nn.EmbeddingBag`` of 4 dimensions and a linear head, Adam; the "pretrained" vectors come from
a short earlier run on the same training data. Fix: assign the returned layer; the fixed program
is correct but unusual: a frozen pretrained embedding with only the head trained.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import PAD, load, train

SOURCE = "https://github.com/fenchri/edge-oriented-graph/issues/12"
EXPECTED = ("frozen_parameters", "underfitting")
BLOCKS = False
VOCAB, DIM = 200, 4


class BagHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, DIM, mode="mean", padding_idx=PAD)
        self.head = nn.Linear(DIM, 3)

    def forward(self, x):
        return self.head(self.bag(x))


def pretrain(d, seed: int) -> torch.Tensor:
    """Vectors from an earlier run (the user's "pretrained" file): 3 epochs of the same model."""
    torch.manual_seed(1000 + seed)
    model = BagHead()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(seed)
    for _ in range(3):
        order = torch.randperm(len(d.x_train), generator=g)
        for i in range(0, len(order), 32):
            idx = order[i : i + 32]
            opt.zero_grad()
            nn.functional.cross_entropy(model(d.x_train[idx]), d.y_train[idx]).backward()
            opt.step()
    return model.bag.weight.detach().clone()


def program(seed: int, bug: bool):
    d = load("tokens", seed, vocab=VOCAB)
    vectors = pretrain(d, seed)
    torch.manual_seed(seed)
    model = BagHead()
    if bug:
        model.bag.from_pretrained(vectors, freeze=True, mode="mean", padding_idx=PAD)
        model.bag.weight.requires_grad = False
    else:
        model.bag = nn.EmbeddingBag.from_pretrained(
            vectors, freeze=True, mode="mean", padding_idx=PAD
        )
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    return train(model, opt, nn.CrossEntropyLoss(), d, seed=seed, epochs=10)


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
