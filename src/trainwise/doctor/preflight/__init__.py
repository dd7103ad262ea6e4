"""The doctor's preflight: data checks before the first step, and the loss/output pairing.

``run_preflight(x, y, ...)`` runs every check and returns ranked findings;
``check_outputs(outputs, loss_fn, task, targets)`` checks one batch of model outputs against
the loss (the live rules call it on the first training batch too). Each check is its own
module and can be called alone.
"""

from trainwise.doctor.preflight.class_imbalance import check_class_imbalance
from trainwise.doctor.preflight.distribution_shift import check_distribution_shift
from trainwise.doctor.preflight.label_noise import check_label_noise
from trainwise.doctor.preflight.label_out_of_range import check_label_range
from trainwise.doctor.preflight.loss_kind import loss_kind
from trainwise.doctor.preflight.loss_output_mismatch import check_outputs
from trainwise.doctor.preflight.nan_in_data import check_nan_in_data
from trainwise.doctor.preflight.run_preflight import run_preflight
from trainwise.doctor.preflight.split_leakage import check_split_leakage
from trainwise.doctor.preflight.unnormalized_inputs import check_unnormalized_inputs
from trainwise.doctor.preflight.unshuffled_data import check_unshuffled

__all__ = [
    "check_class_imbalance",
    "check_distribution_shift",
    "check_label_noise",
    "check_label_range",
    "check_nan_in_data",
    "check_outputs",
    "check_split_leakage",
    "check_unnormalized_inputs",
    "check_unshuffled",
    "loss_kind",
    "run_preflight",
]
