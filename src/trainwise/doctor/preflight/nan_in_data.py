"""``nan_in_data``: NaN or Inf values in the inputs or targets of any split.

One NaN input value makes the loss of its batch NaN, and one NaN gradient spreads to every
weight at the next step, so this is an error, reported before the first step. The check is
exact (every value is looked at): one ``isfinite`` pass per array.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trainwise.doctor.finding import Finding, Fix
from trainwise.doctor.preflight.arrays import as_array, first_indices, fmt, rows


def check_nan_in_data(arrays: Mapping[str, Any]) -> list[Finding]:
    """One error finding per array holding NaN/Inf values.

    ``arrays`` maps a field name (``"x_train"``, ``"y_val"`` ...) to an array or tensor;
    ``None`` entries are skipped, integer arrays are always finite. Evidence: ``values``
    (non-finite count), ``nan``, ``inf``, ``share`` of all values, ``samples`` (rows hit),
    ``first_samples`` (up to 5 row indices).

    Example::

        >>> x = np.ones((4, 3)); x[2, 1] = np.nan
        >>> [f.evidence["first_samples"] for f in check_nan_in_data({"x_train": x})]
        [[2]]
    """
    found = []
    for field, a in arrays.items():
        if a is None:
            continue
        arr = as_array(a, field)
        if not np.issubdtype(arr.dtype, np.floating) or arr.size == 0:
            continue
        flat = rows(arr)
        bad = ~np.isfinite(flat)
        count = int(bad.sum())
        if count == 0:
            continue
        n_nan = int(np.isnan(flat).sum())
        hit = bad.any(axis=1)
        first = first_indices(hit)
        n_rows = int(hit.sum())
        found.append(
            Finding(
                code="nan_in_data",
                severity="error",
                where=field,
                evidence={
                    "values": count,
                    "nan": n_nan,
                    "inf": count - n_nan,
                    "share": count / flat.size,
                    "samples": n_rows,
                    "total_samples": len(flat),
                    "first_samples": first,
                },
                message=(
                    f"{field} holds {count} non-finite values ({n_nan} NaN, {count - n_nan} "
                    f"Inf; {fmt(100 * count / flat.size)}% of all values) in {n_rows} of "
                    f"{len(flat)} samples, the first in samples {first}."
                ),
                fix=Fix(
                    "impute the missing values or drop those samples before training; one "
                    "non-finite input makes the loss of its batch NaN"
                ),
            )
        )
    return found
