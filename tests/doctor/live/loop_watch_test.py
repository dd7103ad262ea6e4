import torch
from torch import nn

from trainwise.doctor.live.loop_watch import LoopWatch
from trainwise.doctor.probes import ModelLayout, ProbeSchedule


def _watch(model, opt):
    return LoopWatch(model, opt, ModelLayout(model, opt), ProbeSchedule())


def test_optimizer_steps_are_counted_and_the_hook_removed():
    model = nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    watch = _watch(model, opt)
    for _ in range(3):
        opt.step()
    assert watch.opt_steps == 3
    watch.close()
    opt.step()
    assert watch.opt_steps == 3


def test_held_gradients_are_seen_before_the_backward_adds_to_them():
    model = nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    watch = _watch(model, opt)
    x = torch.randn(4, 3)
    for t in range(3):  # no zero_grad
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
        watch.observe(t, loss)
    held = [r["held"] for r in watch.stale]
    assert len(held) == 2 and all(h > 0 for h in held)
    assert watch.graph is not None and watch.graph.params_reached == 2
    watch.close()


def test_without_an_optimizer_steps_are_unknown_and_nothing_breaks():
    model = nn.Linear(3, 2)
    watch = _watch(model, None)
    watch.observe(0, 1.0)
    assert watch.opt_steps is None and watch.graph is None and not watch.graph_settled
