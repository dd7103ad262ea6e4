"""What a data source hands to :func:`trainwise.data.load.prepare_data`: plain numpy arrays."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from trainwise.vocabulary import infer_task

Task = Literal["classification", "regression"]
Kind = Literal["tabular", "signal", "image"]


class RawDataset(NamedTuple):
    """Arrays as read from a source, before splitting, faults and standardization.

    ``x`` is (N, F) for tabular data, (N, C, L) for signals, (N, C, H, W) for images.
    ``y`` holds class indices (or class names, mapped later) for classification and floats
    for regression. ``x_test``/``y_test`` are ``None`` when the source has no test set of its
    own. ``task`` is the source's own task (files infer it from the target's dtype).

    Example::

        >>> import numpy as np
        >>> raw = RawDataset(np.zeros((4, 2)), np.array([0, 1, 0, 1]), None, None,
        ...                  "classification", "tabular")
        >>> raw.kind
        'tabular'
    """

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    task: Task
    kind: Kind
    class_names: list[str] | None = None


def kind_of(x: np.ndarray) -> Kind | None:
    """The data kind implied by the number of axes of ``x`` (batch included), or ``None``.

    Example::

        >>> kind_of(np.zeros((5, 1, 40)))
        'signal'
    """
    return {2: "tabular", 3: "signal", 4: "image"}.get(np.ndim(x))


def task_of(y: np.ndarray) -> Task:
    """``classification`` for integer, bool or string targets, ``regression`` for floats
    (the one rule, :func:`trainwise.vocabulary.infer_task`, for arrays).

    Example::

        >>> task_of(np.array([0.5, 1.5]))
        'regression'
    """
    return infer_task(np.asarray(y))  # type: ignore[return-value]
