import json
import math

import numpy as np
import pytest
import torch

from trainwise.doctor.curves.curve_history import CurveHistory
from trainwise.errors import CheckpointError


def test_keeps_finite_numbers_only():
    h = CurveHistory()
    h.add(
        0,
        {
            "loss": torch.tensor(1.5),
            "accuracy": np.float32(0.25),
            "val_loss": float("nan"),
            "name": "run",
            "flag": True,
            "lr": 1e-3,
            "shape": [1, 2],
        },
        step=7,
    )
    assert h.logs == [{"loss": 1.5, "accuracy": 0.25, "lr": 1e-3}]
    assert h.steps == [7]
    assert math.isnan(h.series("val_loss")[0])
    assert h.rows("loss", "val_loss").tolist() == []
    assert h.when(0) == {"epoch": 0, "step": 7}


def test_recording_an_epoch_again_drops_it_and_what_followed():
    h = CurveHistory()
    for e in range(5):
        h.add(e, {"loss": float(e)})
    h.add(2, {"loss": 9.0})
    assert h.epochs == [0, 1, 2]
    assert h.series("loss").tolist() == [0.0, 1.0, 9.0]


def test_queries():
    h = CurveHistory()
    h.add(0, {"loss": 3.0, "lr": 0.1})
    h.add(1, {"loss": 2.0, "val_loss": 2.5, "lr": 0.3})
    h.add(2, {"loss": 1.0, "lr": 0.2})
    assert h.has("val_loss") and not h.has("val_accuracy")
    assert h.first("val_loss") == 2.5 and h.first("mse") is None
    assert h.last_value("loss") == 1.0
    assert h.max_value("lr") == 0.3 and h.max_value("mse") is None
    assert h.rows("loss", "val_loss").tolist() == [1]


def test_state_round_trips_through_json():
    h = CurveHistory()
    h.add(0, {"loss": 1.0}, step=None)
    h.add(1, {"loss": 0.5, "val_loss": 0.7}, step=20)
    g = CurveHistory()
    g.load_state_dict(json.loads(json.dumps(h.state_dict())))
    assert (g.epochs, g.steps, g.logs) == (h.epochs, h.steps, h.logs)


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"epochs": [0], "steps": [None, 1], "logs": [{}]},
        {"epochs": "x", "steps": [], "logs": []},
    ],
)
def test_bad_state_is_a_checkpoint_error(state):
    with pytest.raises(CheckpointError, match="curve rules state"):
        CurveHistory().load_state_dict(state)
