from trainwise.doctor.live.streak import Streak


def test_onset_is_the_first_hit_of_the_current_run():
    s = Streak(need=3)
    hits = [True, False, True, True, True, True]
    got = [s.update(h, step, 0) for step, h in enumerate(hits)]
    assert got == [False, False, False, False, True, True]
    assert s.since_step == 2 and s.count == 4


def test_state_round_trip():
    s = Streak(2)
    s.update(True, 7, 1)
    t = Streak(2)
    t.load_state_dict(s.state_dict())
    assert t.update(True, 8, 1) and t.since_step == 7 and t.since_epoch == 1
