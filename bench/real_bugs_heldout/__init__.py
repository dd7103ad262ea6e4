"""A second, held-out batch of buggy/fixed program pairs of real user mistakes.

Written after the first batch (``bench/real_bugs/``) had been used to change the doctor's rules,
by someone who did not read those rule changes or any doctor output while writing them: other
public sources, other datasets and architectures (CNN, LSTM, 1-D conv, BatchNorm nets), some
mistakes of kinds the first batch lacks. Every module here except :mod:`.common` is one pair, in
the first batch's format (see ``real_bugs/__init__.py``): ``SOURCE`` (the URL of the report the
mistake was re-implemented from), ``EXPECTED`` (codes that name the mistake correctly, the
preferred first: from ``trainwise.doctor.finding.CODES``, from the first batch's
``PROPOSED_CODES``, or from :data:`PROPOSED_CODES` below), ``BLOCKS``, ``buggy(seed)`` and
``fixed(seed)``.

Score them with ``python bench/real_bugs_suite.py --set heldout``.
"""

from __future__ import annotations

import importlib
import pkgutil

#: codes for mistakes of kinds no code (existing or proposed with the first batch) covers
PROPOSED_CODES = {
    "eval_mode_during_training": "the model trains in eval mode (model.eval() from a validation "
    "pass never undone), so BatchNorm uses frozen running statistics and Dropout is off; fix: "
    "call model.train() at the start of every training epoch",
    "sequence_dims_swapped": "a recurrent/1-D conv layer reads the batch axis as the time axis "
    "(batch_first missing), so samples of a batch are mixed into one sequence; fix: "
    "batch_first=True or transpose the input",
    "batch_too_small_for_batchnorm": "BatchNorm layers train on batches of one sample, so the "
    "statistics they normalize with in training are not those they keep for evaluation; fix: "
    "larger batches, or GroupNorm/LayerNorm",
}


def pair_names() -> list[str]:
    """Every pair module, sorted by name."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "common")


def load_pair(name: str):
    return importlib.import_module(f"{__name__}.{name}")
