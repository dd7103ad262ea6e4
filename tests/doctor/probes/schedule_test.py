import pytest

from trainwise.doctor.probes.schedule import ProbeSchedule, auto_every
from trainwise.errors import ArgumentTypeError


def test_dense_start_then_doubling_intervals_up_to_every():
    s = ProbeSchedule(every=16)
    assert [t for t in range(70) if s.is_probe(t)] == [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64,
    ]  # fmt: skip
    assert [t for t in range(64, 130) if s.is_probe(t)] == [64, 80, 96, 112, 128]


def test_probes_on_the_default_recipe_are_about_8_percent_of_steps():
    s = ProbeSchedule(every=auto_every(960))
    assert sum(s.is_probe(t) for t in range(960)) == 79


def test_auto_every():
    assert [auto_every(n) for n in (None, 10, 960, 6400, 10**6)] == [16, 4, 15, 100, 100]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_interval_is_an_argument_error(bad):
    with pytest.raises(ArgumentTypeError, match="probe every"):
        ProbeSchedule(every=bad)
