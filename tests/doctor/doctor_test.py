import json
import sys
import types

import pytest
import torch
from torch import nn

from trainwise.doctor import Doctor, Finding, Fix
from trainwise.errors import ArgumentTypeError


def data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    return x, (x[:, 0] + x[:, 1] > 0).long()


def net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2)
    )


def loop(model, opt, steps, doctor=None, start=0, x_y=None):
    """A plain loop; the doctor (if any) gets every step. Dropout draws from the global RNG."""
    x, y = x_y or data()
    for t in range(start, start + steps):
        idx = torch.arange(t * 32, t * 32 + 32) % len(x)
        out = model(x[idx])
        loss = nn.functional.cross_entropy(out, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if doctor is not None:
            doctor.step(loss, inputs=x[idx], targets=y[idx], outputs=out)


def test_the_doctor_never_changes_results(one_thread):
    results = []
    for with_doctor in (False, True):
        model = net()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        doc = (
            Doctor(model, opt, probe_every=2, loss_fn=nn.CrossEntropyLoss())
            if with_doctor
            else None
        )
        torch.manual_seed(1)
        loop(model, opt, 40, doc)
        if doc is not None:
            doc.epoch_end({"loss": 0.5, "val_loss": 0.6})
            doc.close()
            assert len(doc.probes) > 0  # it did probe
        results.append(({k: v.clone() for k, v in model.state_dict().items()}, torch.rand(4)))
    (w0, r0), (w1, r1) = results
    assert all(torch.equal(w0[k], w1[k]) for k in w0)  # weights and BatchNorm buffers
    assert torch.equal(r0, r1)  # and the RNG stream


def test_the_nan_replay_does_not_change_results_either():
    from trainwise.doctor.probes.nonfinite import replay_forward

    model = net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(5)
    replay_forward(model, torch.randn(8, 6))
    r = torch.rand(2)
    torch.manual_seed(5)
    torch.randn(8, 6)
    assert torch.equal(r, torch.rand(2))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_resumed_doctor_reports_exactly_what_an_uninterrupted_one_does(one_thread):

    def fresh():
        model = net()
        return model, torch.optim.SGD(model.parameters(), lr=1e-7)  # lr_too_low

    model, opt = fresh()
    whole = Doctor(model, opt, total_steps=60)
    torch.manual_seed(1)
    loop(model, opt, 60, whole)

    model, opt = fresh()
    first = Doctor(model, opt, total_steps=60)
    torch.manual_seed(1)
    loop(model, opt, 5, first)  # mid-streak: the rule needs probes up to step 8
    state = json.loads(json.dumps(first.state_dict()))  # JSON-able
    first.close()
    second = Doctor(model, opt, total_steps=60)
    second.load_state_dict(state)
    loop(model, opt, 55, second, start=5)
    assert [f.to_dict() for f in second.findings] == [f.to_dict() for f in whole.findings]
    assert [f.code for f in whole.findings] == ["lr_too_low"]
    assert second.probe_log == json.loads(json.dumps(whole.probe_log))  # history survives too


def test_probe_log_keeps_one_compact_record_per_probe():
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    doctor = Doctor(model, opt, probe_every=10)
    torch.manual_seed(0)
    loop(model, opt, 25, doctor)
    log = doctor.probe_log
    assert [r["step"] for r in log] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24]
    first = log[0]
    assert list(first["grad_norm"]) == ["0.weight", "4.weight"]  # layer weights, forward order
    assert set(first["update_ratio"]) == {"0.weight", "4.weight"}
    assert all(g > 0 for g in first["grad_norm"].values())
    assert set(first["dead"]) == {"2"} and 0 <= first["dead"]["2"] <= 1
    assert first["saturated"] == {}
    x, y = data()
    same = net()
    torch.manual_seed(0)  # same weights and dropout mask as step 0
    expected = nn.functional.cross_entropy(same(x[:32]), y[:32])
    assert first["loss"] == pytest.approx(float(expected.detach()), rel=1e-5)
    json.dumps(log)  # JSON-able for probes.jsonl and checkpoints


def test_findings_are_ranked_and_echoed_once_each():
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=1e-7)
    seen = []
    doc = Doctor(model, opt, echo=seen.append)
    loop(model, opt, 30, doc)
    doc.step(torch.tensor(float("nan")))  # an ordinary step: judged at the next read
    assert "nan_loss" not in [f.code for f in seen]
    assert [f.code for f in doc.findings] == ["nan_loss", "lr_too_low"]  # reads; errors first
    assert [f.code for f in seen] == ["lr_too_low", "nan_loss"]
    assert doc.step(torch.tensor(float("nan"))) == [] and doc.halted


def test_check_data_uses_preflight_and_keeps_the_probe_armed(monkeypatch):
    calls = []

    def run_preflight(x, y, **kw):
        kw["model"](x[:4])  # a preflight forward pass with grad on
        calls.append(kw)
        return [Finding("class_imbalance", "warning", "few ones", Fix("rebalance"))]

    monkeypatch.setattr("trainwise.doctor.doctor.run_preflight", run_preflight)
    model = net()
    doc = Doctor(model, torch.optim.Adam(model.parameters()))
    x, y = data()
    found = doc.check_data(x, y, x_val=x[:10], y_val=y[:10])
    assert [f.code for f in found] == ["class_imbalance"]
    assert calls[0]["num_classes"] == 2 and calls[0]["task"] == "classification"
    assert doc.label_counts == {0: int((y == 0).sum()), 1: int((y == 1).sum())}
    assert doc.prober.armed_step == 0 and doc.prober._acts.order == []  # not polluted


def test_epoch_end_and_check_test_feed_the_curve_rules(monkeypatch):
    seen = {}

    class CurveRules:
        def __init__(self, total_epochs=None, regularization=None, **facts):
            seen["init"] = (total_epochs, regularization)
            seen["facts"] = facts

        def update(self, epoch, logs, step=None):
            seen.setdefault("updates", []).append((epoch, logs["val_loss"], step))
            return []

        def revise(self, doctor):  # the doctor's findings re-read after each epoch
            seen["revised"] = seen.get("revised", 0) + 1

        def state_dict(self):
            return {"n": len(seen["updates"])}

    def check_test_shift(val, test, *, epoch=None, step=None, n_val=None, n_test=None):
        seen["test"] = (val, test, epoch, step)
        seen["sizes"] = (n_val, n_test)
        return [Finding("test_shift", "warning", "worse on test", Fix("check the split"))]

    fake = types.ModuleType("trainwise.doctor.curves")
    fake.CurveRules, fake.check_test_shift = CurveRules, check_test_shift
    monkeypatch.setitem(sys.modules, "trainwise.doctor.curves", fake)
    doc = Doctor(net(), total_epochs=3, regularization={"dropout": 0.3})
    doc.step_count = 7
    doc.epoch_end({"loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.5})
    doc.epoch_end({"loss": 0.9, "val_loss": 1.0, "val_accuracy": 0.6})
    assert seen["init"] == (3, {"dropout": 0.3})
    assert seen["updates"] == [(0, 1.1, 7), (1, 1.0, 7)] and seen["revised"] == 2
    # no check_data: nothing known about classes, sizes or a reference model
    assert seen["facts"] == {"task": None, "num_classes": None, "n_val": None, "reference": None}
    found = doc.check_test({"loss": 2.0, "accuracy": 0.3})
    assert seen["test"] == ({"loss": 1.0, "accuracy": 0.6}, {"loss": 2.0, "accuracy": 0.3}, 1, 7)
    assert [f.code for f in found] == ["test_shift"]
    assert doc.state_dict()["curves"] == {"n": 2}


def test_close_removes_every_hook():
    model = net()
    doc = Doctor(model)
    assert any(m._forward_hooks for m in model.modules())  # armed for step 0
    doc.close()
    assert not any(m._forward_hooks for m in model.modules())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model": "net"}, "Doctor model: str"),
        ({"optimizer": 3}, "Doctor optimizer: int"),
        ({"task": "ranking"}, "Doctor task: 'ranking'"),
        ({"total_steps": 0}, "Doctor total_steps: 0"),
    ],
)
def test_bad_arguments_name_the_field_and_what_is_allowed(kwargs, match):
    args = {"model": net(), **kwargs}
    with pytest.raises(ArgumentTypeError, match=match):
        Doctor(args.pop("model"), **args)


def test_underfitting_is_dropped_when_a_live_cause_explains_it(monkeypatch):
    class CurveRules:
        def __init__(self, **kw):
            pass

        def update(self, epoch, logs, step=None):
            return [Finding("underfitting", "warning", "loss stays high", Fix("train longer"))]

        def revise(self, doctor):
            pass

    fake = types.ModuleType("trainwise.doctor.curves")
    fake.CurveRules = CurveRules
    monkeypatch.setitem(sys.modules, "trainwise.doctor.curves", fake)
    doc = Doctor(net())
    assert [f.code for f in doc.epoch_end({"loss": 1.0})] == ["underfitting"]
    doc._add([Finding("lr_too_low", "warning", "tiny steps", Fix("raise lr"))])
    assert doc.epoch_end({"loss": 1.0}) == []


def test_overfitting_verdicts_are_dropped_in_an_unstable_run(monkeypatch):
    class CurveRules:
        def __init__(self, **kw):
            pass

        def update(self, epoch, logs, step=None):
            return [
                Finding("overfitting", "warning", "val loss rose", Fix("stop early")),
                Finding("overconfident_predictions", "warning", "val loss rose", Fix("flood")),
            ]

        def revise(self, doctor):
            pass

    fake = types.ModuleType("trainwise.doctor.curves")
    fake.CurveRules = CurveRules
    monkeypatch.setitem(sys.modules, "trainwise.doctor.curves", fake)
    doc = Doctor(net())
    assert len(doc.epoch_end({"loss": 1.0})) == 2
    doc._add([Finding("lr_too_high", "warning", "loss diverges", Fix("lower lr"))])
    assert doc.epoch_end({"loss": 1.0}) == []


def test_the_curve_rules_learn_the_epochs_learning_rates_from_the_optimizer():
    # a per-step linear warm-up (torch's LinearLR, start factor 0.1 over 8 steps): the curve
    # rules see the LR rise within the first epoch and the scheduler's base LR, so they can
    # tell a warm-up from a stall on the first epoch, where one logged LR shows no trend
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=8)
    doc = Doctor(model, opt, total_epochs=10)
    x, y = data()
    for _ in range(2):
        for t in range(4):
            idx = torch.arange(t * 32, t * 32 + 32)
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            doc.step(loss)
            sched.step()
        doc.epoch_end({"loss": float(loss)})
    h = doc._curves.history
    assert h.series("lr_start").tolist() == pytest.approx([0.01, 0.055])
    assert h.series("lr_end").tolist() == pytest.approx([0.04375, 0.08875])
    assert h.series("lr_base").tolist() == pytest.approx([0.1, 0.1])
    from trainwise.doctor.curves.warm_up import lr_rising

    assert lr_rising(h, 0) and lr_rising(h, 1)


def test_the_epochs_learning_rates_survive_a_mid_epoch_resume():
    model = net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    doc = Doctor(model, opt, total_epochs=10)
    loop(model, opt, 3, doctor=doc)
    again = Doctor(model, opt, total_epochs=10)
    again.load_state_dict(json.loads(json.dumps(doc.state_dict())))
    assert again._epoch_lrs == doc._epoch_lrs == (0.1, 0.1)


def test_passed_is_the_ci_gate_at_a_severity():
    doc = Doctor(net())
    assert doc.passed() and doc.passed(fail_on="error")
    doc._add([Finding("lr_too_high", "warning", "loss diverges", Fix("lower lr"))])
    assert not doc.passed(fail_on="warning") and doc.passed(fail_on="error")
    doc._add([Finding("nan_loss", "error", "loss is nan", Fix("lower lr"))])
    assert not doc.passed(fail_on="error")
    with pytest.raises(ValueError, match="fail_on: 'info' is not allowed; allowed: warning"):
        doc.passed(fail_on="info")
