"""The token vocabulary (word -> id, by frequency rank) is built again from the test file when
the test set is prepared, instead of reusing the training vocabulary: words of about equal
frequency get other ids, so the test inputs the model sees are different words.

Source: https://github.com/minqukanq/hierarchical-multi-label-text-classification/issues/6 ("the
train_dataset and the test_dataset use two different vocab_to_int. I fix this bug and then the
performance grows up"). Re-implemented on synthetic token sequences (3 classes) whose raw words
are re-indexed by a frequency-ranked vocabulary, with an ``nn.EmbeddingBag`` classifier and Adam;
training and validation share the training vocabulary. Fix: encode the test split with the
training vocabulary.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import PAD, BagClassifier, load, train

SOURCE = "https://github.com/minqukanq/hierarchical-multi-label-text-classification/issues/6"
EXPECTED = ("test_shift",)
BLOCKS = False


def build_vocab(x: torch.Tensor, vocab: int) -> torch.Tensor:
    """raw id -> new id by descending frequency (ties by raw id); padding stays 0."""
    counts = torch.bincount(x[x != PAD], minlength=vocab).float()
    counts[PAD] = -1.0
    order = sorted(range(1, vocab), key=lambda w: (-float(counts[w]), w))
    table = torch.zeros(vocab, dtype=torch.long)
    for new, raw in enumerate(order, start=1):
        table[raw] = new
    return table


def program(seed: int, bug: bool):
    d = load("tokens", seed)
    train_vocab = build_vocab(d.x_train, 40)
    test_vocab = build_vocab(d.x_test, 40) if bug else train_vocab
    x, xv, xt = train_vocab[d.x_train], train_vocab[d.x_val], test_vocab[d.x_test]
    torch.manual_seed(seed)
    model = BagClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=12,
        x_train=x,
        x_val=xv,
        x_test=xt,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
