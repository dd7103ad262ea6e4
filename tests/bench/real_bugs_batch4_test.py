"""The fourth batch of real-bug pairs (``bench/real_bugs_batch4/``) is complete, cites sources the
earlier three batches do not, and its programs run. The doctor and both baselines are replaced
by do-nothing stand-ins here: the doctor's recall on these pairs is measured once by
``bench/real_bugs_suite.py --set batch4`` (``FIRST_SCORE.md``), not asserted."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import real_bugs  # noqa: E402
import real_bugs_batch3  # noqa: E402
import real_bugs_batch4  # noqa: E402
import real_bugs_heldout  # noqa: E402
from real_bugs import common as first_common  # noqa: E402
from real_bugs_batch4 import common  # noqa: E402
from trainwise.doctor.finding import CODES  # noqa: E402

EARLIER = (real_bugs, real_bugs_heldout, real_bugs_batch3)
PAIRS = real_bugs_batch4.pair_names()
EARLIER_SOURCES = {b.load_pair(n).SOURCE for b in EARLIER for n in b.pair_names()}
#: a code proposed by this batch or an earlier one (the earlier batches' proposals not yet in CODES)
PROPOSED = set(real_bugs_batch4.PROPOSED_CODES).union(
    *(getattr(b, "PROPOSED_CODES", {}) for b in EARLIER)
)


class _StandIn:
    """Accepts every call the programs make and records nothing."""

    def __init__(self, *args, **kwargs):
        self.findings, self.detections = [], {}

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def test_there_are_at_least_26_pairs():
    assert len(PAIRS) >= 26


def test_sources_are_distinct_within_the_batch():
    sources = [real_bugs_batch4.load_pair(n).SOURCE for n in PAIRS]
    assert len(set(sources)) == len(sources)


@pytest.mark.parametrize("name", PAIRS)
def test_pair_defines_buggy_fixed_source_and_expected(name):
    m = real_bugs_batch4.load_pair(name)
    assert m.SOURCE.startswith("https://")
    assert m.SOURCE in "".join((m.__doc__ or "").split())  # a long URL may wrap
    assert m.SOURCE not in EARLIER_SOURCES
    assert isinstance(m.EXPECTED, tuple) and m.EXPECTED
    for code in m.EXPECTED:
        assert code in CODES or code in PROPOSED, code
    assert isinstance(m.BLOCKS, bool)
    assert callable(m.buggy) and callable(m.fixed)


def test_every_proposed_code_is_expected_by_a_pair():
    expected = {c for n in PAIRS for c in real_bugs_batch4.load_pair(n).EXPECTED}
    for code in real_bugs_batch4.PROPOSED_CODES:
        assert code in expected, code


def test_proposed_codes_are_not_already_codes():
    for code in real_bugs_batch4.PROPOSED_CODES:
        assert code not in CODES, code


@pytest.mark.parametrize("name", ["max_values_used_as_labels", "vocab_rebuilt_for_test_split"])
def test_a_pair_runs_buggy_and_fixed_and_they_differ(name, monkeypatch):
    monkeypatch.setattr(first_common, "MAX_EPOCHS", 2)
    for attr in ("Doctor", "AutoTrainer", "DeepDiagnosis"):
        monkeypatch.setattr(common, attr, _StandIn)
    m = real_bugs_batch4.load_pair(name)
    buggy, fixed = m.buggy(0), m.fixed(0)
    for run in (buggy, fixed):
        assert 0.0 <= run.quality <= 1.0
        assert (
            len(run.losses) == 2
            and run.findings == []
            and run.baselines
            == {
                "autotrainer": {},
                "deepdiagnosis": {},
            }
        )
    assert fixed.quality >= buggy.quality + 0.10
