"""Running metrics read once per epoch, all values in one host transfer, bit for bit."""

import torch

from trainwise.training.host_sync import HostSyncCounter
from trainwise.training.metrics import RunningMetrics, read_scalars


def test_read_scalars_is_one_read_and_bitwise_float():
    values = {"a": torch.tensor(0.1), "n": torch.tensor(2**40 + 1), "x": 7, "f": 0.5}
    with HostSyncCounter() as c:
        read = read_scalars(values)
    assert len(c.reads) == 1
    assert read == {"a": float(torch.tensor(0.1)), "n": float(2**40 + 1), "x": 7, "f": 0.5}


def test_compute_with_rides_extra_values_along():
    m = RunningMetrics("classification")
    m.update(torch.tensor(0.5), torch.tensor([[2.0, 1.0], [0.0, 1.0]]), torch.tensor([0, 0]))
    with HostSyncCounter() as c:
        logs, extra = m.compute_with({"norm": torch.tensor(3.0), "count": 2})
    assert len(c.reads) == 1
    assert logs == {"loss": 0.5, "accuracy": 0.5} and extra == {"norm": 3.0, "count": 2}
    assert m.compute() == logs and m.running_loss() == 0.5
    assert RunningMetrics("regression").compute() == {}
