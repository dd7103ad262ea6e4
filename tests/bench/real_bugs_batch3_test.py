"""The third batch of real-bug pairs (``bench/real_bugs_batch3/``) is complete and its programs
run. The doctor is replaced by a do-nothing stand-in here: its recall on these pairs is measured
once by ``bench/real_bugs_suite.py --set batch3`` (``FIRST_SCORE.md``), not asserted."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import real_bugs  # noqa: E402
import real_bugs_batch3  # noqa: E402
import real_bugs_heldout  # noqa: E402
from real_bugs import common as first_common  # noqa: E402
from real_bugs_batch3 import common  # noqa: E402
from trainwise.doctor.finding import CODES  # noqa: E402

PAIRS = real_bugs_batch3.pair_names()
EARLIER_SOURCES = {real_bugs.load_pair(n).SOURCE for n in real_bugs.pair_names()} | {
    real_bugs_heldout.load_pair(n).SOURCE for n in real_bugs_heldout.pair_names()
}


class _StandIn:
    """Accepts every call the programs make and records nothing."""

    def __init__(self, *args, **kwargs):
        self.findings, self.detections = [], {}

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def test_there_are_at_least_20_pairs():
    assert len(PAIRS) >= 20


@pytest.mark.parametrize("name", PAIRS)
def test_pair_defines_buggy_fixed_source_and_expected(name):
    m = real_bugs_batch3.load_pair(name)
    assert m.SOURCE.startswith("https://")
    assert m.SOURCE in "".join((m.__doc__ or "").split())  # a long URL may wrap
    assert m.SOURCE not in EARLIER_SOURCES
    assert isinstance(m.EXPECTED, tuple) and m.EXPECTED
    for code in m.EXPECTED:
        assert code in CODES or code in real_bugs_batch3.PROPOSED_CODES, code
    assert isinstance(m.BLOCKS, bool)
    assert callable(m.buggy) and callable(m.fixed)


def test_every_proposed_code_is_expected_by_a_pair():
    expected = {c for n in PAIRS for c in real_bugs_batch3.load_pair(n).EXPECTED}
    for code in real_bugs_batch3.PROPOSED_CODES:
        assert code in expected, code


@pytest.mark.parametrize(
    "name", ["weights_reinitialized_every_epoch", "head_replaced_after_optimizer"]
)
def test_a_pair_runs_buggy_and_fixed(name, monkeypatch):
    monkeypatch.setattr(first_common, "MAX_EPOCHS", 2)
    for attr in ("Doctor", "AutoTrainer", "DeepDiagnosis"):
        monkeypatch.setattr(common, attr, _StandIn)
    m = real_bugs_batch3.load_pair(name)
    for variant in (m.buggy, m.fixed):
        run = variant(0)
        assert 0.0 <= run.quality <= 1.0
        assert len(run.losses) == 2 and run.findings == []
