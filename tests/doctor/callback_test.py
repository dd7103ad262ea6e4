import json

import pytest
import torch
from torch import nn

from trainwise.doctor import Doctor, DoctorCallback
from trainwise.training.batches import TensorBatches
from trainwise.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


class Log(nn.Module):
    def forward(self, x):
        return torch.log(x)


def fit(model, x, y, cb, epochs=3, lr=1e-2):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), "classification", callbacks=[cb])
    trainer.fit(TensorBatches(x, y, batch_size=16, seed=0), epochs=epochs)
    return trainer


def test_builds_the_doctor_from_the_trainer_and_stays_quiet_on_a_healthy_run():
    torch.manual_seed(0)
    x = torch.randn(128, 4)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    cb = DoctorCallback()
    fit(model, x, y, cb, epochs=5, lr=0.1)
    doc = cb.doctor
    assert doc.total_steps == 40 and doc.step_count == 40 and doc.epoch == 5
    assert doc.task == "classification" and doc.optimizer is not None
    assert [f.code for f in doc.findings if f.code not in ("underfitting", "overfitting")] == []
    assert not any(m._forward_hooks for m in model.modules())  # closed at fit end


def test_a_nan_step_is_replayed_with_the_weights_before_the_update():
    # the log sees a negative input only in the batch holding sample 100; in a plain loop
    # after optimizer.step() every weight is NaN already, the callback keeps the ones before
    torch.manual_seed(0)
    x = torch.rand(128, 4) + 0.5
    x[100, 2] = -1.0
    y = (x[:, 0] > 1.0).long()
    model = nn.Sequential(nn.Linear(4, 4), nn.Identity(), nn.Linear(4, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(4))
        model[0].bias.zero_()
    model[1] = Log()
    cb = DoctorCallback()
    trainer = fit(model, x, y, cb, epochs=1)
    f = next(f for f in cb.doctor.findings if f.code == "nan_loss")
    assert f.where == "1" and f.evidence["replayed_with"] == "pre-update weights"
    assert f.step < trainer.global_step and cb.doctor.halted


def test_state_given_before_fit_start_is_applied_when_the_doctor_is_built():
    model = nn.Linear(4, 2)
    donor = Doctor(model, torch.optim.SGD(model.parameters(), lr=0.1))
    donor.step(torch.tensor(1.0))
    donor.step(torch.tensor(1.0))
    state = json.loads(json.dumps(DoctorCallback(donor).state_dict()))
    donor.close()
    cb = DoctorCallback()
    cb.load_state_dict(state)
    assert cb.state_dict() == state  # still pending
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    fit(model, x, y, cb, epochs=1)
    assert cb.doctor.step_count == 4  # 2 restored + 2 trained
