"""One set of callback instances serves several ``tw.fit`` calls (Keras's ``on_train_begin``
contract): a second fit behaves exactly as one with fresh instances, while a resumed fit, even
with the very instances of the interrupted one, continues from its checkpoint bit for bit.

Callbacks with per-run state: EarlyStopping (best, counter, best weights), ReduceLROnPlateau
(best, counter, cooldown, reductions), ModelCheckpoint (best, kept files), EMA (the average and
its update count). The first fit here ends with state that would change the second one: a best
val_loss below anything the second fit reaches, a patience window two thirds used.
"""

import pytest
import torch

import trainwise as tw

pytestmark = pytest.mark.usefixtures("one_thread")


def _callbacks():
    return [
        tw.callbacks.EarlyStopping(patience=3),
        tw.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1),
        tw.callbacks.ModelCheckpoint(save_top_k=2),
        tw.callbacks.EMA(decay=0.9),
    ]


@pytest.fixture
def fit(tiny_classification, tiny_mlp):
    """8 epochs of 5 steps on 96 samples; ``seed`` picks the data, the weights and the run."""

    def run(out, cbs, seed, lr, resume=False, extra=()):
        return tw.fit(
            tiny_mlp(6, 16, seed=seed, norm=True),
            tiny_classification(96, 6, seed=seed, label=lambda x: x[:, 0] + 0.5 * x[:, 1] > 0),
            validation_split=0.25,
            epochs=8,
            batch_size=16,
            lr=lr,
            callbacks=[*cbs, *extra],
            verbose=False,
            doctor=False,
            out_dir=out,
            resume=resume,
            checkpoint_every_steps=4,
            seed=seed,
        )

    return run


def _same(a, b):
    strip = [{k: v for k, v in h.items() if k != "time"} for h in a.history]
    assert strip == [{k: v for k, v in h.items() if k != "time"} for h in b.history]
    assert a.lr_steps == b.lr_steps and a.stop_reason == b.stop_reason
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        assert torch.equal(x, y)
    best = {p.name: p.read_bytes() for p in sorted((a.run_dir / "best").iterdir())}
    assert best == {p.name: p.read_bytes() for p in sorted((b.run_dir / "best").iterdir())}


def test_a_reused_instance_behaves_as_a_fresh_one(tmp_path, fit):
    cbs = _callbacks()
    fit(tmp_path / "first", cbs, seed=0, lr=0.1)
    es, plateau, ckpt, ema = cbs
    first_best = es.monitor.best
    assert first_best < 0.2 and es.monitor.wait == 2 and plateau.reductions and ckpt.kept
    again = fit(tmp_path / "again", cbs, seed=5, lr=1e-3)  # a slow fit that never gets there
    fresh_cbs = _callbacks()
    fresh = fit(tmp_path / "fresh", fresh_cbs, seed=5, lr=1e-3)
    _same(again, fresh)
    # with the first fit's best (never reached) and counter, it would have stopped at epoch 1
    assert min(h["val_loss"] for h in fresh.history) > first_best and len(again.history) == 4
    assert "restoring epoch 1 weights" in again.stop_reason
    for used, new in zip(cbs, fresh_cbs):
        assert str(used.state_dict()) == str(new.state_dict())


@pytest.mark.parametrize("stop_step", [10, 19])  # 5 steps per epoch: mid-epoch 2 and epoch 4
def test_the_same_instances_resume_exactly(tmp_path, stop_step, fit, interrupt_at):
    full = fit(tmp_path / "full", _callbacks(), seed=0, lr=0.1)
    cbs = _callbacks()
    part = fit(tmp_path / "part", cbs, seed=0, lr=0.1, extra=[interrupt_at(stop_step)])
    assert part.interrupted and cbs[3].num_updates == stop_step
    resumed = fit(tmp_path / "part", cbs, seed=0, lr=0.1, resume=True)  # the same objects
    assert not resumed.interrupted
    _same(full, resumed)
