import json
import math

from trainwise.doctor.live.loss_track import LossTrack


def test_start_is_the_median_of_the_first_five_finite_losses():
    t = LossTrack(recent=4)
    for s, v in enumerate([float("nan"), 9.0, 1.0, 2.0, 3.0, 4.0, 100.0]):
        t.add(s, v)
    assert t.start() == 3.0  # median of 9, 1, 2, 3, 4
    assert t.count == 6 and t.nonfinite == 1
    assert [s for s, _ in t.recent] == [3, 4, 5, 6]  # bounded
    assert t.recent_median(2) == 52.0
    assert t.first_step_above(3.5, 4) == 5


def test_state_round_trips_through_json_with_nan():
    t = LossTrack()
    for s, v in enumerate([1.0, 2.0, float("inf")]):
        t.add(s, v)
    u = LossTrack()
    u.load_state_dict(json.loads(json.dumps(t.state_dict())))
    assert u.head == [1.0, 2.0] and math.isinf(u.recent[-1][1]) and u.nonfinite == 1
