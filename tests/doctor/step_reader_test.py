import math

import torch

from trainwise.doctor.step_reader import READ_EVERY, HostTargets, StepEntry, StepReader
from trainwise.training.host_sync import HostSyncCounter


def test_a_window_of_losses_flags_and_targets_is_read_in_one_transfer():
    reader = StepReader(every=3)
    a = StepEntry(0, 0, torch.tensor(1.25, requires_grad=True) * 1)
    b = StepEntry(1, 0, torch.tensor([float("inf")]), targets=torch.tensor([2, 0, 2]))
    b.want_targets = True
    c = StepEntry(2, 0, 0.5, finite_out=torch.isfinite(torch.tensor([1.0, math.nan])).all())
    assert (reader.add(a), reader.add(b), reader.add(c)) == (False, False, True)
    with HostSyncCounter() as counter:
        entries = reader.read()
    assert [m for _, m, _ in counter.reads] == ["tolist"]
    assert [e.value for e in entries] == [1.25, math.inf, 0.5] and len(reader) == 0
    assert c.outputs_finite is False and a.outputs_finite is None
    assert b.host == HostTargets([2, 0, 2], (3,), torch.int64) and b.host.counts() == [
        (0, 1),
        (2, 2),
    ]


def test_values_are_exact_for_every_float_width_and_float_targets_keep_their_dtype():
    x = torch.tensor(0.1, dtype=torch.bfloat16)
    e = StepEntry(0, 0, x, targets=torch.tensor([[0.5], [1.0]], dtype=torch.float16))
    e.want_targets = True
    StepReader().read(extra=e)
    assert e.value == float(x) and e.host.values == [0.5, 1.0]
    assert e.host.is_floating_point() and e.host.ndim == 2 and e.host.numel() == 2


def test_nothing_on_the_device_means_no_read_and_the_default_window():
    e = StepEntry(0, 0, 2.0)
    with HostSyncCounter() as counter:
        StepReader().read(extra=e)
    assert counter.reads == [] and e.value == 2.0 and READ_EVERY == 32
