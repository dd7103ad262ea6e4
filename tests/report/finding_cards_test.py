from trainwise.doctor.finding import Finding, Fix
from trainwise.report.finding_cards import finding_card, finding_cards, findings_count, fmt_value


def test_card_from_a_real_finding():
    f = Finding(
        "dead_relu",
        "warning",
        "42% of units in features.act1 are dead",
        Fix("use leaky_relu", {"model.activation": "leaky_relu", "optimizer.lr": 0.00031415}),
        step=120,
        epoch=3,
        where="features.act1",
        evidence={"dead_share": 0.4213, "threshold": float("nan"), "ok": True},
    )
    c = finding_card(f.to_dict())
    assert (c.severity, c.code, c.where) == ("warning", "dead_relu", "features.act1")
    assert c.onset == "epoch 4, step 120"
    assert c.evidence == [("dead_share", "0.4213"), ("threshold", "nan"), ("ok", "true")]
    assert c.sets == "--set model.activation=leaky_relu --set optimizer.lr=0.000314"
    assert c.fix == "use leaky_relu"


def test_preflight_finding_without_onset_and_unknown_fields():
    c = finding_card({"code": "future_code", "severity": "fatal", "message": "m"})
    assert c.onset is None and c.severity == "info" and c.sets == "" and c.evidence == []


def test_cards_sorted_errors_first():
    cards = finding_cards(
        [
            {"code": "a", "severity": "info"},
            {"code": "b", "severity": "error"},
            {"code": "c", "severity": "warning"},
            {"code": "d", "severity": "error"},
        ]
    )
    assert [c.code for c in cards] == ["b", "d", "c", "a"]


def test_fmt_value():
    assert fmt_value(1234.5678) == "1235" and fmt_value(0.5, digits=3) == "0.5"
    assert fmt_value(False) == "false" and fmt_value("x") == "x" and fmt_value(3) == "3"
    assert fmt_value({"a": 1}) == '{"a": 1}' and fmt_value(list(range(100))).endswith("...")


def test_findings_count_per_code_over_trials():
    trials = [
        [{"code": "overfitting", "severity": "warning"}, {"code": "nan_loss", "severity": "error"}],
        [
            {"code": "overfitting", "severity": "info"},
            {"code": "overfitting", "severity": "warning"},
        ],
        [],
        None,  # a trial without findings.json is not counted
    ]
    assert findings_count(trials) == {
        "codes": [("nan_loss", "error", 1), ("overfitting", "warning", 2)],
        "trials": 3,
    }
    assert findings_count([None]) == {"codes": [], "trials": 0}
