"""Data layer: built-in and file datasets, splits, standardization, augmentation, faults.

The entry point is :func:`load_data` (a ``data:`` config section in, a :class:`DataBundle`
of tensors out). Heavy dependencies (sklearn, kornia, mnist1d, Pillow) are imported only
when a function needs them.
"""

from trainwise.data.augment import build_augmenter
from trainwise.data.balanced_sampler import BalancedSampler
from trainwise.data.bundle import DataBundle
from trainwise.data.class_weights import compute_class_weights
from trainwise.data.config import AugmentConfig, DataConfig, FaultConfig
from trainwise.data.faults import inject_faults
from trainwise.data.load import load_data, prepare_data
from trainwise.data.raw_dataset import RawDataset
from trainwise.data.splits import keras_split, kfold_indices, stratified_split
from trainwise.data.standardize import Standardizer

__all__ = [
    "AugmentConfig",
    "BalancedSampler",
    "DataBundle",
    "DataConfig",
    "FaultConfig",
    "RawDataset",
    "Standardizer",
    "build_augmenter",
    "compute_class_weights",
    "inject_faults",
    "keras_split",
    "kfold_indices",
    "load_data",
    "prepare_data",
    "stratified_split",
]
