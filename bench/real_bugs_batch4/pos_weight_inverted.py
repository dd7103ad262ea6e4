"""``BCEWithLogitsLoss(pos_weight=n_pos / n_neg)`` on a problem with 5 % positives: the weight
meant to count each rare positive ~19 times counts it 1/19 times instead, so the model all but
never predicts the positive class.

Source: https://github.com/serdna1/ODIR-5K-multi-label-classification/issues/1 ("I tried to use
1/(ni/N) as the weight of each class ... But got a terrible accuracy" -- "a weight (total
negatives / total positives) ... according to the official BCEWithLogitsLoss documentation").
Re-implemented on a 10-feature binary problem with 5 % positives, an MLP with one output and
Adam at a small LR (3e-4) run for many steps (batches of 16, 12 epochs), scored by balanced
accuracy. Fix: ``pos_weight = n_neg / n_pos``; the fixed program is
correct but unusual: a strongly weighted loss on imbalanced data, a small LR and many
steps.
"""

from functools import partial

import torch
from torch import nn

from real_bugs_batch4.common import binary_predict, load, mlp, train

SOURCE = "https://github.com/serdna1/ODIR-5K-multi-label-classification/issues/1"
EXPECTED = ("class_weights_inverted", "class_imbalance")
BLOCKS = False


def program(seed: int, bug: bool):
    d = load("binary_rare", seed)
    n_pos = float(d.y_train.sum())
    n_neg = float(len(d.y_train)) - n_pos
    ratio = n_pos / n_neg if bug else n_neg / n_pos
    torch.manual_seed(seed)
    model = nn.Sequential(mlp(10, 1, hidden=32), nn.Flatten(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(ratio))
    return train(
        model,
        opt,
        loss_fn,
        d,
        seed=seed,
        epochs=12,
        batch_size=16,
        predict=binary_predict,
        quality="balanced_accuracy",
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
