"""The test layout the README promises: a module's tests sit at the mirrored path
(``src/trainwise/x/y.py`` -> ``tests/x/y_test.py``), except the modules listed below, which
are tested through the module that uses them; each entry names that test file."""

from pathlib import Path

import trainwise

SRC = Path(trainwise.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent

#: module (relative to src/trainwise) -> the test file that covers it, for modules with no
#: test file of their own. Package ``__init__.py`` files (re-exports) are left out as a rule.
TESTED_ELSEWHERE = {
    # the Callback base and its dispatch: the Trainer's event order and skipping
    "callbacks/callback.py": "training/trainer_test.py",
    # `python -m trainwise`: started by torchrun in the data-parallel launch tests
    "__main__.py": "training/distributed_launch_test.py",
    # the callbacks tw.fit installs itself: checkpoints, metrics.jsonl, the progress display
    "callbacks/checkpointer.py": "checkpoint/resume_in_process_test.py",
    "callbacks/metrics_log.py": "training/fit_test.py",
    "callbacks/progress.py": "training/host_sync_test.py",
    # the checkpoint file format underneath CheckpointStore
    "checkpoint/tree_codec.py": "checkpoint/store_test.py",
    "checkpoint/weights.py": "checkpoint/store_test.py",
    # the section base and the error wording, through every section and the fuzzer
    "config/section.py": "errors/config_fuzz_test.py",
    "config/validate.py": "errors/config_fuzz_test.py",
    "errors.py": "errors/bad_inputs_test.py",
    # the doctor's glue to tw.fit, its finding record and the live rules' shared view
    "doctor/attach.py": "training/fit_test.py",
    "doctor/finding.py": "doctor/precedence_test.py",
    "doctor/live/context.py": "doctor/live/lr_too_high_test.py",
    # tw.fit's recipe steps: each is a part of one call, tested through that call
    "losses/target_adapter.py": "training/fit_test.py",
    "training/fit_callbacks.py": "training/fit_test.py",
    "training/fit_parts.py": "training/fit_test.py",
    "training/fit_result.py": "training/fit_test.py",
    "training/inputs.py": "training/fit_test.py",
    "training/preflight.py": "training/fit_validation_test.py",
    "training/run_dir.py": "training/fit_test.py",
    "training/seeding.py": "checkpoint/resume_in_process_test.py",
}


def _modules() -> list[str]:
    return sorted(
        p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py") if p.name != "__init__.py"
    )


def _mirror(module: str) -> Path:
    path = Path(module)
    return TESTS / path.parent / f"{path.stem}_test.py"


def test_every_module_has_its_test_at_the_mirrored_path_or_says_where():
    missing = [
        f"src/trainwise/{m} -> tests/{_mirror(m).relative_to(TESTS).as_posix()}"
        for m in _modules()
        if not _mirror(m).is_file() and m not in TESTED_ELSEWHERE
    ]
    assert not missing, "no test at the mirrored path (add it, or list it here):\n" + "\n".join(
        missing
    )


def test_the_list_of_exceptions_is_current():
    modules = set(_modules())
    stale = [m for m in TESTED_ELSEWHERE if m not in modules or _mirror(m).is_file()]
    assert not stale, f"remove from TESTED_ELSEWHERE (gone or now mirrored): {stale}"
    lost = [t for t in TESTED_ELSEWHERE.values() if not (TESTS / t).is_file()]
    assert not lost, f"the test files named in TESTED_ELSEWHERE must exist: {lost}"
