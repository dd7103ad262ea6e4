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
    assert sum(s.is_probe(t) for t in range(960)) == 76


#: run length -> (late interval, probed steps): the dense start and the doubling are the same
#: for every run; runs under ~1,000 steps then probe every 16th step (before: every 4th or
#: 5th, ~64 probes whatever the length), longer ones ~64 times over the run
SHORT_RUNS = {
    100: (16, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56,
               64, 80, 96]),
    290: (16, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56,
               64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 272, 288]),
}  # fmt: skip
LONG_RUNS = {870: (16, 71), 960: (16, 76), 2048: (32, 84), 6400: (100, 90)}


def test_the_probed_steps_of_runs_of_a_given_length():
    for steps, (every, probed) in SHORT_RUNS.items():
        s = ProbeSchedule(every=auto_every(steps))
        assert (s.every, [t for t in range(steps) if s.is_probe(t)]) == (every, probed)
    for steps, (every, count) in LONG_RUNS.items():
        s = ProbeSchedule(every=auto_every(steps))
        assert (s.every, sum(s.is_probe(t) for t in range(steps))) == (every, count)


def test_auto_every():
    assert [auto_every(n) for n in (None, 10, 960, 1100, 6400, 10**6)] == [16, 16, 16, 17, 100, 100]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_interval_is_an_argument_error(bad):
    with pytest.raises(ArgumentTypeError, match="probe every"):
        ProbeSchedule(every=bad)
