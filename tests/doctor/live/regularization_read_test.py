import torch
from torch import nn

from trainwise.doctor import Doctor
from trainwise.doctor.live.regularization_read import read_regularization


def test_reads_weight_decay_and_dropout_from_the_objects():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.3), nn.Dropout(0.9))
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.05)
    assert read_regularization(m, opt) == {
        "weight_decay": 0.05,
        "optimizer": "adamw",
        "dropout": 0.9,
    }


def test_nothing_set_reads_as_empty():
    m = nn.Linear(2, 2)
    assert read_regularization(m, torch.optim.SGD(m.parameters(), lr=0.1)) == {}
    assert read_regularization(m, None) == {}


def test_a_plain_loop_doctor_knows_them_and_a_given_dict_wins():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    opt = torch.optim.SGD(m.parameters(), lr=0.1, weight_decay=0.5)
    assert Doctor(m, opt).regularization["weight_decay"] == 0.5
    assert Doctor(m, opt, regularization={"l2": 1.0}).regularization == {"l2": 1.0}
