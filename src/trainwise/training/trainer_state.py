"""What a :class:`~trainwise.training.trainer.Trainer` saves and restores for exact resume
(a mixin): position in the data order, running sums, optimizer, schedule, scaler, callbacks and
RNG states. The model's weights travel separately (see :mod:`trainwise.checkpoint`).

Data-parallel runs: the optimizer, schedule and position are the same on every rank, but RNG
states, mid-epoch running sums and callbacks are each rank's own. ``state_dict`` then gathers
them (a collective: every rank calls it) into ``ranks`` (one entry per rank) beside
``world_size``; the top-level copies are rank 0's, so a reader that knows one process finds
what it expects. Resuming at another number of processes is refused unless
``allow_world_size_change``: the data slices, the RNG streams per rank and the mid-epoch sums
belong to the old count, so the continued run would not be the run that was started (with the
flag: rank r takes old rank r's RNG state and callbacks, or rank 0's, and rank 0 takes every
old rank's mid-epoch sums, so the epoch's logs still count each sample once).
"""

from __future__ import annotations

from typing import Any

import torch

from trainwise.errors import CheckpointError
from trainwise.training.seeding import rng_state, set_rng_state


class TrainerState:
    """``state_dict`` / ``load_state_dict`` of the Trainer; mixed into
    :class:`~trainwise.training.trainer.Trainer`, whose ``__init__`` sets the attributes.

    Example::

        state = trainer.state_dict()
        other_trainer.load_state_dict(state)  # continues bit for bit
    """

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit for bit (the model's weights travel separately)."""
        local = self._rank_state()
        state = {
            "epoch": self.epoch,
            "global_step": self.global_step,
            "start_batch": self.batches_done,
            "epoch_lr": self._epoch_lr,
            "history": self.history,
            "lr_steps": self.lr_steps,
            "train_metrics": local["train_metrics"],
            "grad_norm": {
                "sum": self._norm_sum,
                "max": self._norm_max,
                "count": self._norm_count,
            },
            "skipped_steps": self._skipped,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "callbacks": local["callbacks"],
            "rng": local["rng"],
            "stop_training": self.stop_training and not self.interrupted,
            "stop_reason": None if self.interrupted else self.stop_reason,
        }
        if self.dist is not None:
            state["world_size"] = self.dist.world_size
            state["ranks"] = ranks = self.dist.gather(local)
            state.update(ranks[0])  # the top level holds rank 0's own parts
        return state

    def _rank_state(self) -> dict[str, Any]:
        """The parts of the state that are this rank's own."""
        return {
            "train_metrics": {
                "count": self.train_metrics.count,
                "sums": dict(self.train_metrics.sums),
            },
            "callbacks": self.callbacks.state_dict(),
            "rng": rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        local = self._local_part(state)
        self.epoch = state["epoch"]
        self.global_step = state["global_step"]
        self.start_batch = state["start_batch"]
        self._epoch_lr = state["epoch_lr"]
        self.history = list(state["history"])
        self.lr_steps = list(state["lr_steps"])
        # checkpoints hold CPU tensors (whatever device saved them): the running sums go to this
        # run's device, so a run saved on a GPU resumes on a CPU-only machine and the reverse
        on = self._on_device
        self.train_metrics.count = local["train_metrics"]["count"]
        self.train_metrics.sums = {k: on(v) for k, v in local["train_metrics"]["sums"].items()}
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        norms = state.get("grad_norm")  # absent in checkpoints from before norm logging
        if norms is not None:
            self._norm_sum, self._norm_max = on(norms["sum"]), on(norms["max"])
            self._norm_count = on(norms["count"])
        self._skipped = on(state.get("skipped_steps", 0))  # absent before skipped_steps
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.callbacks.load_state_dict(local["callbacks"])
        set_rng_state(local["rng"])
        self.stop_training = state.get("stop_training", False)
        self.stop_reason = state.get("stop_reason")

    def _local_part(self, state: dict[str, Any]) -> dict[str, Any]:
        """This rank's RNG state, running sums and callback states from ``state`` (see the
        module doc); refuses another world size unless allowed."""
        saved = state.get("world_size", 1)
        world = self.dist.world_size if self.dist is not None else 1
        rank = self.dist.rank if self.dist is not None else 0
        ranks = state.get("ranks") or [state]
        if saved == world:
            return ranks[rank]
        if not self.allow_world_size_change:
            raise CheckpointError(
                f"resume: this checkpoint was saved by {saved} process(es) and this run has "
                f"{world}; not allowed by default, because each rank's data slice, RNG stream "
                "and mid-epoch sums belong to the old count, so the result would not be the run "
                f"that was started. Resume with {saved} process(es), or allow the change "
                "(--allow-world-size-change, allow_world_size_change=True) to continue a run "
                "that is only statistically the same"
            )
        own = ranks[rank] if rank < len(ranks) else ranks[0]
        metrics = {"count": 0, "sums": {k: 0.0 for k in own["train_metrics"]["sums"]}}
        if rank == 0:  # every old rank's mid-epoch sums, so each sample counts once
            for part in ranks:
                m = part["train_metrics"]
                metrics["count"] += m["count"]
                metrics["sums"] = {k: v + m["sums"][k] for k, v in metrics["sums"].items()}
        return {"rng": own["rng"], "callbacks": own["callbacks"], "train_metrics": metrics}

    def _on_device(self, value):
        return value.to(self.device) if isinstance(value, torch.Tensor) else value
