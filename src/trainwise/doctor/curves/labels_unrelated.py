"""``labels_unrelated``: the labels do not depend on the inputs, so nothing can be learned.

The usual cause is inputs and labels shuffled with two different permutations (DrexelChatbot
#15: "randomizes the order of the x data, but not the y data"), or a label file read in
another order than the inputs. The network may still memorise the training set (its training
loss falls), but it never predicts held-out data better than chance.

Rule, for classification with C known classes, once the quick reference model has been
computed (:mod:`~trainwise.doctor.curves.reference_accuracy`, out of fold on the training data;
the curve rules compute it once a loss looks stuck):

- the reference is at chance: below 1/C + :func:`chance_margin` on its rows (two binomial
  standard errors, at least 2 points). A reference is a *lower* bar, so on its own it proves
  nothing (a network may find what kNN and a linear model miss);
- and the network agrees: validation accuracy (training accuracy when no validation is
  logged) within :func:`chance_margin` of chance on :data:`PERSISTENCE` epochs in a row.

Both together: two very different quick models and the network itself all find no relation
between inputs and labels. Error: training cannot produce a useful model until the labels
are fixed. Ranked above ``underfitting``/``loss_not_decreasing`` (precedence), whose fixes (a
bigger model, another LR) cannot help.
"""

from __future__ import annotations

import math

import numpy as np

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.finding import Finding, Fix

CODE = "labels_unrelated"
#: epochs in a row with validation accuracy at chance: one epoch can be a slow start
PERSISTENCE = 2
#: the least margin above chance that counts as "above chance" (a point or two is noise)
MIN_MARGIN = 0.02


def chance_margin(chance: float, n: int | None) -> float:
    """Two binomial standard errors of an accuracy at ``chance`` on ``n`` samples, at least
    :data:`MIN_MARGIN` (None: 1000 samples).

    >>> round(chance_margin(0.1, 400), 3), chance_margin(0.5, 10**6)
    (0.03, 0.02)
    """
    n = n or 1000
    return max(MIN_MARGIN, 2.0 * math.sqrt(chance * (1.0 - chance) / n))


def check_labels_unrelated(h: CurveHistory, facts: RunFacts) -> Finding | None:
    """Report labels unrelated to the inputs (see the module doc), else None.

    Example::

        >>> h = CurveHistory()
        >>> for e in range(3):
        ...     h.add(e, {"loss": 2.3 - 0.3 * e, "val_loss": 2.4 + 0.1 * e,
        ...               "val_accuracy": 0.1}, step=30 * (e + 1))
        >>> facts = RunFacts(num_classes=10, n_val=300, reference_accuracy=0.09,
        ...                  reference_n=1000)
        >>> f = check_labels_unrelated(h, facts)
        >>> f.severity, f.epoch
        ('error', 0)
    """
    ref, classes = facts.reference_accuracy, facts.classes_of(h)
    if ref is None or classes is None or facts.task_of(h) == "regression":
        return None
    chance = 1.0 / classes
    ref_margin = chance_margin(chance, facts.reference_n)
    if ref >= chance + ref_margin:
        return None
    key = "val_accuracy" if h.has("val_accuracy") else "accuracy"
    if not h.has(key) or len(h) < PERSISTENCE:
        return None
    acc = h.series(key)
    n_acc = facts.n_val if key == "val_accuracy" else facts.reference_n
    margin = chance_margin(chance, n_acc)
    at_chance = ~np.isnan(acc) & (acc < chance + margin)
    if not at_chance[-PERSISTENCE:].all():
        return None
    first = len(acc) - 1
    while first > 0 and at_chance[first - 1]:
        first -= 1
    recent = acc[first:]
    train = h.series("loss") if h.has("loss") else None
    memo = ""
    if train is not None and len(train) >= 2 and train[-1] < 0.9 * train[0]:
        memo = (
            f" while the training loss fell from {train[0]:.3g} to {train[-1]:.3g} (memorising"
            " the training set)"
        )
    model = facts.reference_model or "a quick reference model"
    which = "validation" if key == "val_accuracy" else "training"
    message = (
        f"The labels do not depend on the inputs: {model} reaches {ref:.3f} out of fold on "
        f"the training data and the network's {which} accuracy stayed at "
        f"{float(np.nanmin(recent)):.3f}-{float(np.nanmax(recent)):.3f} for "
        f"{len(recent)} epochs{memo}, against {chance:.3f} for chance (1/{classes}; above "
        f"{chance + margin:.3f} would be a signal)."
    )
    return Finding(
        CODE,
        "error",
        message,
        Fix(
            "check that every label stays with its input: shuffle inputs and labels with one "
            "permutation (x[perm], y[perm]) or shuffle a Dataset of (x, y) pairs, and check "
            "that the label file is read in the same order as the inputs"
        ),
        **h.when(first),
        evidence={
            "reference_accuracy": ref,
            "reference_model": facts.reference_model,
            "reference_rows": facts.reference_n,
            "chance_accuracy": chance,
            "reference_margin": ref_margin,
            f"{which}_accuracy": [float(a) for a in recent],
            "accuracy_margin": margin,
            "epochs_at_chance": len(recent),
        },
    )
