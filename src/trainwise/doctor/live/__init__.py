"""The live rules: one class per finding code, each in its own file.

:func:`make_live_rules` returns a fresh instance of each, in the order the doctor runs them
(``nan_loss`` last, so the other rules still see the step on which the loss went non-finite;
``exploding_gradients`` before ``lr_too_high``). Which finding yields to which is
:mod:`~trainwise.doctor.precedence`'s.
"""

from __future__ import annotations

from trainwise.doctor.live.batch_too_small_for_batchnorm import BatchTooSmallForBatchnorm
from trainwise.doctor.live.class_imbalance import ClassImbalance
from trainwise.doctor.live.class_weights_inverted import ClassWeightsInverted
from trainwise.doctor.live.context import LiveContext
from trainwise.doctor.live.dead_relu import DeadRelu
from trainwise.doctor.live.eval_mode_during_training import EvalModeDuringTraining
from trainwise.doctor.live.exploding_gradients import ExplodingGradients
from trainwise.doctor.live.frozen_parameters import FrozenParameters
from trainwise.doctor.live.label_ignored_by_loss import LabelIgnoredByLoss
from trainwise.doctor.live.labels_collapsed import LabelsCollapsed
from trainwise.doctor.live.loop_watch import LoopWatch
from trainwise.doctor.live.loss_not_decreasing import LossNotDecreasing
from trainwise.doctor.live.loss_output_mismatch import LossOutputMismatch
from trainwise.doctor.live.loss_sign_flipped import LossSignFlipped
from trainwise.doctor.live.lr_schedule_collapsed import LrScheduleCollapsed
from trainwise.doctor.live.lr_schedule_unbounded import LrScheduleUnbounded
from trainwise.doctor.live.lr_too_high import LrTooHigh
from trainwise.doctor.live.lr_too_low import LrTooLow
from trainwise.doctor.live.lr_warmup_never_ends import LrWarmupNeverEnds
from trainwise.doctor.live.nan_loss import NanLoss
from trainwise.doctor.live.optimizer_not_stepping import OptimizerNotStepping
from trainwise.doctor.live.params_not_updating import ParamsNotUpdating
from trainwise.doctor.live.rule import LiveRule
from trainwise.doctor.live.same_batch_repeated import SameBatchRepeated
from trainwise.doctor.live.saturated_activations import SaturatedActivations
from trainwise.doctor.live.sequence_dims_swapped import SequenceDimsSwapped
from trainwise.doctor.live.training_inputs_drift import TrainingInputsDrift
from trainwise.doctor.live.unnormalized_targets import UnnormalizedTargets
from trainwise.doctor.live.unshuffled_data import UnshuffledData
from trainwise.doctor.live.vanishing_gradients import VanishingGradients
from trainwise.doctor.live.weights_reset_during_training import WeightsResetDuringTraining
from trainwise.doctor.live.zero_grad_missing import ZeroGradMissing

RULES: tuple[type[LiveRule], ...] = (
    LossOutputMismatch,
    LossSignFlipped,  # early: a loss minimized the wrong way blocks all training
    UnshuffledData,
    LabelsCollapsed,
    ClassWeightsInverted,  # before ClassImbalance: inverted weights are why the small
    ClassImbalance,  # classes are ignored
    LabelIgnoredByLoss,
    FrozenParameters,
    EvalModeDuringTraining,  # the loop's mode and the layers' input axes: structural, so
    SequenceDimsSwapped,  # named before the symptoms they cause (a blow-up, a stall)
    BatchTooSmallForBatchnorm,
    SameBatchRepeated,  # the batches and weights the loop hands over: named before the
    WeightsResetDuringTraining,  # symptoms they cause (overfitting, jumps read as a high LR)
    TrainingInputsDrift,
    UnnormalizedTargets,  # the targets' scale and the LR schedule: named before the
    LrScheduleUnbounded,  # blow-up or stall they cause (exploding gradients, a high or
    LrWarmupNeverEnds,  # low LR, a flat loss)
    OptimizerNotStepping,  # before ParamsNotUpdating and ZeroGradMissing: the loop's own
    ZeroGradMissing,  # mistakes are named before their symptoms (and before LrTooHigh)
    ParamsNotUpdating,
    ExplodingGradients,  # before LrTooHigh: on a step where both fire (a blow-up into NaN)
    LrTooHigh,  # the specific gradient evidence is reported, and the LR advice still is
    VanishingGradients,
    DeadRelu,
    SaturatedActivations,
    LrScheduleCollapsed,  # before LrTooLow: a collapsed schedule is the reason the LR is low
    LrTooLow,
    LossNotDecreasing,
    NanLoss,
)


def make_live_rules() -> list[LiveRule]:
    """A fresh instance of every live rule.

    >>> [r.code for r in make_live_rules()][-1]
    'nan_loss'
    """
    return [cls() for cls in RULES]


__all__ = ["RULES", "LiveContext", "LiveRule", "LoopWatch", "make_live_rules"]
