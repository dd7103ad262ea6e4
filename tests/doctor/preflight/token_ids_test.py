import numpy as np
import torch
from torch import nn

from trainwise.doctor.preflight.run_preflight import run_preflight
from trainwise.doctor.preflight.token_ids import are_token_ids


def _text_model(vocab=50):
    return nn.Sequential(nn.Embedding(vocab, 8), nn.Flatten(), nn.Linear(8 * 12, 3))


def test_integer_ids_within_an_embedding_table_are_ids():
    x = torch.randint(0, 50, (64, 12))
    assert are_token_ids(x, _text_model())
    assert are_token_ids(x.numpy(), _text_model())


def test_not_ids_without_embedding_floats_or_ids_past_the_table():
    x = torch.randint(0, 50, (64, 12))
    assert not are_token_ids(x, nn.Sequential(nn.Flatten(), nn.Linear(12, 3)))
    assert not are_token_ids(x.float(), _text_model())
    assert not are_token_ids(x, _text_model(vocab=10))
    assert not are_token_ids(x, None)


def test_preflight_does_not_read_token_ids_as_unscaled_numbers():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(1, 50, (400, 12), generator=g)
    y = torch.randint(0, 3, (400,), generator=g)
    codes = [f.code for f in run_preflight(x, y, model=_text_model(), shuffle=True)]
    assert "unnormalized_inputs" not in codes and "label_noise" not in codes
    # the same integers fed as numbers (no embedding) are still checked
    plain = nn.Sequential(nn.Linear(12, 3))
    codes = [f.code for f in run_preflight(x.numpy().astype(np.int64), y, model=plain)]
    assert "unnormalized_inputs" in codes
