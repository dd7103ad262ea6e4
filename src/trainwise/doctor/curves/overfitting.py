"""``overfitting``: validation loss rises while training loss keeps falling.

The model is learning the training set's particulars rather than the task: past the best
epoch every further step widens the train/validation gap. Single-epoch upticks are not
overfitting (UMLAUT's one-epoch rule warns on every healthy model), so the rise must be large
relative to the best validation loss and to the curve's own jitter, last several epochs,
and come with a real gap to the training loss (see ``val_loss_rise``).

While validation accuracy holds, the same run is also ``overconfident_predictions`` and both
are reported; when validation accuracy clearly still rises it is only that (stopping would
cost accuracy), see ``overconfident_predictions``.
"""

from __future__ import annotations

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.doctor.curves.overconfident_predictions import val_accuracy_gain
from trainwise.doctor.curves.run_facts import RunFacts
from trainwise.doctor.curves.val_loss_rise import find_val_loss_rise
from trainwise.doctor.finding import Finding, Fix

CODE = "overfitting"
#: Since the best validation epoch the training loss must have shed at least this share of
#: its distance to the loss floor: the model is still fitting the training set.
MIN_TRAIN_DROP = 0.10


def check_overfitting(h: CurveHistory, facts: RunFacts) -> Finding | None:
    """Report a persistent validation-loss rise with falling training loss, unless
    validation accuracy is clearly still improving (that is
    ``overconfident_predictions``, which has a different fix). Otherwise None.

    Example::

        >>> h = CurveHistory()
        >>> for e in range(12):
        ...     h.add(e, {"loss": 1.0 / (e + 1), "val_loss": 0.5 + 0.04 * abs(e - 3),
        ...               "val_accuracy": 0.8})
        >>> f = check_overfitting(h, RunFacts(total_epochs=12))
        >>> f.epoch, f.evidence["best_epoch"]
        (4, 3)
    """
    rise = find_val_loss_rise(h, facts)
    if rise is None:
        return None
    floor = facts.loss_floor(h)
    excess = rise.train_loss_at_best - floor
    train_drop = (rise.train_loss_at_best - rise.train_loss) / excess if excess > 0 else 0.0
    if train_drop < MIN_TRAIN_DROP:
        return None
    acc = val_accuracy_gain(h, facts, rise)
    if acc is not None and acc.significant:
        return None
    early = rise.epochs_above < facts.persistence()
    if early and acc is not None and acc.gain >= 0.5 * acc.needed:
        # a rise found early by the trend path while validation accuracy is half way to a
        # clear gain: wait for the full window, which tells "still improving" from "memorizing"
        return None
    best_epoch = h.epochs[rise.best]
    message = (
        f"validation loss rose {rise.relative_rise:.0%} above its best {rise.best_val_loss:.3g} "
        f"(epoch {best_epoch + 1}) to {rise.val_loss:.3g} and stayed up for "
        f"{rise.epochs_above} epochs while training loss fell from "
        f"{rise.train_loss_at_best:.3g} to {rise.train_loss:.3g}: the model is memorizing the "
        "training set."
    )
    dropout = facts.regularization.get("dropout", 0.0)
    overrides: dict[str, float | int] = {
        "callbacks.early_stopping.patience": max(3, rise.epochs_above)
    }
    if dropout < 0.5:
        overrides["model.dropout"] = round(min(0.5, max(0.3, dropout + 0.2)), 2)
    optimizer = facts.regularization.get("optimizer")
    wd = facts.regularization.get("weight_decay", 0.0)
    if optimizer == "adamw" and wd < 0.05:
        overrides["optimizer.weight_decay"] = 0.05
    elif optimizer is not None and optimizer != "adamw" and wd < 1e-4:
        overrides["optimizer.weight_decay"] = 1e-4
    fix = Fix(
        "keep the weights of the best epoch (early stopping, restore_best) and regularize: "
        "more dropout or weight decay, augmentation, or more training data",
        overrides,
    )
    evidence = rise.evidence(best_epoch) | {
        "train_val_gap": rise.gap,
    }
    if acc is not None:
        evidence |= {"val_accuracy_at_best": acc.at_best, "val_accuracy": acc.now}
    return Finding(CODE, "warning", message, fix, **h.when(rise.onset), evidence=evidence)
