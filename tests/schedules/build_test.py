import pytest
import torch

from trainwise.errors import ArgumentTypeError, ConfigError
from trainwise.schedules.build import build_scheduler, lr_table, schedule_fn
from trainwise.schedules.config import ScheduleConfig

CONFIGS = [
    ScheduleConfig(),
    ScheduleConfig(name="exponential", decay_rate=0.5, decay_steps=2),
    ScheduleConfig(name="exponential", decay_rate=0.5, decay_steps=2, staircase=True),
    ScheduleConfig(name="step", step_size=1, gamma=0.5),
    ScheduleConfig(name="step", step_size=3, gamma=0.5, unit="step"),
    ScheduleConfig(name="multistep", milestones=[1, 2], gamma=0.1),
    ScheduleConfig(name="per_epoch"),
    ScheduleConfig(name="linear", end_lr=0.01, warmup_steps=2),
    ScheduleConfig(name="cosine", warmup_epochs=1, min_lr=0.001),
    ScheduleConfig(name="onecycle"),
]
SPE, EPOCHS = 4, 3


def _run(cfg, steps, lr=0.1):
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    sched = build_scheduler(cfg, opt, steps_per_epoch=SPE, epochs=EPOCHS)
    seen = []
    for _ in range(steps):
        seen.append(opt.param_groups[0]["lr"])
        model(torch.ones(1, 2)).sum().backward()
        opt.step()
        sched.step()
    return model, opt, sched, seen


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name)
def test_real_optimizer_follows_the_pure_function(cfg):
    *_, seen = _run(cfg, SPE * EPOCHS)
    assert seen == pytest.approx(lr_table(cfg, 0.1, SPE, EPOCHS), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name)
def test_state_dict_round_trip_resumes_exactly(cfg):
    *_, full = _run(cfg, SPE * EPOCHS)
    model, opt, sched, first = _run(cfg, 5)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert sched_state["last_epoch"] == 5 and sched_state["lr_lambdas"] == [None]

    model2 = torch.nn.Linear(2, 1)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.1)
    sched2 = build_scheduler(cfg, opt2, steps_per_epoch=SPE, epochs=EPOCHS)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    rest = []
    for _ in range(SPE * EPOCHS - 5):
        rest.append(opt2.param_groups[0]["lr"])
        opt2.step()
        sched2.step()
    assert first + rest == full


def test_exact_table_exponential_step_and_per_epoch():
    exp = lr_table(
        ScheduleConfig(name="exponential", decay_rate=0.5), 0.1, steps_per_epoch=2, epochs=2
    )
    assert exp == pytest.approx(
        [0.1, 0.1 * 0.5**0.5, 0.05, 0.05 * 0.5**0.5], rel=1e-12
    )  # decay_steps = 1 epoch
    step = lr_table(ScheduleConfig(name="step", step_size=2, gamma=0.1), 1.0, 1, 5)
    assert step == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01], rel=1e-12)
    per_epoch = lr_table(ScheduleConfig(name="per_epoch"), 0.1, 2, 3)
    assert per_epoch == pytest.approx([0.1, 0.1, 0.098, 0.098, 0.09604, 0.09604], rel=1e-12)


def test_multistep_unit_step_vs_epoch():
    by_epoch = lr_table(ScheduleConfig(name="multistep", milestones=[1]), 1.0, 2, 2)
    by_step = lr_table(ScheduleConfig(name="multistep", milestones=[1], unit="step"), 1.0, 2, 2)
    assert by_epoch == pytest.approx([1.0, 1.0, 0.1, 0.1])
    assert by_step == pytest.approx([1.0, 0.1, 0.1, 0.1])


def test_onecycle_matches_torch_through_lambdalr():
    total = SPE * EPOCHS
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ref = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=0.1, total_steps=total, cycle_momentum=False
    )
    want = []
    for _ in range(total):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        ref.step()
    *_, seen = _run(ScheduleConfig(name="onecycle"), total)  # max_lr defaults to the optimizer lr
    assert seen == pytest.approx(want, rel=0, abs=1e-9)


def test_param_groups_keep_their_ratio():
    a, b = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.01}])
    sched = build_scheduler(
        ScheduleConfig(name="per_epoch", factor=0.5), opt, steps_per_epoch=1, epochs=3
    )
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.005], rel=1e-12)


def test_warmup_longer_than_run_is_an_error():
    cfg = ScheduleConfig(name="cosine", warmup_epochs=3)
    with pytest.raises(
        ConfigError, match=r"schedule.warmup_epochs: 3.0 is not allowed; the warmup \(12 steps\)"
    ):
        schedule_fn(cfg, steps_per_epoch=4, epochs=3)


@pytest.mark.parametrize(("spe", "epochs"), [(0, 3), (4, 0), (2.5, 3), (True, 3)])
def test_run_length_must_be_positive_ints(spe, epochs):
    with pytest.raises(ConfigError, match="must be an integer >= 1"):
        schedule_fn(None, steps_per_epoch=spe, epochs=epochs)


def test_bad_arguments():
    with pytest.raises(ArgumentTypeError, match="expected a torch.optim.Optimizer"):
        build_scheduler(None, "adam", steps_per_epoch=1, epochs=1)
    with pytest.raises(ConfigError, match="optimizer.lr: 0 is not allowed"):
        lr_table(None, 0, 1, 1)


def test_table_length():
    assert len(lr_table(ScheduleConfig(name="cosine"), 1e-3, steps_per_epoch=7, epochs=5)) == 35
