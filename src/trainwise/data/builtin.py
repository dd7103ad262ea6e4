"""Built-in datasets that need no download: MNIST-1D, sklearn's bundled sets and generators.

Each entry of :data:`BUILTIN_DATASETS` maps a ``data.name`` to a loader
``(cfg, cache_dir) -> RawDataset``. sklearn and mnist1d are imported inside the loaders:
together they cost 2-3 s at import time, which ``import trainwise`` should not pay.
"""

from __future__ import annotations

import math
import os
import random
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trainwise.data.config import DataConfig
from trainwise.data.raw_dataset import RawDataset
from trainwise.errors import ConfigError

#: Bump when the cached MNIST-1D arrays change meaning, so stale caches are not read.
MNIST1D_CACHE_NAME = "mnist1d-v1.npz"

# AutoTrainer's seeds for its Circle and Blob sets; every other generated set uses 0.
_DEFAULT_DATA_SEED = {"circles": 1, "blobs": 2}


def default_cache_dir() -> Path:
    """The cache folder: ``$TRAINWISE_CACHE`` if set, else ``~/.cache/trainwise``.

    Example::

        >>> isinstance(default_cache_dir(), Path)
        True
    """
    env = os.environ.get("TRAINWISE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "trainwise"


def data_seed(cfg: DataConfig) -> int:
    """The seed for generated data: ``cfg.data_seed``, else the dataset's fixed default.

    Example::

        >>> data_seed(DataConfig(name="circles"))
        1
    """
    return cfg.data_seed if cfg.data_seed is not None else _DEFAULT_DATA_SEED.get(cfg.name, 0)


def _generate_mnist1d() -> dict[str, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    # make_dataset reseeds Python's and numpy's global RNGs (seed 42); put them back so that
    # loading data does not silently change the caller's random streams.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        # Never mnist1d's get_dataset: it tries a download first, and there is no network.
        d = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {k: np.asarray(d[k]) for k in ("x", "y", "x_test", "y_test")}


def _write_npz_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # temp file in the same folder + os.replace: a reader sees the old file or the whole new
    # one, never half of it, even if this process is killed mid-write.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_mnist1d_arrays(cache_dir: str | Path | None = None) -> dict[str, np.ndarray]:
    """MNIST-1D's arrays ``x`` (4000, 40), ``y``, ``x_test`` (1000, 40), ``y_test``.

    Generated offline by ``mnist1d.data.make_dataset(get_dataset_args())`` (about 2-3 s),
    which reproduces the published dataset exactly, then cached as ``mnist1d-v1.npz`` in
    ``cache_dir`` (default :func:`default_cache_dir`). A cache that cannot be read is
    regenerated; a cache that cannot be written is skipped (caching only saves time).

    Example::

        >>> arrays = load_mnist1d_arrays()          # doctest: +SKIP
        >>> arrays["x"].shape, arrays["x_test"].shape   # doctest: +SKIP
        ((4000, 40), (1000, 40))
    """
    path = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = path / MNIST1D_CACHE_NAME
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in ("x", "y", "x_test", "y_test")}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # corrupted or foreign file: fall through and regenerate it
    arrays = _generate_mnist1d()
    try:
        _write_npz_atomically(path, arrays)
    except OSError:
        pass  # read-only or full disk: run without the cache
    return arrays


def _mnist1d(cfg: DataConfig, cache_dir: str | Path | None) -> RawDataset:
    a = load_mnist1d_arrays(cache_dir)
    # (N, 40) -> (N, 1, 40): one channel, so 1-D convolutions take it as is.
    return RawDataset(
        a["x"][:, None, :].astype(np.float32),
        a["y"].astype(np.int64),
        a["x_test"][:, None, :].astype(np.float32),
        a["y_test"].astype(np.int64),
        "classification",
        "signal",
        [str(i) for i in range(10)],
    )


def _permuted(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # sklearn's bundled tables come sorted by class (iris, wine); with Keras-style "last
    # fraction" splits that would put whole classes into test. One fixed permutation, the
    # shuffle Keras tells its users to do first, makes those splits representative.
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order]


def _bundled(loader_name: str, task: str, image: bool = False):
    def load(cfg: DataConfig, cache_dir: str | Path | None) -> RawDataset:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader_name)()
        x, y = _permuted(bunch.data, bunch.target, data_seed(cfg))
        if image:
            # digits: 8x8 pixels with values 0..16 -> (N, 1, 8, 8); the standardizer rescales.
            x = x.reshape(-1, 1, 8, 8)
        names = [str(n) for n in bunch.target_names] if task == "classification" else None
        y = y.astype(np.int64 if task == "classification" else np.float32)
        return RawDataset(
            x.astype(np.float32), y, None, None, task, "image" if image else "tabular", names
        )

    return load


def _circles(cfg: DataConfig, cache_dir: str | Path | None) -> RawDataset:
    from sklearn.datasets import make_circles

    _only_2d(cfg)
    x, y = make_circles(cfg.n_samples, noise=cfg.noise, random_state=data_seed(cfg))
    return _table(x, y, "classification")


def _moons(cfg: DataConfig, cache_dir: str | Path | None) -> RawDataset:
    from sklearn.datasets import make_moons

    _only_2d(cfg)
    x, y = make_moons(cfg.n_samples, noise=cfg.noise, random_state=data_seed(cfg))
    return _table(x, y, "classification")


def _only_2d(cfg: DataConfig) -> None:
    if cfg.n_features not in (None, 2):
        raise ConfigError(
            f"data.n_features: {cfg.n_features} is not possible for '{cfg.name}'; allowed: 2 "
            "(or leave it unset)"
        )


def _blobs(cfg: DataConfig, cache_dir: str | Path | None) -> RawDataset:
    from sklearn.datasets import make_blobs

    x, y = make_blobs(
        cfg.n_samples,
        n_features=cfg.n_features or 2,
        centers=cfg.n_classes or 3,
        cluster_std=cfg.cluster_std,
        random_state=data_seed(cfg),
    )
    return _table(x, y, "classification")


def _classification(cfg: DataConfig, cache_dir: str | Path | None) -> RawDataset:
    from sklearn.datasets import make_classification

    n_features, n_classes = cfg.n_features or 20, cfg.n_classes or 2
    # sklearn needs n_classes * n_clusters_per_class <= 2 ** n_informative (one cluster per
    # class here); redundant features fill up to 2 of what is left.
    n_informative = max(2, math.ceil(math.log2(n_classes)))
    if n_informative > n_features:
        raise ConfigError(
            f"data.n_features: {n_features} is too few for {n_classes} classes; allowed: "
            f">= {n_informative}"
        )
    x, y = make_classification(
        cfg.n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=min(2, n_features - n_informative),
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.0,  # clean labels: label noise is a fault to switch on, not a default
        random_state=data_seed(cfg),
    )
    return _table(x, y, "classification")


def _regression(cfg: DataConfig, cache_dir: str | Path | None) -> RawDataset:
    from sklearn.datasets import make_regression

    n_features = cfg.n_features or 10
    x, y = make_regression(
        cfg.n_samples,
        n_features=n_features,
        n_informative=min(n_features, 10),
        noise=cfg.noise,
        random_state=data_seed(cfg),
    )
    return _table(x, y, "regression")


def _table(x: np.ndarray, y: np.ndarray, task: str) -> RawDataset:
    y = y.astype(np.int64 if task == "classification" else np.float32)
    return RawDataset(x.astype(np.float32), y, None, None, task, "tabular", None)


Loader = Callable[[DataConfig, "str | Path | None"], RawDataset]

#: data.name -> loader for every dataset that needs no file.
BUILTIN_DATASETS: dict[str, Loader] = {
    "mnist1d": _mnist1d,
    "digits": _bundled("load_digits", "classification", image=True),
    "circles": _circles,
    "blobs": _blobs,
    "moons": _moons,
    "classification": _classification,
    "regression": _regression,
    "iris": _bundled("load_iris", "classification"),
    "wine": _bundled("load_wine", "classification"),
    "breast_cancer": _bundled("load_breast_cancer", "classification"),
    "diabetes": _bundled("load_diabetes", "regression"),
}


def load_builtin(cfg: DataConfig, cache_dir: str | Path | None = None) -> RawDataset:
    """Load the built-in dataset ``cfg.name`` as numpy arrays (no split, no scaling).

    Example::

        >>> raw = load_builtin(DataConfig(name="iris"))
        >>> raw.x.shape, raw.task, raw.kind
        ((150, 4), 'classification', 'tabular')
    """
    try:
        loader = BUILTIN_DATASETS[cfg.name]
    except KeyError:
        raise ConfigError(
            f"data.name: {cfg.name!r} is not a built-in dataset; allowed: "
            + ", ".join(BUILTIN_DATASETS)
        ) from None
    return loader(cfg, cache_dir)
