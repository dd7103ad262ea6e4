"""Data-parallel tw.fit in 2 gloo processes: the same meaning as one process (weights within
float tolerance), bitwise repeatable, the same logs on every rank, a stop decided on one rank
stops all; and the collectives underneath."""

import pytest
import torch

import trainwise as tw
from trainwise.callbacks.callback import Callback
from trainwise.run import load_config
from trainwise.run.session import run_config
from trainwise.training.distributed import Distributed, rank_from_env, world_size_from_env
from trainwise.training.metrics import RunningMetrics


def tiny_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).long()


def tiny_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))


#: 2 ranks sum two weighted halves where one process takes one mean: float32 rounding apart
ATOL = 1e-5

# 57 training samples in batches of 8: the last batch has 1 sample, so rank 1's slice of it
# is empty (the zero-share path); 13 validation samples: batches of 8 and 5 (3 + 2 per rank)
X, Y = tiny_data(57, seed=1)
XV, YV = tiny_data(13, seed=2)


def _fit(**extra):
    model = tiny_model()
    kwargs = dict(
        val_data=(XV, YV), epochs=3, batch_size=8, optimizer="adam", lr=0.02,
        doctor=False, verbose=False, seed=0,
    )  # fmt: skip
    result = tw.fit(model, (X, Y), **{**kwargs, **extra})
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    return weights, [{k: v for k, v in h.items() if k != "time"} for h in result.history]


def _fit_rank(rank):
    return _fit()


@pytest.fixture(scope="module")
def one_and_two(ranks):
    torch.set_num_threads(1)
    one = _fit()
    two_a = ranks(_fit_rank)
    two_b = ranks(_fit_rank)
    return one, two_a, two_b


def test_two_processes_give_the_one_process_weights_within_float_tolerance(one_and_two):
    (w1, h1), ((w2, h2), _), _ = one_and_two
    for k in w1:
        assert torch.allclose(w1[k], w2[k], atol=ATOL, rtol=0), k
    assert len(h1) == len(h2) == 3
    for a, b in zip(h1, h2):
        assert a.keys() == b.keys()
        assert a["accuracy"] == pytest.approx(b["accuracy"], abs=1e-12)  # same samples counted
        assert a["val_accuracy"] == pytest.approx(b["val_accuracy"], abs=1e-12)
        assert a["loss"] == pytest.approx(b["loss"], abs=ATOL)
        assert a["val_loss"] == pytest.approx(b["val_loss"], abs=ATOL)


def test_every_rank_logs_the_same_history_and_holds_the_same_weights(one_and_two):
    _, (rank0, rank1), _ = one_and_two
    assert rank0[1] == rank1[1]
    assert all(torch.equal(rank0[0][k], rank1[0][k]) for k in rank0[0])


def test_two_process_runs_are_bitwise_equal(one_and_two):
    _, two_a, two_b = one_and_two
    for (wa, ha), (wb, hb) in zip(two_a, two_b):
        assert ha == hb
        assert all(torch.equal(wa[k], wb[k]) for k in wa)


def _fit_accumulated(rank):
    return _fit(accumulate_steps=2, regularization={"l2": 1e-3}, grad_clip_norm=1.0)


def test_accumulation_penalty_and_clipping_keep_the_one_process_meaning(ranks):
    torch.set_num_threads(1)
    w1, h1 = _fit(accumulate_steps=2, regularization={"l2": 1e-3}, grad_clip_norm=1.0)
    (w2, h2), _ = ranks(_fit_accumulated)
    for k in w1:
        assert torch.allclose(w1[k], w2[k], atol=ATOL, rtol=0), k
    assert [h["grad_norm"] for h in h1] == pytest.approx([h["grad_norm"] for h in h2], abs=1e-4)


class _StopOnRank(Callback):
    def __init__(self, rank):
        self.rank = rank

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == 1 and rank_from_env() == self.rank:
            trainer.stop_training = True


def _fit_stopped_by_rank1(rank):
    weights, history = _fit(epochs=5, callbacks=[_StopOnRank(1)])
    return len(history)


def test_a_stop_decided_on_one_rank_stops_every_rank_after_the_same_epoch(ranks):
    assert ranks(_fit_stopped_by_rank1) == [2, 2]


def _collectives(rank):
    dist = Distributed.from_env("cpu")
    a = torch.nn.Parameter(torch.zeros(3))
    b = torch.nn.Parameter(torch.zeros(2))
    unused = torch.nn.Parameter(torch.zeros(1))
    a.grad = torch.full((3,), float(rank + 1))
    if rank == 1:  # only rank 1 produced b's gradient
        b.grad = torch.ones(2)
    flags = dist.reduce_gradients([a, b, unused], [float(rank == 0)])
    m = RunningMetrics("classification")
    m.update(torch.tensor(0.5), torch.tensor([[2.0, 1.0]] * (rank + 1)), torch.zeros(rank + 1))
    total = dist.reduced_metrics(m)
    return (
        a.grad.tolist(), b.grad.tolist(), unused.grad, flags, total.count, total.compute(),
        dist.any(rank == 1), dist.max_int(rank * 7), dist.gather(rank), m.count,
        world_size_from_env(),
    )  # fmt: skip


def test_gradients_flags_and_metric_sums_add_up_over_the_ranks(ranks):
    r0, r1 = ranks(_collectives)
    assert r0[:9] == r1[:9]  # every rank sees the same sums
    a, b, unused, flags, count, logs, anyflag, top, gathered, own, world = r0
    assert a == [3.0, 3.0, 3.0] and b == [1.0, 1.0]
    assert unused is None  # no rank had it: the optimizer skips it, as in one process
    assert flags == [1.0] and count == 3 and logs == {"loss": 0.5, "accuracy": 1.0}
    assert anyflag is True and top == 7 and gathered == [0, 1]
    assert own == 1 and r1[9] == 2 and world == 2  # the running sums stay each rank's own


def test_one_process_builds_no_process_group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert Distributed.from_env("cpu") is None
    assert world_size_from_env() == 1 and rank_from_env() == 0


RANK_ZERO_CONFIG = """
seed: 1
data: {name: circles, n_samples: 200, validation_split: 0.2}
model: {name: mlp, hidden: [8], norm: none, dropout: 0.0}
training: {epochs: 2, batch_size: 16, progress: lines}
checkpoint: {every_epochs: 1}
"""


def test_only_rank_zero_writes_files_prints_and_runs_the_doctor(ranks, tmp_path):
    # rank 1 gets a directory of its own: were it to write anything (run files, checkpoints,
    # the report, the doctor's findings), that directory would exist afterwards
    path = tmp_path / "tiny.yaml"
    path.write_text(RANK_ZERO_CONFIG)

    def one_rank(rank):
        printed: list[str] = []
        out = tmp_path / ("run" if rank == 0 else "rank1")
        run_config(load_config(path), out, echo=lambda *a: printed.append(" ".join(map(str, a))))
        return printed

    printed0, printed1 = ranks(one_rank, timeout=300)
    assert printed1 == []
    assert not (tmp_path / "rank1").exists()
    assert printed0 and (tmp_path / "run" / "model.safetensors").is_file()
    assert (tmp_path / "run" / "findings.json").is_file()  # the doctor ran, on rank 0
