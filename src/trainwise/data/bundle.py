"""The prepared data a run trains on: tensors of each split plus what the model needs to know."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor

from trainwise.data.standardize import Standardizer


@dataclass
class DataBundle:
    """Train / validation / test tensors, ready for a model.

    Inputs are float32: (N, F) tabular, (N, C, L) signal, (N, C, H, W) image. Targets are
    int64 class indices (classification) or float32 (N,) / (N, D) (regression).
    ``x_val``/``x_test`` (and their targets) are ``None`` when there is no such split.
    ``standardizer`` is the one fitted on the training split (``None`` if none was used);
    ``class_weights`` is set when ``data.class_weight`` asks for it; ``faults`` lists the
    faults injected (see :class:`trainwise.data.config.FaultConfig`).

    Example::

        >>> import torch
        >>> b = DataBundle(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]), None, None, None,
        ...                None, task="classification", num_classes=2, input_shape=(2,),
        ...                kind="tabular", name="toy")
        >>> b.output_dim, b.summary().splitlines()[0]
        (2, 'toy: tabular classification, 2 classes, input shape (2,)')
    """

    x_train: Tensor
    y_train: Tensor
    x_val: Tensor | None
    y_val: Tensor | None
    x_test: Tensor | None
    y_test: Tensor | None
    task: str
    num_classes: int | None
    input_shape: tuple[int, ...]
    kind: str
    name: str
    class_names: list[str] | None = None
    standardizer: Standardizer | None = None
    class_weights: Tensor | None = None
    faults: list[str] = field(default_factory=list)

    @property
    def output_dim(self) -> int:
        """Units the model's output needs: classes, or the target width for regression."""
        if self.task == "classification":
            return int(self.num_classes)
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])

    def summary(self) -> str:
        """A few lines: name, kind, task, classes, input shape, size of each split.

        Example: ``mnist1d: signal classification, 10 classes, input shape (1, 40)`` then
        ``train 3600, val 400, test 1000``.
        """
        what = (
            f"{self.num_classes} classes"
            if self.task == "classification"
            else f"{self.output_dim} target(s)"
        )
        lines = [f"{self.name}: {self.kind} {self.task}, {what}, input shape {self.input_shape}"]

        def n(t: Tensor | None) -> str:
            return "none" if t is None else str(len(t))

        lines.append(f"train {n(self.x_train)}, val {n(self.x_val)}, test {n(self.x_test)}")
        if self.standardizer is not None:
            how = {"feature": "per feature", "channel": "per channel", "global": "globally"}
            lines.append(f"standardized {how.get(self.standardizer.mode, 'not')}, fitted on train")
        if self.faults:
            lines.append("faults injected: " + ", ".join(self.faults))
        return "\n".join(lines)
