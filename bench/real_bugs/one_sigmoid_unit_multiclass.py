"""One sigmoid output unit for a 4-class problem, trained with MSE on the class index: the
output cannot exceed 1, so classes 2 and 3 can never be predicted.

Source: https://github.com/aigamedev/scikit-neuralnetwork/issues/202 ("Don't you mean Sigmoid
for 2-class classification and Softmax for more than 2 classes ... Sigmoid doesn't really seem
to work in my own tests"). Re-implemented on a 4-class synthetic problem with Adam. Fix: one
output per class and cross-entropy.
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/aigamedev/scikit-neuralnetwork/issues/202"
EXPECTED = ("output_cannot_express_labels", "label_out_of_range")
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("blobs4", seed)
    torch.manual_seed(seed)
    if bug:
        model = nn.Sequential(mlp(20, 1), nn.Sigmoid(), nn.Flatten(0))
        loss_fn = nn.MSELoss()
        y_train, y_val = d.y_train.float(), d.y_val.float()

        def predict(out):
            return torch.round(out).long()
    else:
        model = mlp(20, 4)
        loss_fn = nn.CrossEntropyLoss()
        y_train, y_val = d.y_train, d.y_val

        def predict(out):
            return out.argmax(1)

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(
        model,
        opt,
        loss_fn,
        d,
        seed=seed,
        epochs=12,
        predict=predict,
        y_train=y_train,
        y_val=y_val,
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
