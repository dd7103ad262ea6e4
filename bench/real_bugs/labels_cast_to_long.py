"""Labels stored as scaled floats (class / 255, read from a mask image) cast with ``.long()``:
every label becomes 0.

Source: https://github.com/MouseLand/cellpose/issues/1220 ("it is converting the labels to
.long() type. If my max labels' value is float64 ≈ 0.00392. This results in all-zero labels →
trivial classification, possibly misleadingly low or zero loss"). Re-implemented on digits.
Fix: undo the scaling before the cast (round(y * 255)).
"""

from functools import partial

import torch
from torch import nn

from real_bugs.common import load, mlp, train

SOURCE = "https://github.com/MouseLand/cellpose/issues/1220"
EXPECTED = ("labels_collapsed",)
BLOCKS = True


def program(seed: int, bug: bool):
    d = load("digits", seed)
    as_stored = lambda y: y.double() / 255  # noqa: E731  (labels kept as pixel intensities)
    decode = (lambda y: y.long()) if bug else (lambda y: torch.round(y * 255).long())
    torch.manual_seed(seed)
    model = mlp(64, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return train(
        model,
        opt,
        nn.CrossEntropyLoss(),
        d,
        seed=seed,
        epochs=10,
        y_train=decode(as_stored(d.y_train)),
        y_val=decode(as_stored(d.y_val)),
    )


buggy = partial(program, bug=True)
fixed = partial(program, bug=False)
