"""A fourth, held-out batch of buggy/fixed program pairs of real user mistakes.

Written on 2026-12-08 (01:17-01:58 UTC) while other helpers changed the doctor's rules, by
someone who read none of those changes, nor the doctor's code beyond the names in
``trainwise.doctor.finding.CODES`` (at commit 76f514a), nor any doctor output or earlier score
while writing them (see ``PAIRS.md``). Other public sources than batches 1-3, architectures they
use little (small CNNs on 8x8 digit images, GRUs on sequences, ``nn.Embedding``/``EmbeddingBag``
and attention pooling on synthetic token data, autoencoders, binary BCE with rare positives),
optimizers and schedules they use little (AdamW, RMSprop, Adagrad, LambdaLR, OneCycleLR,
CyclicLR), custom samplers and collate steps, masking and padding; mistakes of kinds the earlier
batches lack; and fixed programs that are correct but unusual (label smoothing, mixup,
gradient clipping at work, class-balanced sampling, a one-cycle schedule ending at ~0, a cyclic
schedule, a frozen pretrained embedding, a deliberately small bottleneck, a legitimately small
LR run for many steps). Every module here except :mod:`.common` is one pair, in the first
batch's format (see ``real_bugs/__init__.py``): ``SOURCE``, ``EXPECTED`` (codes whose fix leads
to the real fix, the preferred first: from ``trainwise.doctor.finding.CODES``, from
:data:`PROPOSED_CODES` below, or from an earlier batch's ``PROPOSED_CODES``), ``BLOCKS``,
``buggy(seed)`` and ``fixed(seed)``.

Score them with ``python bench/real_bugs_suite.py --set batch4``.
"""

from __future__ import annotations

import importlib
import pkgutil

#: codes for mistakes of kinds no code in ``CODES`` (at commit 76f514a) covers
PROPOSED_CODES = {
    "modules_not_registered": "layers kept in a plain Python list (or dict) are invisible to "
    "the module: not in model.parameters(), so the optimizer never updates them and they stay "
    "random; fix: nn.ModuleList / nn.ModuleDict / nn.Sequential",
    "attention_mask_inverted": "an attention/padding mask with the opposite polarity (True for "
    "real tokens where the API masks out True), so the model attends only to padding; fix: "
    "invert the mask (key_padding_mask = x == PAD)",
    "outputs_misaligned_with_targets": "within each batch the rows of the model's outputs no "
    "longer line up with the targets (a (layers*directions, B, H) hidden state reshaped with "
    ".view(B, -1), a batch sorted by length for packing without its labels); fix: permute "
    "before reshaping, reorder the labels (or unsort the outputs) with the same index",
    "dropout_active_at_eval": "functional dropout (F.dropout without training=self.training) "
    "stays on at evaluation, so predictions are noisy and worse than the trained model; fix: "
    "nn.Dropout modules or training=self.training",
    "target_leakage": "a feature that encodes the label in the training and validation data but "
    "not at prediction time (a column logged only for positive cases), so the model learns to "
    "read the label from it and fails on new data; fix: drop features not known at prediction "
    "time",
    "normalized_wrong_axis": "inputs standardized along the wrong axis (each sample across its "
    "features instead of each feature across samples), which erases what the labels depend "
    "on; fix: per-feature statistics fitted on the training split",
    "augmentation_too_strong": "a training-time augmentation that destroys or shifts the signal "
    "(noise in the wrong units, an offset added to every image), so the model trains on inputs "
    "unlike the data it is evaluated on; fix: an augmentation on the data's own scale",
    "optimizer_update_wrong": "a hand-written optimizer applies a wrong update rule (momentum "
    "coefficient on the gradient instead of the velocity, so the velocity never decays and the "
    "steps grow without bound); fix: v = mu * v + g, or use torch.optim.SGD",
    "categorical_ids_as_numbers": "integer category/token ids fed to the network as numeric "
    "magnitudes, so unrelated categories look close; fix: one-hot or nn.Embedding",
}


def pair_names() -> list[str]:
    """Every pair module, sorted by name."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "common")


def load_pair(name: str):
    return importlib.import_module(f"{__name__}.{name}")
