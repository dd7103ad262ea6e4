"""``unshuffled_data`` (preflight part): the training order given is sorted or grouped by label.

A loop that walks such data in order sees batches of one class: the model chases the class of
the moment and forgets the others (torchvision #7818: FGVC-Aircraft ships sorted by class).
The live part (what the batches actually contain) belongs to the live rules.

Classification: a runs test. The number of label changes between neighbours in a random order
has mean ``(n - 1) * (1 - sum_c n_c (n_c - 1) / (n (n - 1)))`` (no hand-rolled library gives
this for many classes; it is one line); sorted data has C - 1 changes. Fires when fewer than
half the expected changes happen, with n >= 50: for a random order that is more than 3.5
standard deviations below the mean even at n = 50. Regression: lag-1 autocorrelation of the
target's ranks above 0.5 (a random order gives about 0 +- 1/sqrt(n)). Cost: one pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, class_labels, fmt

MIN_SAMPLES = 50
RUNS_RATIO = 0.5
AUTOCORRELATION = 0.5


def _fix() -> Fix:
    return Fix(
        "shuffle the training set every epoch (DataLoader(shuffle=True), or data.shuffle: true)",
        {"data.shuffle": True},
    )


def _longest_run(y: np.ndarray) -> tuple[int, int]:
    """Length and start of the longest run of equal neighbours."""
    cut = np.flatnonzero(np.diff(y) != 0) + 1
    starts = np.concatenate([[0], cut])
    lengths = np.diff(np.concatenate([starts, [len(y)]]))
    i = int(np.argmax(lengths))
    return int(lengths[i]), int(starts[i])


def check_unshuffled(
    y: Any,
    *,
    task: str = "classification",
    shuffle: bool | None = None,
    field: str = "y_train",
) -> list[Finding]:
    """A warning when the targets, in the order given, are sorted or come in long runs.

    ``shuffle=True`` (the loop reshuffles every epoch) makes the order harmless: no finding.
    ``False``: a warning. ``None`` (unknown): class labels give an ``info`` finding, which the
    live rule raises to a warning if the batches really arrive sorted (a plain loop's
    ``check_data`` sees the arrays, not the order training uses); ordered regression targets
    still warn (no live rule watches them). Evidence (classification): ``changes``, ``expected``,
    ``ratio``, ``longest_run``, ``longest_run_label``, ``n``; (regression):
    ``rank_autocorrelation``, ``n``.

    Example::

        >>> y = np.repeat(np.arange(4), 50)
        >>> [f.evidence["changes"] for f in check_unshuffled(y)]
        [3]
    """
    if shuffle or y is None:
        return []
    arr = as_array(y, field)
    n = len(arr)
    if n < MIN_SAMPLES:
        return []
    lead = "so" if shuffle is False else "so unless the loop reshuffles,"
    if task == "regression":
        t = arr.reshape(n, -1)[:, 0].astype(np.float64)
        if not np.isfinite(t).all() or np.ptp(t) == 0:
            return []
        from scipy.stats import rankdata

        r = rankdata(t)
        r = r - r.mean()
        ac = float((r[1:] * r[:-1]).sum() / (r * r).sum())
        if ac <= AUTOCORRELATION:
            return []
        return [
            Finding(
                code="unshuffled_data",
                severity="warning",
                where=field,
                evidence={"rank_autocorrelation": ac, "n": n, "threshold": AUTOCORRELATION},
                message=(
                    f"The training targets are ordered (rank autocorrelation of neighbours "
                    f"{fmt(ac)}, about 0 for a random order), {lead} every batch covers a narrow "
                    "slice of the target range."
                ),
                fix=_fix(),
            )
        ]
    labels = class_labels(arr)
    if labels is None:
        return []
    _, counts = np.unique(labels, return_counts=True)
    same = float((counts * (counts - 1)).sum()) / (n * (n - 1))
    expected = (n - 1) * (1 - same)
    if expected < 1:
        return []
    changes = int((np.diff(labels) != 0).sum())
    ratio = changes / expected
    if ratio >= RUNS_RATIO:
        return []
    longest, start = _longest_run(labels)
    # order unknown: a loop that reshuffles makes the sorted arrays harmless, so only the
    # batches can tell; the live rule (live/unshuffled_data.py) warns when they are sorted
    tail = "." if shuffle is False else "; the batches will tell (a warning follows if they are)."
    return [
        Finding(
            code="unshuffled_data",
            severity="warning" if shuffle is False else "info",
            where=field,
            evidence={
                "changes": changes,
                "expected": expected,
                "ratio": ratio,
                "longest_run": longest,
                "longest_run_label": int(labels[start]),
                "longest_run_start": start,
                "n": n,
                "threshold": RUNS_RATIO,
            },
            message=(
                f"The training labels come in long runs ({changes} label changes over {n} "
                f"samples where a random order gives about {expected:.0f}; the longest run is "
                f"{longest} samples of class {int(labels[start])}), {lead} every batch holds "
                f"one or two classes{tail}"
            ),
            fix=_fix(),
        )
    ]
