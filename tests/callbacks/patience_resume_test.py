"""EarlyStopping, ReduceLROnPlateau and ModelCheckpoint survive a kill in the middle of a
patience window: the resumed run stops, reduces the LR and saves weight files at exactly the
epochs an uninterrupted run does. In-process interrupts, as in
tests/checkpoint/resume_in_process_test.py.

The uninterrupted run (lr 0.2, 5 batches per epoch): val_loss is best at epoch 4, then worse;
ReduceLROnPlateau(patience=2, cooldown=1) halves the LR after epoch 6, ModelCheckpoint keeps
the top 4 (epoch 6 still displaces epoch 2 after the best), and EarlyStopping(patience=4) stops
after epoch 8.
"""

import json

import pytest
import torch

import trainwise as tw

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def fit(tiny_classification, tiny_mlp):
    """12 epochs of 5 steps (lr 0.2) with the three callbacks; returns (result, callbacks)."""

    def run(out, extra=(), resume=False, checkpoints=True):
        cbs = {
            "es": tw.callbacks.EarlyStopping(patience=4),
            "plateau": tw.callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1),
            "ckpt": tw.callbacks.ModelCheckpoint(save_top_k=4),
        }
        result = tw.fit(
            tiny_mlp(6, 16, seed=1, norm=True, dropout=0.3),
            tiny_classification(96, 6, label=lambda x: x[:, 0] * x[:, 1] > 0),
            validation_split=0.25,
            epochs=12,
            batch_size=16,
            lr=0.2,
            callbacks=[*cbs.values(), *extra],
            verbose=False,
            out_dir=out,
            resume=resume,
            # resumes mid-epoch and at epoch end
            checkpoint_every_steps=3 if checkpoints else None,
            checkpoint_every_epochs=1 if checkpoints else None,
            seed=3,
            echo=lambda msg: None,
        )
        return result, cbs

    return run


@pytest.fixture(scope="module")
def full(one_thread, fit, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    result, cbs = fit(out, checkpoints=False)  # saving must not change the run either
    # the scenario the test relies on: a stop, a reduction and saves after the best epoch
    assert cbs["es"].stopped_epoch == 8 and cbs["es"].monitor.best_epoch == 4
    assert [e for e, _ in cbs["plateau"].reductions] == [6]
    return out, result, cbs


def _best_dir(out):
    d = out / "best"
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


# steps 27 and 33 have a step checkpoint (every 3), 38 resumes from step 36 and redoes two;
# epochs are 5 batches: 27 is in epoch 6, 33 in epoch 7, 38 in epoch 8 (the stopping epoch)
@pytest.mark.parametrize("stop_step", [27, 33, 38])
def test_resume_mid_patience_window_matches_uninterrupted(
    tmp_path, full, stop_step, fit, interrupt_at
):
    full_out, full_result, full_cbs = full
    _, part_cbs = fit(tmp_path, [interrupt_at(stop_step)])
    assert part_cbs["es"].monitor.wait > 0  # inside the patience window
    resumed, cbs = fit(tmp_path, resume=True)
    assert not resumed.interrupted
    assert resumed.stop_reason == full_result.stop_reason
    assert cbs["es"].stopped_epoch == 8
    assert cbs["plateau"].reductions == full_cbs["plateau"].reductions
    assert resumed.lr_steps == full_result.lr_steps
    assert cbs["ckpt"].kept == full_cbs["ckpt"].kept
    assert _best_dir(tmp_path) == _best_dir(full_out)  # same files, same bytes
    for a, b in zip(full_result.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    strip = [{k: v for k, v in h.items() if k != "time"} for h in full_result.history]
    assert strip == [{k: v for k, v in h.items() if k != "time"} for h in resumed.history]
    best = json.loads((tmp_path / "best" / "best.json").read_text())
    assert best["epoch"] == 4
