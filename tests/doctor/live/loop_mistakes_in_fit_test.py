"""The loop rules inside a Trainer run (what tw.fit uses): same behaviour as in a plain loop,
and silent on gradient accumulation done on purpose and on a per-step schedule that ends at 0."""

import pytest
import torch
from torch import nn

from trainwise.doctor import DoctorCallback
from trainwise.training.batches import TensorBatches
from trainwise.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")
LOOP_CODES = {"zero_grad_missing", "optimizer_not_stepping", "frozen_parameters"}
LOOP_CODES |= {"lr_schedule_collapsed", "loss_output_mismatch", "params_not_updating"}


def _fit(model, *, accumulate=1, scheduler=None, epochs=4):
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    y = (x[:, :4].sum(1) > 0).long()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = scheduler(opt) if scheduler is not None else None
    cb = DoctorCallback()
    trainer = Trainer(
        model,
        opt,
        nn.CrossEntropyLoss(),
        "classification",
        callbacks=[cb],
        accumulate_steps=accumulate,
        scheduler=sched,
    )
    trainer.fit(TensorBatches(x, y, batch_size=16, seed=0), epochs=epochs)
    return {f.code for f in cb.doctor.findings if f.severity != "info"}


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))


def test_accumulation_on_purpose_and_cosine_to_zero_are_silent():
    assert not _fit(_mlp(), accumulate=4) & LOOP_CODES
    cosine = lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 64)  # noqa: E731
    assert not _fit(_mlp(), scheduler=cosine) & LOOP_CODES


def test_a_frozen_body_and_a_softmax_head_are_named_in_a_trainer_run():
    model = _mlp()
    model[2].requires_grad_(False)  # the output layer
    assert "frozen_parameters" in _fit(model)
    assert "loss_output_mismatch" in _fit(nn.Sequential(*_mlp(), nn.Softmax(1)))
