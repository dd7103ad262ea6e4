from trainwise.doctor.finding import CODES
from trainwise.doctor.live import RULES, make_live_rules
from trainwise.doctor.live.rule import num, round_sig


def test_number_formatting():
    assert num(0.000123456) == "0.000123" and num(None) == "n/a"
    assert round_sig(0.0123456) == 0.012 and round_sig(5.0) == 5.0 and round_sig(0.0) == 0.0


def test_every_live_code_has_exactly_one_rule_and_nan_loss_runs_last():
    live = {c for c, stage in CODES.items() if "live" in stage}
    assert sorted(r.code for r in RULES) == sorted(live)
    assert make_live_rules()[-1].code == "nan_loss"


def test_rule_state_survives_a_round_trip():
    rules = make_live_rules()
    for r in rules:
        r.done = True
    fresh = make_live_rules()
    for r, f in zip(rules, fresh):
        f.load_state_dict(r.state_dict())
        assert f.done
