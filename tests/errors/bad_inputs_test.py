"""Every bad input gets a clear error: exit code 2 from the CLI, a TrainwiseError that is also a
ValueError or TypeError from Python, and a message naming the field, the value and what is
allowed (checked as substrings, so rewording keeps the test honest but not brittle).

The CLI runs in-process (``main([...])`` with stderr captured): a subprocess per case would
cost a second of interpreter start-up each. One tiny training run (circles, 60 samples, an MLP
of width 4, 2 epochs) is shared by the checkpoint cases.
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import trainwise as tw
from trainwise.cli.main import main
from trainwise.models.build import build_model
from trainwise.run import load_config

pytestmark = pytest.mark.usefixtures("one_thread")

BASE_YAML = """\
data:
  name: circles
  n_samples: 60
  validation_split: 0.2
model:
  name: mlp
  hidden: [4]
optimizer:
  name: adam
  lr: 0.01
training:
  epochs: 2
  batch_size: 16
  progress: off
"""

CSV = "a,b\n1.5,0\n2.5,1\n"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


class Ctx:
    """Files for one case, all under pytest's tmp_path (nothing lands in the repo)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.base = self.write("base.yaml", BASE_YAML + f"output:\n  dir: {tmp / 'runs'}\n")

    def write(self, name: str, text: str) -> str:
        path = self.tmp / name
        path.write_text(text)
        return str(path)

    def npz(self, name: str, x, y) -> list[str]:
        """A .npz data file and the --set overrides that make the base config read it."""
        path = self.tmp / name
        np.savez(path, x=np.asarray(x), y=np.asarray(y))
        return ["--set", "data.name=npz", "--set", f"data.path={path}"]

    def unreadable(self, name: str, text: str) -> str:
        """A file this process cannot read: mode 000, or (root reads anything) a directory
        under that name, which no reader can open as a file either."""
        path = self.tmp / name
        if IS_ROOT:
            path.mkdir()
        else:
            path.write_text(text)
            path.chmod(0)
        return str(path)

    def not_writable_dir(self) -> str:
        # a path under a regular file cannot be created, even by root
        blocker = self.tmp / "a-file"
        blocker.write_text("")
        return str(blocker / "run")


# The case tables below are built at import time, where fixtures cannot reach: these inputs
# stay local (tiny_classification draws x the same way, but labels follow x there).
def _xy(n=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, generator=g), torch.arange(n) % 2


def _x_with(value):
    x, y = _xy()
    x[3, 1] = value
    return x, y


def _y_float_with_nan():
    x, _ = _xy()
    y = torch.randn(20, 1)
    y[5, 0] = float("nan")
    return x, y


# ---------------------------------------------------------------- CLI: argv builders + needles

x20 = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
y20 = np.arange(20) % 2


def _x20_with(value):
    x = x20.copy()
    x[3, 1] = value
    return x


CLI_CASES = [
    (
        "missing-config",
        lambda c: ["run", str(c.tmp / "nope.yaml")],
        ["nope.yaml", "does not exist"],
    ),
    (
        "unreadable-config",
        lambda c: ["run", c.unreadable("locked.yaml", BASE_YAML)],
        ["locked.yaml", "is a directory" if IS_ROOT else "cannot be read"],
    ),
    (
        "yaml-syntax-error",
        lambda c: ["run", c.write("bad.yaml", "optimizer:\n  lr: [0.1\n")],
        ["bad.yaml", "YAML syntax error at line", "expected ',' or ']'"],
    ),
    (
        "yaml-duplicate-key",
        lambda c: ["run", c.write("dup.yaml", "optimizer:\n  lr: 0.1\n  lr: 0.2\n")],
        ["dup.yaml", "duplicate key 'lr' at line 3", "first defined at line 2"],
    ),
    (
        "yaml-list-as-key",
        lambda c: ["run", c.write("key.yaml", "optimizer:\n  [lr]: 0.1\n")],
        ["key.yaml", "key ['lr'] at line 2 is a list", "allowed: plain keys"],
    ),
    (
        "yaml-top-level-not-a-mapping",
        lambda c: ["run", c.write("list.yaml", "- optimizer\n- model\n")],
        ["list.yaml", "top level must be a mapping", "got list"],
    ),
    (
        "unknown-key-closest",
        lambda c: ["run", c.write("typo.yaml", "optimizer:\n  lrr: 0.1\n")],
        ["optimizer.lrr: unknown key; did you mean 'optimizer.lr'?", "Valid keys here: amsgrad"],
    ),
    (
        "unknown-section",
        lambda c: ["run", c.base, "--set", "frobnicate.x=1"],
        ["frobnicate: unknown key.", "Valid keys here: callbacks, checkpoint, compare, data"],
    ),
    (
        "wrong-type",
        lambda c: ["run", c.base, "--set", "training.epochs=abc"],
        ["training.epochs: 'abc' is not allowed", "valid integer"],
    ),
    (
        "lr-negative",
        lambda c: ["run", c.base, "--set", "optimizer.lr=-0.1"],
        ["optimizer.lr: -0.1 is not allowed: must be > 0"],
    ),
    (
        "lr-zero",
        lambda c: ["run", c.base, "--set", "optimizer.lr=0"],
        ["optimizer.lr: 0 is not allowed: must be > 0"],
    ),
    (
        "batch-size-zero",
        lambda c: ["run", c.base, "--set", "training.batch_size=0"],
        ["training.batch_size: 0 is not allowed", "greater than or equal to 1"],
    ),
    *[
        (
            f"validation-split-{v}",
            lambda c, v=v: ["run", c.base, "--set", f"data.validation_split={v}"],
            [f"data.validation_split: {float(v)!r} is out of range", "allowed: (0, 1), or 0"],
        )
        for v in ("1", "1.5", "-0.1")
    ],
    (
        "unknown-optimizer",
        lambda c: ["run", c.base, "--set", "optimizer.name=adamm"],
        [
            "optimizer.name: 'adamm' is not a known optimizer; did you mean 'adam'?",
            "allowed: sgd, momentum",
        ],
    ),
    (
        "unknown-loss",
        lambda c: ["run", c.base, "--set", "loss.name=hinge"],
        ["loss.name: 'hinge' is not a known loss", "allowed: mse, mae, huber"],
    ),
    (
        "unknown-model",
        lambda c: ["run", c.base, "--set", "model.name=transformer"],
        ["model.name: 'transformer' is not a known model; allowed: mlp, cnn, resnet, inception"],
    ),
    (
        "unknown-activation",
        lambda c: ["run", c.base, "--set", "model.activation=relux"],
        [
            "model.activation: 'relux' is not a known activation; did you mean 'relu'?",
            "allowed: relu",
        ],
    ),
    (
        "unknown-device",
        lambda c: ["run", c.base, "--set", "training.device=tpu"],
        ["training.device: 'tpu' is not allowed", "cpu, cuda, cuda:N, mps or auto"],
    ),
    (
        "data-file-missing",
        lambda c: ["run", c.base, "--set", "data.name=csv", "--set", f"data.path={c.tmp}/no.csv"],
        ["data.path:", "no.csv' is not an existing file"],
    ),
    (
        "data-path-missing",
        lambda c: ["run", c.base, "--set", "data.name=csv"],
        ["data.path: None is missing", "required when data.name is 'csv'"],
    ),
    (
        "data-file-unreadable",
        lambda c: [
            "run",
            c.base,
            "--set",
            "data.name=csv",
            "--set",
            f"data.path={c.unreadable('locked.csv', CSV)}",
        ],
        ["data.path:", "locked.csv'", "is not an existing file" if IS_ROOT else "cannot be read"],
    ),
    (
        "empty-dataset",
        lambda c: ["run", c.base, *c.npz("e.npz", np.zeros((0, 2)), np.zeros(0, int))],
        ["data.name: 'npz' has 0 samples", "allowed: a dataset with at least 2 samples"],
    ),
    (
        "one-class",
        lambda c: ["run", c.base, *c.npz("one.npz", x20, np.zeros(20, int))],
        ["y: every label is '0', one class", "allowed: at least 2 classes"],
    ),
    (
        "nan-in-inputs",
        lambda c: ["run", c.base, *c.npz("nan.npz", _x20_with(np.nan), y20)],
        ["x: 1 NaN/Inf values (the first in sample 3)", "allowed: finite numbers only"],
    ),
    (
        "inf-in-inputs",
        lambda c: ["run", c.base, *c.npz("inf.npz", _x20_with(np.inf), y20)],
        ["x: 1 NaN/Inf values (the first in sample 3)", "allowed: finite numbers only"],
    ),
    (
        "nan-in-targets",
        lambda c: ["run", c.base, *c.npz("nany.npz", x20, np.where(y20 == 1, np.nan, 0.5))],
        ["y: 10 NaN/Inf values (the first in sample 1)", "allowed: finite numbers only"],
    ),
    (
        "label-out-of-range",
        lambda c: [
            "run",
            c.base,
            *c.npz("lab.npz", x20, np.arange(20) % 3),
            "--set",
            "data.n_classes=2",
        ],
        ["y: label 2 is outside 0..1 (data.n_classes=2)", "allowed: class indices 0..1"],
    ),
    (
        "label-negative",
        lambda c: ["run", c.base, *c.npz("neg.npz", x20, y20 - 1)],
        ["y: label -1 is outside", "labels must be >= 0"],
    ),
    (
        "xy-length-mismatch",
        lambda c: ["run", c.base, *c.npz("len.npz", x20, y20[:19])],
        ["y: 19 targets for 20 samples of x", "allowed: one per sample"],
    ),
    (
        "input-shape-vs-model",
        lambda c: ["run", c.base, "--set", "model.name=cnn"],
        ["model.name: 'cnn' needs inputs of shape (C, L)", "each sample has shape (2,)"],
    ),
    (
        "output-dir-not-writable",
        lambda c: ["run", c.base, "--out", c.not_writable_dir()],
        ["output directory", "a-file/run' is not writable", "choose another with --out"],
    ),
    (
        "set-without-equals",
        lambda c: ["run", c.base, "--set", "optimizer.lr"],
        ["--set 'optimizer.lr': expected KEY=VALUE"],
    ),
    (
        "set-empty-key-part",
        lambda c: ["run", c.base, "--set", "optimizer..lr=1"],
        ["--set 'optimizer..lr=1': expected KEY=VALUE with a dotted key"],
    ),
    (
        "set-unknown-field",
        lambda c: ["run", c.base, "--set", "optimizer.nme=sgd"],
        ["optimizer.nme: unknown key; did you mean 'optimizer.name'?"],
    ),
    (
        "set-into-a-value",
        lambda c: ["run", c.base, "--set", "optimizer.lr.x=1"],
        ["--set 'optimizer.lr.x=1': optimizer.lr is a value (0.01), not a section"],
    ),
    (
        "resume-without-checkpoints",
        lambda c: ["run", c.base, "--resume", "--out", str(c.tmp / "fresh")],
        ["--resume:", "fresh' has no checkpoints to resume from"],
    ),
    (
        "unknown-command",
        lambda c: ["frobnicate"],
        ["invalid choice: 'frobnicate'"],
    ),
]


def _run_cli(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits on its own errors
        code = exc.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("build,needles", [pytest.param(b, n, id=i) for i, b, n in CLI_CASES])
def test_cli_bad_input_exits_2_with_a_clear_message(build, needles, tmp_path, capsys):
    code, err = _run_cli(build(Ctx(tmp_path)), capsys)
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in:\n{err}"


# ------------------------------------------------------------------ checkpoints (CLI and fit)


@pytest.fixture(scope="module")
def finished_run(one_thread, tmp_path_factory):
    """A finished 2-epoch run with one checkpoint per epoch (shared, copied per test)."""
    tmp = tmp_path_factory.mktemp("run")
    ctx = Ctx(tmp)
    assert main(["run", ctx.base, "--out", str(tmp / "run")]) == 0
    ckpts = sorted((tmp / "run" / "checkpoints").glob("step-*"))
    assert len(ckpts) == 2
    return ctx.base, tmp / "run"


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # inside the tensor bytes: the header still parses, the hash does not
    path.write_bytes(bytes(data))


def test_cli_resume_with_every_checkpoint_corrupted_exits_2_naming_them(
    finished_run, tmp_path, capsys
):
    base, run = finished_run
    out = tmp_path / "run"
    shutil.copytree(run, out)
    names = [p.name for p in sorted((out / "checkpoints").glob("step-*"))]
    for name in names:
        _flip_last_byte(out / "checkpoints" / name / "model.safetensors")
    code, err = _run_cli(["run", base, "--resume", "--out", str(out)], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    assert "found no good checkpoint in" in err and ", ".join(names) in err
    assert "failed verification" in err and "delete that folder to start over" in err
    # nothing was lost: the bad checkpoints are left for the user to inspect
    assert sorted(p.name for p in (out / "checkpoints").glob("step-*")) == names


def test_cli_resume_skips_a_corrupted_newest_checkpoint_and_names_it(
    finished_run, tmp_path, capsys
):
    # Not an error: one good checkpoint is enough; the bad one is named on the way.
    base, run = finished_run
    out = tmp_path / "run"
    shutil.copytree(run, out)
    newest = sorted((out / "checkpoints").glob("step-*"))[-1]
    _flip_last_byte(newest / "model.safetensors")
    assert main(["run", base, "--resume", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"skipping checkpoint {newest.name}" in captured.out


# ------------------------------------------------------------------------- Python: tw.fit & co


def _fit(model=None, data=None, **kw):
    args = {"epochs": 1, "verbose": False, "batch_size": 8, **kw}
    return tw.fit(model if model is not None else torch.nn.Linear(3, 2), data or _xy(), **args)


def _corrupted_fit_resume(tmp: Path):
    out = tmp / "fit-run"
    _fit(out_dir=out)
    for ckpt in (out / "checkpoints").glob("step-*"):
        _flip_last_byte(ckpt / "model.safetensors")
    _fit(out_dir=out, resume=True, echo=lambda *_: None)


PY_CASES = [
    ("lr-negative", lambda t: _fit(lr=-0.1), ["optimizer.lr: -0.1 is not allowed: must be > 0"]),
    ("lr-zero", lambda t: _fit(lr=0), ["optimizer.lr: 0 is not allowed: must be > 0"]),
    ("lr-wrong-type", lambda t: _fit(lr="fast"), ["optimizer.lr: 'fast'", "valid number"]),
    # tw.fit's values are checked by the config's sections: the same words as in YAML
    (
        "batch-size-zero",
        lambda t: _fit(batch_size=0),
        ["training.batch_size: 0 is not allowed", "greater than or equal to 1"],
    ),
    ("epochs-wrong-type", lambda t: _fit(epochs="3x"), ["training.epochs: '3x'", "valid integer"]),
    *[
        (
            f"validation-split-{v}",
            lambda t, v=v: _fit(validation_split=v),
            [f"data.validation_split: {float(v)!r} is out of range", "allowed: (0, 1), or 0"],
        )
        for v in (1, 1.5, -0.1)
    ],
    (
        "validation-split-wrong-type",
        lambda t: _fit(validation_split="a fifth"),
        ["data.validation_split: 'a fifth' is not allowed", "valid number"],
    ),
    (
        "unknown-optimizer",
        lambda t: _fit(optimizer="adamm"),
        ["optimizer.name: 'adamm' is not a known optimizer; did you mean 'adam'?", "allowed: sgd"],
    ),
    (
        "unknown-loss",
        lambda t: _fit(loss="hinge"),
        ["loss.name: 'hinge'", "not a known loss", "allowed: mse"],
    ),
    (
        "unknown-schedule",
        lambda t: _fit(schedule="cosinus"),
        [
            "schedule.name: 'cosinus' is not a known schedule; did you mean 'cosine'?",
            "allowed: constant",
        ],
    ),
    (
        "unknown-model-name",
        lambda t: build_model({"name": "transformer"}, (3,), 2),
        ["model.name: 'transformer' is not a known model; allowed: mlp, cnn, resnet, inception"],
    ),
    (
        "unknown-activation",
        lambda t: build_model({"name": "mlp", "activation": "relux"}, (3,), 2),
        [
            "model.activation: 'relux' is not a known activation; did you mean 'relu'?",
            "allowed: relu",
        ],
    ),
    (
        "config-unknown-key",
        lambda t: load_config(base={"optimizer": {"lrr": 0.1}}),
        ["optimizer.lrr: unknown key; did you mean 'optimizer.lr'?"],
    ),
    (
        "config-missing-file",
        lambda t: load_config(t / "nope.yaml"),
        ["nope.yaml' does not exist"],
    ),
    (
        "empty-dataset",
        lambda t: _fit(data=(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))),
        ["train_data: the dataset is empty (0 samples)"],
    ),
    (
        "one-class",
        lambda t: _fit(data=(_xy()[0], torch.zeros(20, dtype=torch.long))),
        ["train_data targets (y): every label is 0, one class", "allowed: at least 2 classes"],
    ),
    (
        "nan-in-inputs",
        lambda t: _fit(data=_x_with(float("nan"))),
        ["train_data inputs (x): 1 of 60 values are NaN or Inf", "allowed: finite numbers only"],
    ),
    (
        "inf-in-inputs",
        lambda t: _fit(data=_x_with(float("inf"))),
        ["train_data inputs (x): 1 of 60 values are NaN or Inf", "allowed: finite numbers only"],
    ),
    (
        "nan-in-targets",
        lambda t: _fit(torch.nn.Linear(3, 1), _y_float_with_nan(), loss="mse"),
        ["train_data targets (y): 1 of 20 values are NaN or Inf", "allowed: finite numbers"],
    ),
    (
        "labels-above-range",
        lambda t: _fit(data=(_xy()[0], _xy()[1] + 1)),
        ["train_data targets: class labels must be in 0..1", "found labels from 1 to 2"],
    ),
    (
        "labels-negative",
        lambda t: _fit(data=(_xy()[0], _xy()[1] - 1)),
        ["class labels must be in 0..1 (the model has 2 outputs)", "from -1 to 0"],
    ),
    (
        "val-labels-out-of-range",
        lambda t: _fit(val_data=(_xy()[0], _xy()[1] * 5)),
        ["val_data targets: class labels must be in 0..1", "found labels from 0 to 5"],
    ),
    (
        "xy-length-mismatch",
        lambda t: _fit(data=(_xy()[0], _xy()[1][:19])),
        ["train_data: x has 20 samples but y has 19", "must have the same length"],
    ),
    (
        "input-shape-vs-model",
        lambda t: _fit(
            torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(5, 2))
        ),
        ["layer '2' (Linear)", "last axis has 5 features but got (2, 4)", "input shape (3,)"],
    ),
    (
        "input-width-vs-model",
        lambda t: _fit(data=(torch.randn(20, 5), _xy()[1])),
        ["input shape (5,) does not fit the model", "(Linear)", "(2x5 and 3x2)"],
    ),
    (
        "data-wrong-type",
        lambda t: _fit(data="train.csv"),
        ["train_data: expected an (x, y) pair", "got str"],
    ),
    ("model-wrong-type", lambda t: tw.fit("mlp", _xy()), ["model: expected a torch.nn.Module"]),
    (
        "device-unknown",
        lambda t: _fit(device="tpu"),
        ["training.device: 'tpu' is not allowed", "cpu, cuda, cuda:N, mps or auto"],
    ),
    ("seed-wrong-type", lambda t: _fit(seed="a"), ["seed: 'a' is not allowed", "valid integer"]),
    (
        "grad-clip-negative",
        lambda t: _fit(grad_clip_norm=-1.0),
        ["training.grad_clip_norm: -1.0 is not allowed", "greater than 0"],
    ),
    (
        "verbose-unknown",
        lambda t: _fit(verbose="loud"),
        ["training.progress: 'loud' is not allowed", "'auto', 'bar', 'lines' or 'off'"],
    ),
    (
        "class-weight-length",
        lambda t: _fit(class_weight=[1.0]),
        ["class_weight: 1 weight(s)", "model with 2 outputs", "exactly 2 weights"],
    ),
    (
        "class-weight-negative",
        lambda t: _fit(class_weight=[1.0, -2.0]),
        ["class_weight: [1.0, -2.0] is not allowed", "finite weights >= 0"],
    ),
    (
        "checkpoint-every-zero",
        lambda t: _fit(out_dir=t / "o", checkpoint_every_epochs=0),
        ["checkpoint.every_epochs: 0 is not allowed", "greater than or equal to 1"],
    ),
    (
        "out-dir-not-writable",
        lambda t: _fit(out_dir=Ctx(t).not_writable_dir()),
        ["output directory", "a-file/run' is not writable"],
    ),
    (
        "resume-without-out-dir",
        lambda t: _fit(resume=True),
        ["resume=True needs out_dir="],
    ),
    (
        "resume-all-checkpoints-corrupted",
        _corrupted_fit_resume,
        ["resume: found no good checkpoint", "step-000000003 failed verification"],
    ),
]


@pytest.mark.parametrize("call,needles", [pytest.param(c, n, id=i) for i, c, n in PY_CASES])
def test_python_bad_input_raises_the_package_error(call, needles, tmp_path):
    with pytest.raises(tw.TrainwiseError) as info:
        call(tmp_path)
    assert isinstance(info.value, (ValueError, TypeError))
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} not in:\n{message}"


def test_wrong_types_are_type_errors_and_bad_values_value_errors():
    # The builtin half of the error type follows Python's convention, so `except TypeError`
    # catches a string passed where a number belongs, and `except ValueError` a bad number.
    with pytest.raises(TypeError):
        _fit(validation_split="a fifth")
    with pytest.raises(TypeError):
        _fit(seed=1.5)
    with pytest.raises(ValueError):
        _fit(validation_split=1.5)


def test_keras_verbose_integers_are_accepted(capsys):
    _fit(verbose=0)
    assert capsys.readouterr().out == ""
    _fit(verbose=2)  # one line per epoch, as in Keras
    assert "loss" in capsys.readouterr().out


def test_the_tables_are_big_enough():
    assert len(CLI_CASES) + len(PY_CASES) >= 30
    assert len({i for i, *_ in CLI_CASES}) == len(CLI_CASES)
    assert len({i for i, *_ in PY_CASES}) == len(PY_CASES)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_device_this_machine_lacks_is_refused_before_training(tmp_path, capsys):
    with pytest.raises(tw.ConfigError, match=r"device: 'cuda' is not available on this machine"):
        _fit(device="cuda")
    code, err = _run_cli(["run", Ctx(tmp_path).base, "--set", "training.device=cuda"], capsys)
    assert code == 2 and "allowed here: cpu or auto" in err and "Traceback" not in err
