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
    _loop(doc, model, opt, [1.0] * 17)  # up to the probe at 16 (0-8, 10 ... 16 probed)
    with HostSyncCounter() as c:
        _loop(doc, model, opt, [1.0, 1.0, float("nan")])  # steps 17-19: ordinary, pending
    assert c.reads == [] and len(doc.reader) == 3 and doc.judged_steps == 17
    assert doc.losses.count == 17 and not doc.halted
    found = doc.flush()  # one read: judged in step order, stopping at the NaN
    assert [(f.code, f.step) for f in found] == [("nan_loss", 19)] and doc.halted
    assert doc.losses.count == 19 and doc.judged_steps == 20
    # a plain loop has no replay: the outputs' finite flag kept instead of the outputs says
    # they were finite, so the loss function made the NaN (here: the loop's own * nan)
    assert found[0].evidence["source"] == "loss"


def test_a_full_window_is_read_by_the_step_that_fills_it():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    doc = Doctor(model, opt, probe_every=64, read_every=2)
    _loop(doc, model, opt, [1.0] * 20)  # 17, 18 fill a window (probe at 16); 19 waits
    assert len(doc.reader) == 1 and doc.losses.count == 19


def _sorted_run(read_every):
    # labels in sorted order (unshuffled_data) from a 2-valued float target cast per batch
    # (labels_collapsed's integer path): the rules that want targets read the host copies
    torch.manual_seed(0)
    x = torch.randn(1024, 4)
    y = (x[:, 0] > 0.8).float()
    order = torch.argsort(y, stable=True)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    doc = Doctor(model, opt, probe_every=16, read_every=read_every, total_steps=96)
    for _ in range(3):
        for idx in order.split(32):
            out = model(x[idx])
            loss = nn.functional.cross_entropy(out, y[idx].long())
            opt.zero_grad()
            loss.backward()
            opt.step()
            doc.step(loss, inputs=x[idx], targets=y[idx], outputs=out)
        doc.epoch_end({"loss": 1.0})
    return [f.to_dict() for f in doc.findings], doc.state_dict()


def test_the_lazy_reading_finds_what_the_eager_one_does():
    lazy, eager = _sorted_run(None), _sorted_run(1)
    assert {f["code"] for f in lazy[0]} >= {"unshuffled_data"}, [f["code"] for f in lazy[0]]
    assert lazy[0] == eager[0] and lazy[1] == eager[1]  # findings and state
