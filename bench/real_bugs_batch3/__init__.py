"""A third, held-out batch of buggy/fixed program pairs of real user mistakes.

Written while other helpers changed the doctor's rules to fix what the first two batches
(``bench/real_bugs/``, ``bench/real_bugs_heldout/``) exposed, by someone who read neither those
rule changes, nor the doctor's code beyond the names in ``trainwise.doctor.finding.CODES``, nor
any doctor output, while writing them: other public sources, other datasets (wine, diabetes,
Friedman #2, Hastie's problem, overlapping classes, multi-label, imbalanced classes), mistakes
of kinds the earlier batches lack, and fixed programs that are correct but unusual (gradient
accumulation, a frozen pretrained backbone, a cosine schedule that ends at ~0, multi-label
targets, a ReduceLROnPlateau that lowers the LR, a run at its data's noise ceiling, a small net
with dead units, heavy dropout). Every module here except :mod:`.common` is one pair, in the
first batch's format (see ``real_bugs/__init__.py``): ``SOURCE``, ``EXPECTED`` (codes whose fix
leads to the real fix, the preferred first: from ``trainwise.doctor.finding.CODES`` or from
:data:`PROPOSED_CODES` below), ``BLOCKS``, ``buggy(seed)`` and ``fixed(seed)``.

Score them with ``python bench/real_bugs_suite.py --set batch3``.
"""

from __future__ import annotations

import importlib
import pkgutil

#: codes for mistakes of kinds no code in ``CODES`` (at commit ff6db32) covers
PROPOSED_CODES = {
    "unnormalized_targets": "regression targets on a scale far from the output layer's (house "
    "prices in the hundreds or thousands), so the fit spends the run crawling toward the mean; "
    "fix: standardize the targets (and invert the scaling on predictions)",
    "same_batch_repeated": "every optimizer step sees the same batch (a fresh iterator's first "
    "batch each step), so the model fits a handful of samples; fix: iterate the loader once per "
    "epoch",
    "training_inputs_drift": "the training inputs change from one epoch to the next (an in-place "
    "transform rewrites the stored data each time a sample is read); fix: transform a copy",
    "class_weights_inverted": "class weights grow with class frequency (frequency instead of "
    "inverse frequency), so rare classes are weighted down further; fix: weights proportional to "
    "1 / frequency",
    "lr_schedule_unbounded": "a schedule keeps raising the LR past its configured value (a "
    "warmup factor never capped at 1); fix: cap the factor, e.g. min(1, step / warmup)",
    "lr_warmup_never_ends": "a warmup keeps the LR far below its configured value for the whole "
    "run (its step counter restarts every epoch, or it is sized in steps and stepped per epoch); "
    "fix: count the warmup in global steps",
    "weights_reset_during_training": "the weights go back to fresh initial values during training "
    "(re-initialization inside the epoch loop), so the final model has trained one epoch; fix: "
    "initialize once before the loop",
}


def pair_names() -> list[str]:
    """Every pair module, sorted by name."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "common")


def load_pair(name: str):
    return importlib.import_module(f"{__name__}.{name}")
