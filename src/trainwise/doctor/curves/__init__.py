"""The doctor's curve rules: per-epoch verdicts from the loss and metric curves.

``CurveRules`` (fed by ``Doctor.epoch_end``) reports ``overfitting``,
``overconfident_predictions``, ``underfitting`` and ``over_regularized``;
``check_test_shift`` (``Doctor.check_test``) reports ``test_shift``. One rule per module.
"""

from trainwise.doctor.curves.curve_rules import CurveRules
from trainwise.doctor.curves.test_shift import check_test_shift

__all__ = ["CurveRules", "check_test_shift"]
