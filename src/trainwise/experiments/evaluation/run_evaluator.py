"""Evaluate saved weights of a run on its validation and test splits, outside the training
process: the model, the data and the loss are rebuilt from the run directory's config.yaml
(and fold.json for a fold of ``trainwise run --folds``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from trainwise import run_files
from trainwise.data.load import load_data
from trainwise.errors import CheckpointError
from trainwise.experiments.cross_validation.fold_plan import FoldPlan
from trainwise.experiments.predictions import output_semantics
from trainwise.losses.build import build_loss
from trainwise.losses.target_adapter import TargetAdapter
from trainwise.models.build import build_model
from trainwise.run import load_config
from trainwise.training.fit_parts import set_class_weight as _set_class_weight
from trainwise.training.inputs import as_batches
from trainwise.training.trainer import Trainer

#: Key suffix of the EMA callback's state in ``state["trainer"]["callbacks"]`` (CallbackList
#: keys are ``"<index>:<ClassName>"``); the state holds ``{"weights": {name: tensor}, ...}``.
EMA_KEY_SUFFIX = ":EMA"


def ema_state(state: dict[str, Any]) -> dict[str, Any] | None:
    """The EMA callback's saved state in a checkpoint's ``state``, or None if it has none.

    Read by key, so the evaluation side never imports the callback.

    Example::

        >>> ema_state({"trainer": {"callbacks": {"0:EMA": {"num_updates": 3, "weights": {}}}}})
        {'num_updates': 3, 'weights': {}}
    """
    callbacks = (state.get("trainer") or {}).get("callbacks") or {}
    for key, value in callbacks.items():
        if key.endswith(EMA_KEY_SUFFIX) and isinstance(value, dict) and "weights" in value:
            return value
    return None


class RunEvaluator:
    """A run's model, loss and val/test data, rebuilt once, to score many sets of weights.

    Args:
        run_dir: a directory written by ``trainwise run`` (needs config.yaml).
        device: where to evaluate (default "cpu", so a watcher does not compete with a GPU
            training run; "cuda" if there is one to spare).
        cache_dir: MNIST-1D cache (default: see ``load_data``).

    Example::

        ev = RunEvaluator("runs/circles")
        ev.evaluate(load_file("runs/circles/model.safetensors"))
        # {'val_loss': ..., 'val_accuracy': ..., 'test_loss': ..., 'test_accuracy': ...}
    """

    def __init__(
        self, run_dir: str | Path, device: str = "cpu", cache_dir: str | Path | None = None
    ):
        self.run_dir = Path(run_dir)
        config_path = self.run_dir / run_files.CONFIG
        if not config_path.is_file():
            hint = (
                f"; it holds a cross-validation: give one fold, e.g. {str(self.run_dir / 'fold-1')!r}"
                if (self.run_dir / run_files.CV).is_file()
                else ""
            )
            raise CheckpointError(
                f"RUN_DIR: {str(self.run_dir)!r} has no config.yaml; allowed: a run directory "
                f"written by 'trainwise run'{hint}"
            )
        self.cfg = cfg = load_config(config_path)
        fold_path = self.run_dir / run_files.FOLD
        if fold_path.is_file():
            fold = json.loads(fold_path.read_text())
            plan = FoldPlan(
                cfg.data, fold["folds"], fold["seed"], fold["stratified"], cache_dir=cache_dir
            )
            bundle = plan.bundle(fold["fold"] - 1)
        else:
            bundle = load_data(cfg.data, seed=cfg.seed, cache_dir=cache_dir)
        self.bundle = bundle
        self.model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
        task, from_logits = output_semantics(cfg.loss)
        loss_fn = build_loss(cfg.loss)
        if task != "classification":
            loss_fn = TargetAdapter(loss_fn)
        if bundle.class_weights is not None:
            _set_class_weight(loss_fn, bundle.class_weights, device)
        self.task = task
        # The training loop's own evaluate() (eval mode, same loss, same metrics) so these
        # numbers match the run's val_* log exactly; it never touches the optimizer.
        self.trainer = Trainer(
            self.model, None, loss_fn, task, device=device, from_logits=from_logits
        )
        self.splits = {
            name: as_batches((x, y), f"{name}_data", 256, False, 0)
            for name, x, y in (
                ("val", bundle.x_val, bundle.y_val),
                ("test", bundle.x_test, bundle.y_test),
            )
            if x is not None
        }

    def load(self, weights: dict[str, torch.Tensor], what: str) -> None:
        """Put ``weights`` (a full ``state_dict``) into the model; CheckpointError if they do
        not fit (another architecture)."""
        try:
            self.model.load_state_dict(weights)
        except RuntimeError as exc:
            raise CheckpointError(
                f"{what} does not fit the model of {str(self.run_dir / run_files.CONFIG)!r}: {exc}"
            ) from None

    def evaluate(self, weights: dict[str, torch.Tensor], what: str = "weights") -> dict[str, float]:
        """``{"val_loss": ..., "val_accuracy": ..., "test_loss": ..., ...}`` for ``weights``
        (the splits the run has; regression gives mse/mae instead of accuracy)."""
        self.load(weights, what)
        out: dict[str, float] = {}
        for name, batches in self.splits.items():
            out.update({f"{name}_{k}": v for k, v in self.trainer.evaluate(batches).items()})
        return out
