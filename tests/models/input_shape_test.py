import pytest
import torch

from trainwise.errors import ArgumentTypeError, ModelError
from trainwise.models.input_shape import conv_input, normalize_shape


def test_normalize_accepts_sequences_and_torch_size():
    assert normalize_shape([1, 40]) == (1, 40)
    assert normalize_shape(torch.Size([3, 8, 8])) == (3, 8, 8)


@pytest.mark.parametrize("bad", ["1,40", 40, None, (1, 2.5), (True, 3)])
def test_normalize_rejects_non_shapes(bad):
    with pytest.raises(ArgumentTypeError, match="input_shape"):
        normalize_shape(bad)


@pytest.mark.parametrize("bad", [(), (0, 40), (1, -3)])
def test_normalize_rejects_empty_or_non_positive(bad):
    with pytest.raises(ModelError, match=">= 1"):
        normalize_shape(bad)


def test_conv_input_splits_channels_and_spatial():
    assert conv_input((1, 40)) == (1, (40,))
    assert conv_input((3, 8, 9)) == (3, (8, 9))


def test_flat_input_explains_and_suggests_mlp():
    with pytest.raises(ModelError) as info:
        conv_input((40,), "resnet")
    message = str(info.value)
    assert "'resnet' needs inputs of shape (C, L)" in message
    assert "(C, H, W)" in message
    assert "(1, 40)" in message and "model.name=mlp" in message


def test_too_many_axes():
    with pytest.raises(ModelError, match="3 spatial axes"):
        conv_input((1, 4, 4, 4))
