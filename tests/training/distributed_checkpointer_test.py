"""A signal seen by one rank stops every rank after the same step, with one checkpoint
written by rank 0 at that step (in a step, and during validation)."""

import os
import signal

import torch

import trainwise as tw
from trainwise.callbacks.callback import Callback
from trainwise.training.distributed import rank_from_env


class _TermRank1(Callback):
    """SIGTERM to this process, on rank 1 only, at a step or at an epoch's end."""

    order = 10  # before the checkpointer's on_epoch_end (-30)

    def __init__(self, step=None, epoch=None):
        self.step, self.epoch = step, epoch

    def on_batch_end(self, trainer, step, loss, output, target):
        if step == self.step and rank_from_env() == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == self.epoch and rank_from_env() == 1:
            os.kill(os.getpid(), signal.SIGTERM)


def _fit(out, cb):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(48, 3, generator=g)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    result = tw.fit(
        model, (x, (x[:, 0] > 0).long()), epochs=4, batch_size=8, doctor=False,
        verbose=False, out_dir=out, checkpoint_every_epochs=100, callbacks=[cb],
    )  # fmt: skip
    return result.interrupted, len(result.lr_steps), result.stop_reason


def _checkpoints(out):
    return sorted(p.name for p in (out / "checkpoints").iterdir())


def test_sigterm_to_one_rank_stops_all_ranks_at_the_same_step_with_one_checkpoint(tmp_path, ranks):
    out = tmp_path / "run"
    (i0, s0, why), (i1, s1, _) = ranks(lambda rank: _fit(out, _TermRank1(step=4)))
    assert i0 and i1 and s0 == s1 == 6  # sent after step 5, agreed in step 6's all-reduce
    assert _checkpoints(out) == [f"step-{s0:09d}"]
    assert "SIGTERM" in why and not (out / "model.safetensors").exists()


def test_a_signal_during_validation_is_agreed_at_the_epochs_end(tmp_path, ranks):
    out = tmp_path / "run"
    (i0, s0, _), (i1, s1, _) = ranks(lambda rank: _fit(out, _TermRank1(epoch=0)))
    assert i0 and i1 and s0 == s1 == 6  # one epoch of 6 steps, then stopped on both ranks
    assert _checkpoints(out) == ["step-000000006"]
