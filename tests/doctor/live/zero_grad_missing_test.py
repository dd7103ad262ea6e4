import torch
from torch import nn

from trainwise.doctor import Doctor


def _loop(model, opt, *, steps=24, zero_every=1, accumulate=1, set_to_none=True, seed=0):
    """A plain loop through the documented API; ``zero_every``: zero_grad every n batches."""
    torch.manual_seed(seed)
    x, y = torch.randn(512, 8), torch.randint(0, 4, (512,))
    doc = Doctor(model, opt)
    for i in range(steps * accumulate):
        xb, yb = x[(i * 32) % 512 :][:32], y[(i * 32) % 512 :][:32]
        if zero_every and i % zero_every == 0:
            opt.zero_grad(set_to_none=set_to_none)
        loss = nn.functional.cross_entropy(model(xb), yb)
        (loss / accumulate).backward()
        if (i + 1) % accumulate == 0:
            opt.step()
            doc.step(loss, inputs=xb, targets=yb)
    doc.close()
    return doc


def test_a_loop_without_zero_grad_is_named_with_the_zero_grad_fix(kit):
    model = kit.mlp()
    doc = _loop(model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9), zero_every=0)
    f = kit.one(doc, "zero_grad_missing")
    assert f.severity == "error" and f.step == 1
    assert f.evidence["held_norm"] > 0 and f.evidence["stale_steps"][:2] == [1, 2]
    assert "zero_grad()" in f.fix.text and "lr" not in f.fix.overrides
    assert not {"lr_too_high", "exploding_gradients"} & kit.codes(doc)


def test_zero_grad_once_per_epoch_is_also_named(kit):
    model = kit.mlp()
    doc = _loop(model, torch.optim.SGD(model.parameters(), lr=0.01), zero_every=12, steps=40)
    assert "zero_grad_missing" in kit.codes(doc)


def test_healthy_loops_are_silent_including_accumulation_on_purpose(kit):
    for kwargs in ({}, {"set_to_none": False}, {"accumulate": 4, "zero_every": 4}):
        model = kit.mlp()
        doc = _loop(model, torch.optim.Adam(model.parameters(), lr=1e-3), **kwargs)
        assert "zero_grad_missing" not in kit.codes(doc), kwargs


def test_hooks_are_removed_and_results_unchanged(kit):
    model = kit.mlp()
    ref = kit.mlp()
    ref.load_state_dict(model.state_dict())
    _loop(model, torch.optim.SGD(model.parameters(), lr=0.05))
    torch.manual_seed(0)
    x, y = torch.randn(512, 8), torch.randint(0, 4, (512,))
    opt = torch.optim.SGD(ref.parameters(), lr=0.05)
    for i in range(24):
        opt.zero_grad()
        nn.functional.cross_entropy(
            ref(x[(i * 32) % 512 :][:32]), y[(i * 32) % 512 :][:32]
        ).backward()
        opt.step()
    for a, b in zip(model.parameters(), ref.parameters()):
        assert torch.equal(a, b)
        assert not a._backward_hooks
