"""Buggy/fixed program pairs of real user mistakes, re-implemented from public reports.

Every module here except :mod:`real_bugs.common` is one pair and defines:

- ``SOURCE``: the URL of the public report the mistake was re-implemented from (not copied);
- ``EXPECTED``: the finding codes that name the mistake correctly, the preferred one first (a
  code from ``trainwise.doctor.finding.CODES`` or one proposed in :data:`PROPOSED_CODES`);
- ``BLOCKS``: True when the mistake keeps training from producing a usable model at all (then
  the expected code must be the doctor's first-ranked warning or error to count);
- ``buggy(seed)`` and ``fixed(seed)``: the two programs, which differ by the fix only (both are
  one function with the fix behind ``bug``), each returning a :class:`real_bugs.common.Run`.

``bench/real_bugs_suite.py`` runs and scores them.
"""

from __future__ import annotations

import importlib
import pkgutil

#: finding codes the pairs expect that the doctor did not have when the pairs were written
PROPOSED_CODES = {
    "zero_grad_missing": "gradients accumulate across steps: optimizer.zero_grad() is never "
    "called (or only once per epoch); fix: zero the gradients before every backward",
    "optimizer_not_stepping": "loss.backward() runs but optimizer.step() is never called, so no "
    "weight changes; fix: call optimizer.step() after backward",
    "frozen_parameters": "most of the model (or its output layer) has requires_grad=False; "
    "fix: unfreeze what should learn",
    "lr_schedule_collapsed": "a learning-rate schedule has driven the LR to ~0 (a per-epoch "
    "scheduler stepped every batch); fix: step it once per epoch or size it in batches",
    "labels_unrelated": "the labels carry no information about the inputs (a reference model "
    "is at chance: inputs and labels shuffled with different permutations); fix: keep x and y "
    "aligned",
    "labels_collapsed": "(nearly) every label/target is the same value, e.g. fractions cast to "
    "integers; fix: re-encode the labels",
    "output_cannot_express_labels": "the output layer cannot represent the labels (one sigmoid "
    "unit for three classes); fix: one output per class with cross-entropy",
    "validation_class_shift": "the validation set's class make-up differs from training's (a "
    "sorted dataset split at the tail); fix: split at random, stratified",
    "constant_init": "every weight starts at the same value (zeros), so units never differ; "
    "fix: random initialization",
}


def pair_names() -> list[str]:
    """Every pair module, sorted by name."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "common")


def load_pair(name: str):
    return importlib.import_module(f"{__name__}.{name}")
