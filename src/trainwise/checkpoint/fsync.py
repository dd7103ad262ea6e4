"""Making a write durable: fsync a file's bytes, and a directory's entries after a rename.

A rename is atomic but lives in the directory's metadata: until the directory itself is
fsynced, a power loss can forget it even though the file's bytes are on disk. Shared by the
checkpoint store and ``ModelCheckpoint``.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_file(path: str | Path) -> None:
    """Flush the bytes of the file at ``path`` to disk.

    Example::

        fsync_file("runs/x/model.safetensors")
    """
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def fsync_dir(path: str | Path) -> None:
    """Flush the entries of the directory at ``path`` (new, renamed or removed names).

    Example::

        os.replace("runs/x/best.tmp", "runs/x/best.safetensors")
        fsync_dir("runs/x")
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
