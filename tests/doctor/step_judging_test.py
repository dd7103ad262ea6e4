import torch
from torch import nn

from trainwise.doctor import Doctor
from trainwise.training.host_sync import HostSyncCounter


def _loop(doc, model, opt, losses):
    for v in losses:
        x = torch.randn(8, 4)
        out = model(x)
        loss = nn.functional.cross_entropy(out, torch.arange(8) % 2) * v
        opt.zero_grad()
        loss.backward()
        opt.step()
        doc.step(loss, inputs=x, targets=torch.arange(8) % 2, outputs=out)


def test_ordinary_steps_read_nothing_and_are_judged_in_order_at_the_next_read():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    doc = Doctor(model, opt, probe_every=64, read_every=4)
    _loop(doc, model, opt, [1.0] * 9)  # 0-8 probed: read at once
    with HostSyncCounter() as c:
        _loop(doc, model, opt, [1.0, 1.0, float("nan")])  # steps 9-11: ordinary, pending
    assert c.reads == [] and len(doc.reader) == 3 and doc.judged_steps == 9
    assert doc.losses.count == 9 and not doc.halted
    found = doc.flush()  # one read: judged in step order, stopping at the NaN
    assert [(f.code, f.step) for f in found] == [("nan_loss", 11)] and doc.halted
    assert doc.losses.count == 11 and doc.judged_steps == 12
    # without a replay (a plain loop) the finite flag kept instead of the outputs is read
    assert found[0].evidence["source"] != "loss"


def test_a_full_window_is_read_by_the_step_that_fills_it():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    doc = Doctor(model, opt, probe_every=64, read_every=2)
    _loop(doc, model, opt, [1.0] * 10)
    assert len(doc.reader) == 0 and doc.losses.count == 10  # 9 read alone, 10 filled it
