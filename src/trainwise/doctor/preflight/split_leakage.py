"""``split_leakage``: validation or test samples that are (near) copies of training samples.

Scores on such samples measure memory, not generalization. Rather than hashing rounded rows
(which finds only exact copies that round alike), every held-out sample's nearest training
sample is found (sklearn ``NearestNeighbors``, brute force) after standardizing with the
training statistics; a copy is one closer than :data:`TOLERANCE` of the typical
nearest-neighbour distance *within* the training set. Wide inputs are projected onto
:data:`PROJECT_TO` random directions first (distances keep their order of magnitude; exact
copies stay at distance 0).

Fires when at least :data:`MIN_COPIES` samples and at least :data:`MIN_SHARE` of the held-out
samples checked are copies. Cost: at most 2000 held-out against 10000 training samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import (
    as_array,
    finite_rows,
    fmt,
    one_thread,
    rows,
    sample_indices,
)

#: 1% of the typical neighbour distance: in 2 dimensions a genuinely new sample lands that
#: close with probability about 1e-4, less in more dimensions
TOLERANCE = 0.01
#: a single copy can be a natural duplicate: not a leak
MIN_COPIES = 2
#: and at least 1% of the held-out samples, so a few coincidences in a large set do not count
MIN_SHARE = 0.01
#: random directions for wide inputs: enough to keep distances' order of magnitude
PROJECT_TO = 64


def _embed(train: np.ndarray, other: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std == 0] = 1.0
    a, b = (train - mean) / std, (other - mean) / std
    if a.shape[1] > PROJECT_TO:
        rng = np.random.default_rng(seed)
        proj = (rng.normal(size=(a.shape[1], PROJECT_TO)) / np.sqrt(PROJECT_TO)).astype(a.dtype)
        a, b = a @ proj, b @ proj
    return a, b


def check_split_leakage(
    x_train: Any,
    x_other: Any,
    *,
    field: str = "x_val",
    max_train: int = 10000,
    max_other: int = 2000,
    seed: int = 0,
) -> list[Finding]:
    """A warning when held-out samples ``x_other`` also appear in ``x_train``.

    Evidence: ``copies``, ``exact`` (identical rows), ``checked``, ``share``, ``tolerance`` and
    ``typical_distance`` (median training nearest-neighbour distance), ``first_samples``
    (indices into ``x_other``).

    Example::

        >>> x = np.random.default_rng(0).normal(size=(200, 5))
        >>> [f.evidence["copies"] for f in check_split_leakage(x[:150], x[100:])]
        [50]
    """
    from sklearn.neighbors import NearestNeighbors

    if x_other is None:
        return []
    tr, ot = rows(as_array(x_train, "x_train")), rows(as_array(x_other, field))
    if len(tr) < 2 or len(ot) == 0 or tr.shape[1] != ot.shape[1]:
        return []
    tr = tr[sample_indices(len(tr), max_train, seed)]
    tr = tr[finite_rows(tr)].astype(np.float32)
    o_idx = sample_indices(len(ot), max_other, seed)
    ot = ot[o_idx]
    ok = finite_rows(ot)
    o_idx, ot = o_idx[ok], ot[ok].astype(np.float32)
    if len(tr) < 2 or len(ot) == 0:
        return []
    a, b = _embed(tr, ot, seed)
    probe = a[sample_indices(len(a), 500, seed + 1)]
    with one_thread():  # small distance matrices: see arrays.one_thread
        nn = NearestNeighbors(n_neighbors=2, algorithm="brute").fit(a)
        dist, nearest = (d[:, 0] for d in nn.kneighbors(b, n_neighbors=1))
        within = nn.kneighbors(probe)[0][:, 1]
    # brute-force distances come from dot products, so a copy may sit at 1e-7 rather than 0
    exact = (tr[nearest] == ot).all(axis=1)
    positive = within[within > 0]
    typical = float(np.median(positive)) if positive.size else 0.0
    tol = TOLERANCE * typical
    copy = (dist <= tol) | exact
    copies = int(copy.sum())
    share = copies / len(ot)
    if copies < MIN_COPIES or share < MIN_SHARE:
        return []
    first = [int(i) for i in o_idx[copy][:5]]
    return [
        Finding(
            code="split_leakage",
            severity="warning",
            where=field,
            evidence={
                "copies": copies,
                "exact": int(exact.sum()),
                "checked": len(ot),
                "share": share,
                "tolerance": tol,
                "typical_distance": typical,
                "first_samples": first,
            },
            message=(
                f"{copies} of {len(ot)} {field} samples checked ({fmt(100 * share)}%) are copies "
                f"of training samples, the first at indices {first}, so scores on them measure "
                "memory, not generalization."
            ),
            fix=Fix(
                "remove duplicates before splitting (deduplicate the whole dataset, then split "
                "into train/validation/test) and never build a held-out set from training rows"
            ),
        )
    ]
