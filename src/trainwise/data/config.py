"""The ``data:`` config section: which dataset, how it is split, scaled, augmented and faulted.

Every range check here raises a message that names the field, the value and what is allowed;
the config loader turns pydantic's errors into :class:`trainwise.errors.ConfigError`.
Checks that depend on several fields at once (``path`` required for ``csv``; an augmentation
that does not fit the data's kind) are made in :func:`trainwise.data.load.load_data` and
:func:`trainwise.data.augment.build_augmenter`, not here: with ``validate_assignment`` a
cross-field validator would reject the first of two ``--set`` overrides that only make sense
together (``--set data.name=csv --set data.path=x.csv``).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator

from trainwise.config.section import Section

DatasetName = Literal[
    "mnist1d",
    "digits",
    "circles",
    "blobs",
    "moons",
    "classification",
    "regression",
    "iris",
    "wine",
    "breast_cancer",
    "diabetes",
    "csv",
    "npz",
    "image_folder",
]

#: Names that read their samples from ``data.path``.
FILE_DATASETS = ("csv", "npz", "image_folder")


def _fraction(field: str, value: float, low_open: bool, allowed: str) -> float:
    """Check ``value`` lies in [0, 1) (or (0, 1) when ``low_open``); the message names ``field``."""
    ok = math.isfinite(value) and value < 1 and (value > 0 if low_open else value >= 0)
    if not ok:
        raise ValueError(f"{field}: {value!r} is out of range; allowed: {allowed}")
    return value


class AugmentConfig(Section):
    """Random training-batch augmentation; every option defaults to off.

    1-D signals (N, C, L): ``shift``, ``noise``, ``scale``.
    Images (N, C, H, W): ``flip``, ``rotation``, ``zoom``, ``translation``, ``contrast``,
    ``noise``, ``scale``. Tabular (N, F): ``noise``, ``scale``.
    Augmentation acts on the *standardized* batches the model sees, so ``noise`` is in units
    of the standardized inputs (about one training std).
    """

    shift: int = Field(0, ge=0)
    """Signals: roll each sample circularly by a random whole number of steps in
    [-shift, shift]. Circular, because MNIST-1D itself is made by circular translation
    (a zero-padded shift would add edges the data never has)."""
    noise: float = Field(0.0, ge=0.0, allow_inf_nan=False)
    """Add Gaussian noise with this standard deviation to every input value."""
    scale: float = 0.0
    """Multiply each sample by a factor drawn from U(1 - scale, 1 + scale); in [0, 1)."""
    flip: float = 0.0
    """Images: probability of a horizontal flip, in [0, 1]; ``true`` means 0.5."""
    rotation: float = Field(0.0, ge=0.0, le=180.0)
    """Images: rotate by a random angle in [-rotation, rotation] degrees."""
    zoom: float = 0.0
    """Images: scale by a random factor in [1 - zoom, 1 + zoom]; in [0, 1)."""
    translation: float = 0.0
    """Images: shift by up to this fraction of the width/height; in [0, 1)."""
    contrast: float = 0.0
    """Images: scale each image's deviation from its own per-channel mean by a factor in
    [1 - contrast, 1 + contrast] (Keras RandomContrast semantics); in [0, 1)."""

    @field_validator("flip", mode="before")
    @classmethod
    def _flip_bool(cls, v: object) -> object:
        # ``flip: true`` is the Keras spelling; a fair coin is what it means there.
        if isinstance(v, bool):
            return 0.5 if v else 0.0
        return v

    @field_validator("flip")
    @classmethod
    def _flip_range(cls, v: float) -> float:
        if not (0.0 <= v <= 1.0):
            raise ValueError(f"data.augment.flip: {v!r} is out of range; allowed: [0, 1] or a bool")
        return v

    @field_validator("scale", "zoom", "translation", "contrast")
    @classmethod
    def _unit_interval(cls, v: float, info) -> float:
        return _fraction(f"data.augment.{info.field_name}", v, False, "[0, 1)")

    def active(self) -> list[str]:
        """Names of the options that are switched on (non-zero), in declaration order."""
        return [name for name in type(self).model_fields if getattr(self, name)]


class FaultConfig(Section):
    """Seeded data faults for teaching and for testing the doctor; all default to off.

    Faults are applied by :func:`trainwise.data.faults.inject_faults` after the splits and
    before standardization, in this order: ``imbalance``, ``label_noise``, ``sort_by_label``,
    ``scale``/``offset``, ``covariate_shift``, ``nan_fraction``.
    """

    scale: float = Field(1.0, allow_inf_nan=False)
    """Multiply inputs of every split by this factor (all features, or ``features`` only).
    It models raw data in large units, so it survives only with ``standardize: none``."""
    offset: float = Field(0.0, allow_inf_nan=False)
    """Add this constant to inputs of every split (all features, or ``features`` only)."""
    features: list[int] | None = None
    """Indices along axis 1 (columns of tabular data, channels of signals/images) that
    ``scale`` and ``offset`` touch; ``None`` means all."""
    sort_by_label: bool = False
    """Sort the training split by label (stable); by the first target for regression."""
    label_noise: float = 0.0
    """Fraction in [0, 1) of training labels replaced by a different, random class
    (exactly ``round(fraction * n_train)`` labels change). Classification only."""
    nan_fraction: float = 0.0
    """Fraction in [0, 1) of training input values set to NaN (exactly
    ``round(fraction * x_train.numel())`` values)."""
    imbalance: float = 1.0
    """Ratio r in (0, 1]: class 0 keeps all its training samples, every other class keeps
    ``max(1, round(r * count))`` of its own (a step imbalance of 1 : 1/r). Val/test keep
    their balance, so the harm shows. ``1`` is off. Classification only."""
    covariate_shift: float = Field(0.0, allow_inf_nan=False)
    """Add this many training standard deviations (per feature for tabular data, per channel
    for signals/images) to validation and test inputs only."""

    @field_validator("label_noise", "nan_fraction")
    @classmethod
    def _unit_interval(cls, v: float, info) -> float:
        return _fraction(f"data.faults.{info.field_name}", v, False, "[0, 1)")

    @field_validator("imbalance")
    @classmethod
    def _ratio(cls, v: float) -> float:
        if not (math.isfinite(v) and 0 < v <= 1):
            raise ValueError(
                f"data.faults.imbalance: {v!r} is out of range; allowed: (0, 1], 1 for off"
            )
        return v

    def active(self) -> list[str]:
        """Names of the faults that are switched on, in application order."""
        on = {
            "imbalance": self.imbalance != 1.0,
            "label_noise": self.label_noise > 0,
            "sort_by_label": self.sort_by_label,
            "scale": self.scale != 1.0,
            "offset": self.offset != 0.0,
            "covariate_shift": self.covariate_shift != 0.0,
            "nan_fraction": self.nan_fraction > 0,
        }
        return [name for name, is_on in on.items() if is_on]


class DataConfig(Section):
    """Where the data comes from and how it is prepared.

    Defaults: MNIST-1D, the last 10% of the training set as validation (Keras semantics),
    standardization fitted on the training split only, no augmentation, no faults.

    Example::

        >>> cfg = DataConfig(name="circles", validation_split=0.2, split="stratified")
        >>> cfg.augment.shift, cfg.faults.label_noise
        (0, 0.0)
    """

    name: DatasetName = "mnist1d"
    """Built-in dataset or file format (``csv``, ``npz``, ``image_folder`` read ``path``)."""
    path: str | None = None
    """File or folder for ``csv``, ``npz`` and ``image_folder``."""
    target: str | int | None = None
    """CSV target column: header name or 0-based index (negative counts from the end);
    ``None`` is the last column."""
    task: Literal["auto", "classification", "regression"] = "auto"
    """``auto`` takes the dataset's own task; files: integer/string targets classify,
    float targets regress."""

    # Generator settings (circles, blobs, moons, classification, regression); fixed-size
    # datasets ignore them. Defaults reproduce AutoTrainer's Circle and Blob sets:
    # make_circles(1000, noise=0.1, factor=0.8 (sklearn's default), random_state=1) and
    # make_blobs(1000, centers=3, n_features=2, cluster_std=2, random_state=2).
    n_samples: int = Field(1000, ge=2)
    noise: float = Field(0.1, ge=0.0, allow_inf_nan=False)
    """Circles/moons: Gaussian noise on the points; regression: noise std on the target."""
    n_features: int | None = Field(None, ge=1)
    """``None``: 2 for circles/blobs/moons, 20 for classification, 10 for regression."""
    n_classes: int | None = Field(None, ge=2)
    """Blobs/classification: the number of classes (``None``: 3 and 2). Any other dataset:
    the declared class count; labels outside 0..n_classes-1 are an error."""
    cluster_std: float = Field(2.0, gt=0.0, allow_inf_nan=False)
    """Blobs: standard deviation of each cluster."""
    data_seed: int | None = None
    """Seed of generated data and of the fixed shuffle of sklearn's bundled tables;
    ``None``: AutoTrainer's seeds (circles 1, blobs 2), 0 for the rest. Kept apart from the
    run seed so every run of a comparison sees the same samples."""

    validation_split: float = 0.1
    """Fraction of the training data held out for validation: in (0, 1), or 0 for none."""
    split: Literal["keras", "stratified"] = "keras"
    """``keras``: the LAST fraction, in order, as Keras ``validation_split`` (shuffle sorted
    data first!); ``stratified``: a seeded stratified random split (seeded random split for
    regression). Also used for ``test_split``."""
    test_split: float = 0.2
    """Fraction held out as a test set, in [0, 1); only for datasets without their own."""
    shuffle: bool = True
    """Reshuffle the training order every epoch (the training loop does it)."""
    standardize: Literal["auto", "none", "feature", "channel", "global"] = "auto"
    """Statistics fitted on the training split only. ``feature``: one mean/std per input
    value (per column, per signal position, per pixel); ``channel``: per channel (= per
    column for tabular data); ``global``: one for everything; ``auto``: per feature for
    tabular data, per channel for signals and images."""
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    class_weight: Literal["balanced"] | dict[int, float] | None = None
    """``balanced``: n / (C * count_c), as sklearn; or explicit ``{class: weight}`` (classes
    not listed weigh 1). Classification only."""
    balanced_sampler: bool = False
    """Draw every class equally often per epoch (with repeats for small classes)."""
    faults: FaultConfig = Field(default_factory=FaultConfig)

    @field_validator("validation_split")
    @classmethod
    def _validation_split(cls, v: float) -> float:
        if v == 0:
            return v
        return _fraction("data.validation_split", v, True, "(0, 1), or 0 for no validation split")

    @field_validator("test_split")
    @classmethod
    def _test_split(cls, v: float) -> float:
        return _fraction("data.test_split", v, False, "[0, 1), 0 for no test split")

    @field_validator("class_weight")
    @classmethod
    def _class_weight(cls, v: object) -> object:
        if isinstance(v, dict):
            for k, w in v.items():
                if k < 0 or not (math.isfinite(w) and w >= 0):
                    raise ValueError(
                        f"data.class_weight: {{{k}: {w}}} is not allowed; allowed: class "
                        "indices >= 0 mapped to finite weights >= 0"
                    )
        return v
