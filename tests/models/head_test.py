import pytest
import torch
from torch import nn

from trainwise.errors import ModelError
from trainwise.models.head import Head


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_gap_head_params_do_not_depend_on_size():
    small = Head("gap", channels=32, spatial=(5,), output_dim=10)
    big = Head("gap", channels=32, spatial=(50, 50), output_dim=10)
    assert n_params(small) == n_params(big) == 32 * 10 + 10
    assert big(torch.randn(2, 32, 50, 50)).shape == (2, 10)


def test_flatten_head_params_scale_with_positions():
    head = Head("flatten", channels=32, spatial=(5,), output_dim=10)
    assert n_params(head) == 32 * 5 * 10 + 10
    assert head(torch.randn(2, 32, 5)).shape == (2, 10)
    assert n_params(Head("flatten", channels=4, spatial=(3, 2), output_dim=2)) == 4 * 6 * 2 + 2


def test_gap_output_is_linear_of_channel_means():
    head = Head("gap", channels=2, spatial=(4,), output_dim=1)
    x = torch.randn(3, 2, 4)
    expected = head.linear(x.mean(dim=2))
    assert torch.allclose(head(x), expected)


def test_dropout_only_when_asked():
    assert not any(
        isinstance(m, nn.Dropout)
        for m in Head("gap", channels=2, spatial=(4,), output_dim=1).modules()
    )
    head = Head("gap", channels=2, spatial=(4,), output_dim=1, dropout=0.3)
    names = [name for name, _ in head.named_children()]
    assert names == ["pool", "flatten", "dropout", "linear"]
    assert head.dropout.p == 0.3


def test_unknown_head():
    with pytest.raises(ModelError, match="model.head: 'dense'.*allowed: gap, flatten"):
        Head("dense", channels=2, spatial=(4,), output_dim=1)
