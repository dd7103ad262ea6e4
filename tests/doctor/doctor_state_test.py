import json

import torch
from torch import nn

from trainwise.doctor import Doctor
from trainwise.doctor.doctor_state import doctor_state, load_doctor_state


def _doctor():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    return Doctor(model, torch.optim.SGD(model.parameters(), lr=0.1), probe_every=16)


def test_state_judges_the_pending_steps_first_and_round_trips():
    doc = _doctor()
    for v in [1.0] * 9 + [float("nan")]:
        doc.step(torch.tensor(v))
    assert len(doc.reader) == 1  # 0-8 probed, read at once; step 9 pending
    state = json.loads(json.dumps(doctor_state(doc)))
    assert len(doc.reader) == 0 and state["halted"] and state["step"] == 10
    assert [f["code"] for f in state["findings"]] == ["nan_loss"]
    again = _doctor()
    load_doctor_state(again, state)
    assert again.step_count == again.judged_steps == 10 and again.halted
    assert doctor_state(again) == state
