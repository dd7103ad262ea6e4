"""User data from files: CSV tables, ``.npz`` archives and folders of images per class.

Every loader returns a :class:`RawDataset`; errors name the path and what is wrong with it.
"""

from __future__ import annotations

import csv
import math
import zipfile
from pathlib import Path

import numpy as np

from trainwise.data.raw_dataset import RawDataset, kind_of, task_of
from trainwise.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_MISSING = {"", "na", "nan", "null", "none"}


def _existing(path: str | Path, what: str) -> Path:
    p = Path(path).expanduser()
    ok = p.is_dir() if what == "folder" else p.is_file()
    if not ok:
        raise DataError(f"data.path: {str(path)!r} is not an existing {what}")
    return p


def _number(cell: str) -> float | None:
    """The float in ``cell``; NaN for an empty/NA cell; ``None`` if it is not a number."""
    if cell.strip().lower() in _MISSING:
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return None


def _is_header(rows: list[list[str]]) -> bool:
    """The first row is a header if one of its cells is text where the second row has a
    number (a text column of class names is not a header on its own)."""
    text = [_number(c) is None for c in rows[0]]
    if len(rows) < 2:
        return any(text)
    below = [_number(c) is not None for c in rows[1]]
    return all(text) or any(t and b for t, b in zip(text, below))


def _target_column(target: str | int | None, header: list[str] | None, width: int, path) -> int:
    if target is None:
        return width - 1
    if isinstance(target, int):
        if not -width <= target < width:
            raise DataError(
                f"data.target: {target} is not a column of {str(path)!r}; allowed: "
                f"-{width}..{width - 1}"
            )
        return target % width
    if (header is None or target not in header) and target.lstrip("-").isdigit():
        return _target_column(int(target), header, width, path)  # "3" from --set data.target=3
    if header is None or target not in header:
        allowed = ", ".join(header) if header else "a column index (the file has no header)"
        raise DataError(
            f"data.target: {target!r} is not a column of {str(path)!r}; allowed: {allowed}"
        )
    return header.index(target)


def load_csv(path: str | Path, target: str | int | None = None) -> RawDataset:
    """Read a numeric CSV table; one column is the target, all others are features.

    Defaults: ``target=None`` takes the last column; a string names a header column, an int
    is a 0-based index. The first row is a header if it has text where the second row has a
    number.
    Empty/``NA`` cells become NaN (which :func:`load_data` then reports). Targets that are
    all integers or non-numbers (class names) classify; other numbers regress.

    Example::

        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = p.write_text("a,b,label\\n1,2,cat\\n3,4,dog\\n")
        >>> raw = load_csv(p, target="label")
        >>> raw.x.shape, raw.y.tolist(), raw.task
        ((2, 2), ['cat', 'dog'], 'classification')
    """
    p = _existing(path, "file")
    try:
        with p.open(newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"data.path: {str(path)!r} cannot be read as CSV ({e})") from None
    if not rows:
        raise DataError(f"data.path: {str(path)!r} is empty; allowed: a CSV with rows of numbers")
    header = None
    if _is_header(rows):
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    width = len(header) if header else len(rows[0]) if rows else 0
    if width < 2:
        raise DataError(
            f"data.path: {str(path)!r} has {width} column(s); allowed: at least 2 (features + target)"
        )
    col = _target_column(target, header, width, path)
    features, targets = [], []
    for i, row in enumerate(rows):
        line = i + 2 if header else i + 1
        if len(row) != width:
            raise DataError(
                f"data.path: {str(path)!r} line {line} has {len(row)} columns; allowed: {width} "
                "like the first row"
            )
        values = []
        for j, cell in enumerate(row):
            if j == col:
                continue
            v = _number(cell)
            if v is None:
                name = header[j] if header else f"column {j}"
                raise DataError(
                    f"data.path: {str(path)!r} line {line}, {name}: {cell!r} is not a number; "
                    "allowed: numbers, or empty/NA for missing"
                )
            values.append(v)
        features.append(values)
        targets.append(row[col].strip())
    x = np.asarray(features, dtype=np.float32).reshape(len(rows), width - 1)
    y = _parse_targets(targets)
    return RawDataset(x, y, None, None, task_of(y), "tabular", None)


def _parse_targets(cells: list[str]) -> np.ndarray:
    """int64 if every cell is an integer, float32 if every cell is a number, else strings."""
    try:
        return np.asarray([int(c) for c in cells], dtype=np.int64)
    except ValueError:
        pass
    numbers = [_number(c) for c in cells]
    if all(v is not None for v in numbers):
        return np.asarray(numbers, dtype=np.float32)
    return np.asarray(cells, dtype=str)


def load_npz(path: str | Path) -> RawDataset:
    """Read ``x`` and ``y`` (and optionally both ``x_test`` and ``y_test``) from a ``.npz``.

    Loaded with ``allow_pickle=False``: an archive holding object arrays is refused, since
    unpickling can run arbitrary code. ``x`` may be (N,), (N, F), (N, C, L) or (N, C, H, W);
    (N,) is taken as one feature. Integer, bool or string ``y`` classify; float ``y`` regress.

    Example::

        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.npz"
        >>> np.savez(p, x=np.zeros((3, 2)), y=np.array([0, 1, 0]))
        >>> load_npz(p).x.shape
        (3, 2)
    """
    p = _existing(path, "file")
    if not zipfile.is_zipfile(p):  # else np.load would try it as a pickle and say so
        raise DataError(f"data.path: {str(path)!r} cannot be read as .npz (not a zip archive)")
    try:
        with np.load(p, allow_pickle=False) as f:
            keys = set(f.files)
            if not {"x", "y"} <= keys:
                raise DataError(
                    f"data.path: {str(path)!r} has arrays {sorted(keys)}; allowed: 'x' and 'y' "
                    "(plus optional 'x_test' and 'y_test')"
                )
            if ("x_test" in keys) != ("y_test" in keys):
                raise DataError(
                    f"data.path: {str(path)!r} has only one of 'x_test'/'y_test'; allowed: both "
                    "or neither"
                )
            arrays = {k: f[k] for k in ("x", "y", "x_test", "y_test") if k in keys}
    except DataError:
        raise
    except ValueError as e:
        if "pickle" in str(e):
            raise DataError(
                f"data.path: {str(path)!r} holds an object (pickled) array; allowed: numeric or "
                "string arrays only, pickle is refused because loading it can run code"
            ) from None
        raise DataError(f"data.path: {str(path)!r} cannot be read as .npz ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"data.path: {str(path)!r} cannot be read as .npz ({e})") from None
    x, y = _features(arrays["x"], path, "x"), arrays["y"]
    x_test = _features(arrays["x_test"], path, "x_test") if "x_test" in arrays else None
    return RawDataset(x, y, x_test, arrays.get("y_test"), task_of(y), kind_of(x), None)


def _features(x: np.ndarray, path, key: str) -> np.ndarray:
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise DataError(f"data.path: {str(path)!r} '{key}' has dtype {x.dtype}; allowed: numbers")
    if x.ndim == 1:
        x = x[:, None]
    if kind_of(x) is None:
        raise DataError(
            f"data.path: {str(path)!r} '{key}' has shape {x.shape}; allowed: (N,), (N, F), "
            "(N, C, L) or (N, C, H, W)"
        )
    return x.astype(np.float32)


def _image_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)


def _read_images(folder: Path, classes: list[str], size, mode):
    from PIL import Image, UnidentifiedImageError

    images, labels = [], []
    for label, name in enumerate(classes):
        sub = folder / name
        files = _image_files(sub) if sub.is_dir() else []
        for file in files:
            try:
                with Image.open(file) as im:
                    if mode is None:
                        # grayscale stays 1 channel; anything else becomes RGB.
                        mode = "L" if im.mode in ("1", "L", "LA", "I", "I;16", "F") else "RGB"
                    im = im.convert(mode)
                    if size is None:
                        size = im.size
                    elif im.size != size:
                        # all images must share one shape to stack; resize to the first one's.
                        im = im.resize(size, Image.Resampling.BILINEAR)
                    images.append(np.asarray(im, dtype=np.float32) / 255.0)
            except (OSError, UnidentifiedImageError) as e:
                raise DataError(f"data.path: image {str(file)!r} cannot be read ({e})") from None
            labels.append(label)
    return images, labels, size, mode


def _stack(images: list[np.ndarray]) -> np.ndarray:
    x = np.stack(images)
    # (N, H, W) gray or (N, H, W, 3) RGB -> (N, C, H, W)
    return x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)


def load_image_folder(path: str | Path) -> RawDataset:
    """Read images from one subfolder per class (``path/<class>/<image>``).

    Class names are the subfolder names in sorted order (label i = i-th name). If ``path``
    has ``train/`` and ``test/`` subfolders, each with class folders, those are the training
    and test sets. Grayscale images give 1 channel, all others RGB; values are scaled to
    [0, 1]; every image is resized (bilinear) to the size of the first one read.

    Example::

        >>> raw = load_image_folder("my_images")          # doctest: +SKIP
        >>> raw.x.shape, raw.class_names                   # doctest: +SKIP
        ((120, 3, 32, 32), ['cat', 'dog'])
    """
    root = _existing(path, "folder")
    train, test = root / "train", root / "test"
    split = train.is_dir() and test.is_dir()
    train_root = train if split else root
    classes = sorted(d.name for d in train_root.iterdir() if d.is_dir())
    if not classes:
        raise DataError(
            f"data.path: {str(path)!r} has no class subfolders; allowed: a folder with one "
            "subfolder of images per class"
        )
    images, labels, size, mode = _read_images(train_root, classes, None, None)
    if not images:
        raise DataError(
            f"data.path: {str(path)!r} has no images in its class folders; allowed suffixes: "
            + ", ".join(IMAGE_SUFFIXES)
        )
    x_test = y_test = None
    if split:
        t_images, t_labels, _, _ = _read_images(test, classes, size, mode)
        if t_images:
            x_test, y_test = _stack(t_images), np.asarray(t_labels, dtype=np.int64)
    x, y = _stack(images), np.asarray(labels, dtype=np.int64)
    return RawDataset(x, y, x_test, y_test, "classification", "image", classes)
