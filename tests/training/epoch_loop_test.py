"""The epoch loop split out of trainer.py: one epoch's logs, and the refusal of accumulation
over batches of unknown number."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from trainwise.errors import ConfigError
from trainwise.training.batches import LoaderBatches, TensorBatches
from trainwise.training.trainer import Trainer


def _trainer(**kw):
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    return Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), **kw)


def test_one_epoch_counts_its_steps_and_logs_the_mean_loss():
    x, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    trainer = _trainer(grad_clip_norm=10.0)
    logs = trainer._train_epoch(TensorBatches(x, y, batch_size=4, shuffle=False), 0)
    assert trainer.global_step == 3 and len(trainer.lr_steps) == 3
    assert set(logs) == {"loss", "accuracy", "grad_norm", "grad_norm_max"}
    assert logs["grad_norm_max"] >= logs["grad_norm"] > 0


def test_accumulation_needs_a_known_number_of_batches():
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            yield torch.randn(2, 3), torch.zeros(2, dtype=torch.long)

    batches = LoaderBatches(DataLoader(Stream(), batch_size=None))
    with pytest.raises(ConfigError, match="training.accumulate_steps"):
        _trainer(accumulate_steps=2)._train_epoch(batches, 0)
    assert len(LoaderBatches(TensorDataset(torch.randn(4, 3), torch.zeros(4)), 2)) == 2
