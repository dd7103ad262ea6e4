import math
from math import comb
from types import SimpleNamespace

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.callbacks.ema import EMA, ema_decay
from trainwise.errors import ConfigError
from trainwise.run.schema import Config
from trainwise.run.session import build_callbacks

pytestmark = pytest.mark.usefixtures("one_thread")


def _scalar_model(value=0.0):
    m = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        m.weight.fill_(value)
    return m


class Driver:
    """Plays the trainer: set the live weight, take a 'step', let the EMA update."""

    def __init__(self, ema, model):
        self.ema, self.t = ema, SimpleNamespace(model=model, global_step=0, callbacks=[ema])
        ema.on_fit_start(self.t)

    def step(self, value=None):
        if value is not None:
            with torch.no_grad():
                self.t.model.weight.fill_(value)
        self.t.global_step += 1
        self.ema.on_batch_end(self.t, self.t.global_step - 1, None, None, None)
        weight = getattr(self.ema.module, "weight", None)
        return None if weight is None else weight.item()


def test_source_example_decay_099():
    # tf.train.ExponentialMovingAverage(0.99, step): shadow 0; v=5 at step 0 -> 4.5;
    # step := 10000, v=10 -> 0.99 * 4.5 + 0.01 * 10 = 4.555 (TF prints 4.5549998)
    d = Driver(EMA(decay=0.99), _scalar_model(0.0))
    assert d.step(5.0) == 4.5
    d.ema.num_updates = 10000
    assert d.step(10.0) == pytest.approx(4.555, abs=1e-6)
    assert ema_decay(0.99, 0) == 0.1
    assert ema_decay(0.99, 10000) == 0.99
    assert ema_decay(0.9995, 10000) == 10001 / 10010  # warm-up still active at t = 10000
    assert ema_decay(0.99, None) == 0.99


def test_decay_zero_follows_the_weights_exactly():
    d = Driver(EMA(decay=0.0), _scalar_model(3.0))
    assert [d.step(v) for v in (1.5, -2.25, 7.0)] == [1.5, -2.25, 7.0]


def test_decay_half_without_warmup_closed_form():
    # constant target v from s0: s_n = v + (s0 - v) * 0.5**n, exact in binary floating point
    d = Driver(EMA(decay=0.5, warmup=False), _scalar_model(8.0))
    got = [d.step(0.0) for _ in range(6)]
    assert got == [8.0 * 0.5**n for n in range(1, 7)]


def test_decay_half_with_warmup_closed_form():
    # s_n = v + (s0 - v) * prod_{t<n} min(0.5, (1+t)/(10+t)); the warm-up ends at t = 8
    d = Driver(EMA(decay=0.5), _scalar_model(1.0))
    for n in range(1, 13):
        expected = math.prod(min(0.5, (1 + t) / (10 + t)) for t in range(n))
        assert d.step(0.0) == pytest.approx(expected, rel=1e-6)


def test_decay_099_closed_forms():
    # warm-up: prod_{t<n} (1+t)/(10+t) = 1 / C(n+9, 9) while (1+t)/(10+t) < 0.99 (t < 890)
    d = Driver(EMA(decay=0.99), _scalar_model(1.0))
    for n in range(1, 6):
        assert d.step(0.0) == pytest.approx(1 / comb(n + 9, 9), rel=1e-5)
    # no warm-up: 0.99**n
    d = Driver(EMA(decay=0.99, warmup=False), _scalar_model(1.0))
    for n in range(1, 6):
        assert d.step(0.0) == pytest.approx(0.99**n, rel=1e-6)


def test_batchnorm_buffers_averaged_and_counter_copied():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ema = EMA(decay=0.5, warmup=False)
    d = Driver(ema, model)
    bn, ema_bn = model[1], ema.module[1]
    expected = bn.running_mean.clone()
    for _ in range(3):
        model(torch.randn(8, 3))  # train-mode forward moves the live running stats
        d.step()
        expected = 0.5 * expected + 0.5 * bn.running_mean
    assert torch.allclose(ema_bn.running_mean, expected, atol=1e-6)
    assert not torch.equal(ema_bn.running_mean, bn.running_mean)
    assert ema_bn.num_batches_tracked.item() == bn.num_batches_tracked.item() == 3


def test_no_update_without_an_optimizer_step_and_state_contract():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = EMA(decay=0.9)
    d = Driver(ema, model)
    ema.on_batch_end(d.t, 0, None, None, None)  # same global_step: a micro-batch, no update
    assert ema.num_updates == 0
    d.step()
    state = ema.state_dict()
    assert state["decay"] == 0.9 and state["num_updates"] == 1
    assert set(state["weights"]) == set(model.state_dict())  # parameters and buffers
    ema.on_fit_start(d.t)  # the same instance in a second fit starts a fresh average
    assert ema.num_updates == 0


def test_bad_decay_is_a_config_error():
    with pytest.raises(ConfigError, match=r"ema.decay: 1.5 is not allowed; must be a number in"):
        EMA(decay=1.5)
    with pytest.raises(Exception, match="decay"):
        Config.model_validate({"callbacks": {"ema": {"decay": -0.1}}})


@pytest.fixture
def fit(tiny_classification, tiny_mlp):
    """3 epochs of 4 steps on 80 samples with ``callbacks``."""

    def run(callbacks, **kw):
        return tw.fit(
            tiny_mlp(5, 8, seed=1, norm=True),
            tiny_classification(80, 5, label=lambda x: x[:, 0] + x[:, 1] > 0),
            validation_split=0.25,
            epochs=3,
            batch_size=16,
            lr=0.05,
            callbacks=callbacks,
            verbose=False,
            seed=0,
            **kw,
        )

    return run


def test_from_config_reports_raw_and_ema_metrics_and_leaves_training_alone(fit):
    cbs = build_callbacks(Config.model_validate({"callbacks": {"ema": {"decay": 0.999}}}))
    assert [type(c).__name__ for c in cbs] == ["EMA"]
    with_ema = fit(cbs)
    plain = fit([])
    for logs in with_ema.history:
        assert {"val_loss", "val_accuracy", "ema_val_loss", "ema_val_accuracy"} <= set(logs)
    assert with_ema.history[-1]["ema_val_loss"] != with_ema.history[-1]["val_loss"]
    # the average is a bystander: the raw weights are bitwise those of a run without it
    for a, b in zip(with_ema.model.state_dict().values(), plain.model.state_dict().values()):
        assert torch.equal(a, b)


def test_decay_zero_ema_metrics_equal_raw_and_use_for_final(fit):
    result = fit([EMA(decay=0.0)])
    last = result.history[-1]
    assert last["ema_val_loss"] == last["val_loss"]
    assert last["ema_val_accuracy"] == last["val_accuracy"]
    ema = EMA(decay=0.9, use_for_final=True)
    result = fit([ema])
    for k, v in result.model.state_dict().items():
        assert torch.equal(v, ema.module.state_dict()[k])


def test_ema_survives_interrupt_and_resume_bitwise(tmp_path, fit, interrupt_at):
    def run(out, extra=(), resume=False):
        ema = EMA(decay=0.95)
        r = fit(
            [ema, *extra], out_dir=out, resume=resume, checkpoint_every_steps=3, echo=lambda m: 0
        )
        return ema, r

    full_ema, full = run(tmp_path / "full")
    _, part = run(tmp_path / "part", [interrupt_at(6)])  # mid-epoch 2 (4 steps an epoch)
    assert part.interrupted
    res_ema, resumed = run(tmp_path / "part", resume=True)
    assert res_ema.num_updates == full_ema.num_updates == 12
    for k, v in full_ema.state_dict()["weights"].items():
        assert torch.equal(v, res_ema.state_dict()["weights"][k]), k
    strip = [{k: v for k, v in h.items() if k != "time"} for h in full.history]
    assert strip == [{k: v for k, v in h.items() if k != "time"} for h in resumed.history]
