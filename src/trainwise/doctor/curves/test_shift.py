"""``test_shift``: test metrics much worse than validation metrics, beyond sampling noise.

Validation and test sets are two samples of what the model will meet; if the test set scores
far worse than the validation set, one of them is not like the other (a shifted or
differently preprocessed test set, or a validation set used so often for choices that it
flatters the model). Accuracy is compared with a two-proportion z-test (normal
approximation); regression losses by their ratio against the noise of a mean of squared
Gaussian residuals (relative SE sqrt(2/n)).
"""

from __future__ import annotations

import math
from typing import Any

from scipy import stats

from trainwise.doctor.finding import Finding, Fix
from trainwise.errors import ConfigError

CODE = "test_shift"
#: The accuracy gap must be at least this many standard errors (when sizes are known) ...
MIN_Z = 3.0
#: ... at least this large in absolute terms (sizes known / unknown) ...
MIN_ACCURACY_DROP = 0.03
MIN_ACCURACY_DROP_NO_SIZES = 0.05
#: ... and the test error rate at least this multiple of the validation error rate.
MIN_ERROR_RATIO = 1.5
#: Losses (regression, or classification without accuracy): test / validation at least this.
MIN_LOSS_RATIO = 1.5


def _metrics(logs: dict[str, Any], prefix: str) -> dict[str, float]:
    out = {}
    for k, v in logs.items():
        if isinstance(v, (bool, str)):
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out[k[len(prefix) :] if k.startswith(prefix) else k] = f
    return out


def _size(name: str, n: int | None) -> int | None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ConfigError(f"{name}: {n!r} is not allowed; allowed: an integer >= 1 or None")
    return n


def check_test_shift(
    val_logs: dict[str, Any],
    test_logs: dict[str, Any],
    *,
    epoch: int | None = None,
    step: int | None = None,
    n_val: int | None = None,
    n_test: int | None = None,
) -> list[Finding]:
    """Compare final validation and test metrics; return ``[Finding]`` on a real gap, else [].

    ``val_logs`` keys may carry a ``val_`` prefix and ``test_logs`` keys a ``test_`` prefix
    (``{"val_loss": .., "val_accuracy": ..}``, ``{"test_loss": .., "test_accuracy": ..}``).
    With accuracy on both sides the accuracy decides (loss also reacts to a few confident
    mistakes); otherwise ``mse``, else ``loss``. ``n_val``/``n_test`` (default None) turn
    on the sampling-noise test; without them only the larger fixed gaps count.

    Example::

        >>> [f.code for f in check_test_shift({"val_accuracy": 0.97}, {"test_accuracy": 0.71},
        ...                                   n_val=400, n_test=1000)]
        ['test_shift']
        >>> check_test_shift({"val_accuracy": 0.86}, {"test_accuracy": 0.80}, n_val=80, n_test=200)
        []
    """
    n_val, n_test = _size("n_val", n_val), _size("n_test", n_test)
    val, test = _metrics(val_logs, "val_"), _metrics(test_logs, "test_")
    sizes = n_val is not None and n_test is not None
    evidence: dict[str, Any] = {"n_val": n_val, "n_test": n_test}
    if "accuracy" in val and "accuracy" in test:
        a_v, a_t = val["accuracy"], test["accuracy"]
        drop = a_v - a_t
        err_v, err_t = 1.0 - a_v, 1.0 - a_t
        evidence |= {"val_accuracy": a_v, "test_accuracy": a_t, "accuracy_drop": drop}
        ratio_ok = err_t >= MIN_ERROR_RATIO * err_v
        if sizes:
            se = math.sqrt(a_v * err_v / n_val + a_t * err_t / n_test)
            z = drop / se if se > 0 else (math.inf if drop > 0 else 0.0)
            evidence |= {"z": z, "p_value": float(stats.norm.sf(z)) if math.isfinite(z) else 0.0}
            fired = drop >= MIN_ACCURACY_DROP and z >= MIN_Z and ratio_ok
            noise = f" (z = {z:.1f} for {n_val} validation and {n_test} test samples)"
        else:
            fired = drop >= MIN_ACCURACY_DROP_NO_SIZES and ratio_ok
            noise = ""
        for k in ("loss",):
            if k in val and k in test:
                evidence |= {f"val_{k}": val[k], f"test_{k}": test[k]}
        what = f"test accuracy {a_t:.3f} is {drop:.3f} below validation accuracy {a_v:.3f}{noise}"
    else:
        key = next((k for k in ("mse", "loss", "mae") if k in val and k in test), None)
        if key is None or val[key] <= 0:
            return []
        ratio = test[key] / val[key]
        evidence |= {f"val_{key}": val[key], f"test_{key}": test[key], "ratio": ratio}
        fired = ratio >= MIN_LOSS_RATIO
        noise = ""
        if sizes:
            rel_se = math.sqrt(2.0 / n_val + 2.0 / n_test)
            evidence["relative_se"] = rel_se
            fired = fired and (ratio - 1.0) >= MIN_Z * rel_se
            noise = f" (sampling noise about {rel_se:.0%})"
        what = (
            f"test {key} {test[key]:.3g} is {ratio:.1f}x the validation {key} {val[key]:.3g}{noise}"
        )
    if not fired:
        return []
    message = f"{what}: the test data differ from the data the model was trained and tuned on."
    fix = Fix(
        "check that the test data are preprocessed like the training data (same "
        "standardization, units, feature order) and drawn from the same population; draw "
        "the validation set at random (stratified) so it stands for that population",
        {"data.split": "stratified"},
    )
    return [Finding(CODE, "warning", message, fix, step=step, epoch=epoch, evidence=evidence)]
