"""Which finding wins: the one table of the codes that explain each symptom.

A symptom is often the consequence of another problem: units die after a too-high learning
rate, a loss stalls because the labels are noise. The doctor reports the cause, not its
consequences, and this table is the only place that says which code yields to which. Every
stage reads it through :func:`outranked`:

- live rules (:class:`~trainwise.doctor.doctor.Doctor` ``step``): a rule is no longer called
  once one of its causes has fired; what it finds while fewer than :data:`CONSEQUENCE_HOLD`
  losses are in is held back, and dropped if one of its causes fires meanwhile;
- curve rules (``Doctor.epoch_end``): a verdict is dropped when one of its causes has fired;
  two curve codes that yield to each other read one symptom two ways, so once one is
  reported the other is not tried (:func:`same_symptom`);
- a code with no entry yields to nothing: data faults, ``nan_loss`` and ``test_shift`` are
  always reported; ``exploding_gradients`` (gradients 100x their start or their weights are
  a cause in their own right) yields only to ``zero_grad_missing``, whose fix differs (and to
  an LR schedule that grows all run or regression targets far off the output's scale). ``overfitting`` and ``overconfident_predictions`` do
  not yield to each other: a validation loss that rises while validation accuracy holds is
  both (each rules the other out only where accuracy clearly moves, see their modules).
"""

from __future__ import annotations

from collections.abc import Iterable, Set

#: a rule that yields holds what it finds until this many losses are in (and the next probe),
#: so a cause that needs a full loss window to be judged (``lr_too_high``) can still claim it;
#: costs at most this many steps of delay
CONSEQUENCE_HOLD = 10

#: live findings of an unstable run: its updates throw the weights about (an LR schedule
#: that grows without bound makes any run so)
UNSTABLE = (
    "lr_too_high",
    "exploding_gradients",
    "nan_loss",
    "zero_grad_missing",
    "lr_schedule_unbounded",
)
#: findings that each explain a stalled loss more specifically than "it does not fall"
STALL_CAUSES = (
    "nan_loss",
    "lr_too_high",
    "lr_too_low",
    "vanishing_gradients",
    "exploding_gradients",
    "dead_relu",
    "saturated_activations",
    "params_not_updating",
    "unshuffled_data",
    "loss_output_mismatch",
    "label_noise",
    "over_regularized",
    # the loop's own mistakes: nothing is applied, nothing can learn, or the LR is gone
    "zero_grad_missing",
    "optimizer_not_stepping",
    "frozen_parameters",
    "lr_schedule_collapsed",
    "lr_schedule_unbounded",
    "lr_warmup_never_ends",
    # regression targets thousands of times the output's scale: the fit crawls toward them
    "unnormalized_targets",
    # the labels themselves: collapsed to one value, beyond the output's reach, or unrelated
    # to the inputs; no model-side fix can make such a loss fall usefully
    "labels_collapsed",
    "output_cannot_express_labels",
    "labels_unrelated",
    # the loop trains another network than the one written: dropout off and BatchNorm frozen
    # (eval mode), or a recurrent layer reading the batch axis as time
    "eval_mode_during_training",
    "sequence_dims_swapped",
    # the loop trains on one batch, resets its weights, or its inputs drift epoch by epoch
    "same_batch_repeated",
    # a log-likelihood minimized instead of its negative: the model unlearns the targets
    "loss_sign_flipped",
    "weights_reset_during_training",
    "training_inputs_drift",
)
#: the loop hands the model one batch over and over, or inputs that drift from validation's
LOOP_DATA = ("same_batch_repeated", "training_inputs_drift")
#: held-out splits whose classes differ from training's: their curves measure another task
CLASS_SHIFT = ("validation_class_shift",)
#: causes found only after an epoch or more (the curve rules): a curve verdict they explain
#: is withdrawn even when it came first (``overfitting`` of a net memorising random labels,
#: before the reference model could say the labels carry no signal): the cause is the report
#: (a collapsed LR schedule is judged only once the LR has stayed collapsed for a while)
RETROACTIVE_CAUSES = (
    "labels_unrelated",
    "lr_schedule_collapsed",
    "over_regularized",
    "lr_warmup_never_ends",  # a sawtooth is seen only after two restarts (two epochs)
    # seen at epoch boundaries (a reset, a drift), or once an epoch proved the batch repeated:
    # the loop's fault, and the flat or rising curve judged before it its consequence
    "same_batch_repeated",
    "weights_reset_during_training",
    "training_inputs_drift",
)
#: live symptoms of the activations and gradients: one found before its cause (after the
#: CONSEQUENCE_HOLD, e.g. units that died from un-averaged accumulated steps long before the
#: loss climbed to 2x its start) is kept as ``info`` once the cause fires: the cause ranks first
#: (also a tiny LR seen in a warm-up's first epochs, before the doctor could tell that the
#: warm-up never ends: it is stepped once per epoch)
DEMOTED_BY_LATE_CAUSE = (
    "dead_relu",
    "saturated_activations",
    "vanishing_gradients",
    "lr_too_low",
)
_STALL_BUT_PENALTY = tuple(c for c in STALL_CAUSES if c != "over_regularized")

#: symptom code -> (the codes that explain it, why)
PRECEDENCE: dict[str, tuple[tuple[str, ...], str]] = {
    "unshuffled_data": (
        ("unshuffled_data",),
        "the preflight check already named the sorted label order: one report is enough",
    ),
    "labels_unrelated": (
        ("unnormalized_inputs", "lr_schedule_unbounded", "lr_schedule_collapsed"),
        "constant inputs leave every model at chance whatever the labels: the inputs are the "
        "fault; a net blown up by an ever-growing LR, or stopped by a collapsed one, sits at "
        "chance too, so its accuracy says nothing about the labels",
    ),
    "labels_collapsed": (
        ("labels_collapsed",),
        "the preflight check already named the collapsed labels: the batches add nothing",
    ),
    "lr_too_high": (
        (
            "unshuffled_data",
            "nan_loss",
            "over_regularized",
            "zero_grad_missing",
            "eval_mode_during_training",
            "lr_schedule_unbounded",
            "unnormalized_targets",
            "weights_reset_during_training",
        ),
        "sorted batches make the loss jump; a penalty pinning the weights makes steps look big; "
        "gradients summed over all past steps make every step too big at any LR; a BatchNorm "
        "net trained in eval mode loses the normalization that made its LR safe; a schedule "
        "that keeps raising the LR is why it got too high (the fix is the cap, not a lower "
        "start); errors on unscaled targets make steps huge at any LR; weights re-initialized "
        "between epochs look like one huge step",
    ),
    "exploding_gradients": (
        (
            "zero_grad_missing",
            "eval_mode_during_training",
            "lr_schedule_unbounded",
            "unnormalized_targets",
        ),
        "a .grad never cleared grows with every step: the fix is zero_grad, not clipping; in "
        "eval mode BatchNorm no longer rescales the activations the LR was set for; an LR that "
        "grows all run, or errors on targets thousands of units large, blow the gradients up",
    ),
    "lr_too_low": (
        (*UNSTABLE, "lr_schedule_collapsed", "lr_warmup_never_ends"),
        "weights blown up by unstable steps make every update look tiny; a collapsed schedule, "
        "or a warm-up that never ends, is why the LR is tiny (raising the start LR would not "
        "help)",
    ),
    "vanishing_gradients": (
        (*UNSTABLE, "unnormalized_inputs", "over_regularized"),
        "unscaled inputs and blown-up weights distort the first/last layer gradient ratio; a "
        "penalty pinning the weights near zero shrinks the gradients that flow back through them",
    ),
    "dead_relu": (
        (
            *UNSTABLE,
            "unnormalized_inputs",
            "batch_too_small_for_batchnorm",
            "unnormalized_targets",
            "training_inputs_drift",
        ),
        "too-large steps and badly scaled inputs switch units off for every sample alike; "
        "BatchNorm over a sample or two zeroes about half the values before the ReLU; inputs "
        "drifting toward a constant make every sample alike",
    ),
    "saturated_activations": (UNSTABLE, "too-large steps drive pre-activations into the tails"),
    "class_imbalance": (
        (
            *UNSTABLE,
            "class_weights_inverted",
            "lr_too_low",
            "lr_schedule_collapsed",
            "lr_warmup_never_ends",
            "loss_output_mismatch",
            "labels_unrelated",
            "label_ignored_by_loss",
            "loss_sign_flipped",
        ),
        "class weights that grow with the counts are why the small classes are ignored; a run "
        "that is unstable, barely moving or fed the wrong outputs has not learned any class yet; "
        "a class the loss ignores is never learned, whatever its count",
    ),
    "params_not_updating": (
        (*UNSTABLE, "dead_relu", "vanishing_gradients", "lr_too_low", "optimizer_not_stepping"),
        "dead units, vanished gradients or a tiny LR give updates float32 cannot add; an "
        "optimizer that never steps changes nothing",
    ),
    "loss_not_decreasing": (STALL_CAUSES, "the fallback: a specific cause explains a flat loss"),
    "underfitting": (
        STALL_CAUSES,
        "a live cause (or a strong penalty) already explains the stall; a bigger model would not",
    ),
    "over_regularized": (
        (*_STALL_BUT_PENALTY, "underfitting"),
        "a stall with a live cause is not the penalty's fault (a tiny LR makes lr * decay ~ 0)",
    ),
    "overfitting": (
        (*UNSTABLE, *CLASS_SHIFT, *LOOP_DATA, "labels_unrelated", "loss_sign_flipped"),
        "an unstable run's validation loss is wild without memorizing; validation classes that "
        "training lacks, or labels with no signal, make it rise whatever the model does; one "
        "batch fitted over and over, or training inputs drifting from validation's, are the "
        "loop's fault, not the model's",
    ),
    "overconfident_predictions": (
        (
            *UNSTABLE,
            *CLASS_SHIFT,
            *LOOP_DATA,
            "labels_unrelated",
            "unnormalized_inputs",
            "loss_sign_flipped",
        ),
        "the same: instability, a class shift, the loop's batches or signal-free labels, not "
        "confidence, move it; inputs hundreds of units large make the logits as large",
    ),
}


def causes(code: str) -> tuple[str, ...]:
    """The codes that explain ``code`` (empty when it yields to nothing).

    >>> causes("saturated_activations")
    ('lr_too_high', 'exploding_gradients', 'nan_loss', 'zero_grad_missing')
    """
    entry = PRECEDENCE.get(code)
    return entry[0] if entry else ()


def outranked(code: str, fired: Set[str]) -> bool:
    """True when one of ``code``'s causes is among the ``fired`` codes.

    >>> outranked("underfitting", {"lr_too_low"}), outranked("underfitting", {"overfitting"})
    (True, False)
    """
    return not fired.isdisjoint(causes(code))


def withdrawn_by_late_cause(code: str, fired: Set[str]) -> bool:
    """True when ``code`` is explained by one of :data:`RETROACTIVE_CAUSES` among ``fired``:
    the finding is withdrawn even though it was reported before its cause was found.

    >>> withdrawn_by_late_cause("overfitting", {"labels_unrelated"})
    True
    """
    return any(c in fired for c in causes(code) if c in RETROACTIVE_CAUSES)


def demoted_by_late_cause(code: str, fired: Set[str]) -> str | None:
    """The cause among ``fired`` that explains ``code``, when ``code`` is one of
    :data:`DEMOTED_BY_LATE_CAUSE` (its finding, reported before that cause, becomes info);
    else None.

    >>> demoted_by_late_cause("dead_relu", {"dead_relu", "lr_too_high"})
    'lr_too_high'
    >>> demoted_by_late_cause("params_not_updating", {"lr_too_low"}) is None
    True
    """
    if code not in DEMOTED_BY_LATE_CAUSE:
        return None
    return next((c for c in causes(code) if c in fired and c != code), None)


def same_symptom(code: str, among: Iterable[str]) -> list[str]:
    """The codes of ``among`` that yield to ``code`` and that ``code`` yields to: one symptom
    read two ways, so once ``code`` is reported they are not.

    >>> same_symptom("over_regularized", ["overfitting", "underfitting"])
    ['underfitting']
    """
    return [c for c in among if code in causes(c) and c in causes(code)]
