import numpy as np
import torch
from torch import nn

from trainwise.doctor.preflight.output_cannot_express_labels import check_output_width
from trainwise.doctor.preflight.run_preflight import run_preflight


def test_one_sigmoid_unit_for_four_classes_from_the_models_output():
    torch.manual_seed(0)
    x = torch.randn(200, 5)
    y = (torch.arange(200) % 4).float()  # class indices as floats, for MSE
    model = nn.Sequential(nn.Linear(5, 1), nn.Sigmoid(), nn.Flatten(0))
    found = run_preflight(x, y, model=model)
    (f,) = [f for f in found if f.code == "output_cannot_express_labels"]
    assert f.severity == "error" and f.evidence["output_range"] == [0.0, 1.0]
    assert "labels above 1 are out of its reach" in f.message and "4 outputs" in f.fix.text
    assert not any(
        g.code == "output_cannot_express_labels"
        for g in run_preflight(x, y.long(), model=nn.Linear(5, 4))
    )


def test_too_narrow_head_and_the_silent_cases():
    y = np.arange(300) % 10
    assert check_output_width(y, 5)[0].evidence["classes"] == 10
    assert check_output_width(y, 10) == []
    assert check_output_width(np.arange(100) % 2, 1, last_op="Sigmoid") == []  # binary: fine
    # one unbounded output on float targets with integer values may be a regression (ratings)
    assert check_output_width((np.arange(100) % 5).astype(float), 1) == []
    assert check_output_width(np.arange(100) % 5, 1)[0].evidence["width"] == 1  # int indices
