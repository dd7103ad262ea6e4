"""Whether a learning-rate warm-up is under way at an epoch: the run is not at its own pace
yet, so a slow start is no evidence of underfitting."""

from __future__ import annotations

import numpy as np

from trainwise.doctor.curves.curve_history import CurveHistory


def lr_rising(h: CurveHistory, upto: int) -> bool:
    """True when a learning-rate warm-up is still under way at position ``upto`` (the run is
    not at its own pace yet): the logged ``lr`` is above every earlier one, or it rose within
    the epoch (``lr_end`` above ``lr_start``, which the Doctor logs from the optimizer), or, on
    the first epoch, the schedule started at under half its base LR (``lr_base``, torch's
    ``initial_lr``: a per-epoch warm-up or a one-cycle start). False when none of these is
    logged.

    Example::

        >>> h = CurveHistory()
        >>> h.add(0, {"loss": 2.3, "lr_start": 1e-4, "lr_end": 1e-3})
        >>> lr_rising(h, 0)
        True
    """

    def at(key: str) -> float:
        return float(h.series(key)[upto])  # NaN where that epoch did not log it

    if at("lr_end") > 1.001 * at("lr_start"):  # NaN compares False
        return True
    if upto == 0 and at("lr_start") < 0.5 * at("lr_base"):
        return True
    lr = h.series("lr")[: upto + 1]
    if lr.size < 2 or np.isnan(lr[-1]) or np.isnan(lr[:-1]).all():
        return False
    return bool(lr[-1] > 1.001 * np.nanmax(lr[:-1]))


def warm_up_ruled_out(h: CurveHistory, upto: int) -> bool:
    """True when position ``upto`` is known not to be in a warm-up: no learning rate is
    logged at all (nothing suggests one), or the Doctor's within-epoch LRs are logged and show
    none. A logged ``lr`` alone cannot rule one out on the first epoch (one value, no trend)."""
    if h.has("lr_start"):
        return not np.isnan(h.series("lr_start")[upto]) and not lr_rising(h, upto)
    return not h.has("lr") or (upto > 0 and not lr_rising(h, upto))
