import json
import os
import subprocess
import sys

import pytest

from trainwise.cli import commands
from trainwise.cli.main import main


def run(args, tmp_path=None):
    env = {**os.environ, "TRAINWISE_CACHE": os.environ.get("TRAINWISE_CACHE", "")}
    env.pop("TRAINWISE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "trainwise.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={k: v for k, v in env.items() if v},
    )


def test_run_circles_writes_the_run_directory(tmp_path):
    out = tmp_path / "run"
    code = main(
        [
            "run",
            "examples/circles.yaml",
            "--out",
            str(out),
            "--set",
            "training.epochs=3",
            "--set",
            "training.progress=lines",
        ]
    )
    assert code == 0
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines] == [1, 2, 3]
    assert {"loss", "val_loss", "accuracy", "val_accuracy", "lr", "time"} <= set(lines[0])
    assert (out / "model.safetensors").exists() and (out / "config.yaml").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert "test_accuracy" in summary["test"] and summary["epochs_run"] == 3


@pytest.mark.parametrize(
    "args,needle",
    [
        (["run", "missing.yaml"], "config file 'missing.yaml' does not exist"),
        (["run", "examples/circles.yaml", "--set", "optimizer.lr=-1"], "optimizer.lr: -1"),
        (
            ["run", "examples/circles.yaml", "--set", "optimizer.nme=sgd"],
            "did you mean 'optimizer.name'",
        ),
        (["run", "examples/circles.yaml", "--set", "model.name=transformer"], "model.name"),
        (["run"], "the following arguments are required: config"),
        (["frobnicate"], "invalid choice"),
        (
            ["compare", "examples/circles.yaml", "--vary", "model.nrom=batch"],
            "did you mean 'model.norm'",
        ),
        (["doctor", "examples/circles.yaml", "--set", "doctor.x=1"], "doctor"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(args, needle, capsys):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(args))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_console_entry_point_and_version():
    res = run(["--version"])
    assert res.returncode == 0 and res.stdout.startswith("trainwise ")
    res = run(["run", "nope.yaml"])
    assert res.returncode == 2 and "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_models_command_shows_parameter_counts(capsys):
    assert main(["models", "examples/digits.yaml"]) == 0
    out = capsys.readouterr().out
    assert "Total params" in out and "Conv2d" in out


def test_run_parses_the_data_parallel_flags():
    from trainwise.cli.main import build_parser

    args = build_parser().parse_args(
        ["run", "c.yaml", "--resume", "auto", "--nproc", "2", "--max-restarts", "1"]
    )
    assert (args.resume, args.nproc, args.max_restarts) == ("auto", 2, 1)
    plain = build_parser().parse_args(["run", "c.yaml", "--resume", "--out", "d"])
    assert plain.resume is True and plain.out == "d" and plain.nproc is None


def test_bad_data_parallel_flags_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "c.yaml", "--resume", "always"])
    assert info.value.code == 2 and "invalid choice: 'always'" in capsys.readouterr().err
    assert main(["run", "examples/circles.yaml", "--nproc", "0"]) == 2
    assert "--nproc: 0 is not allowed" in capsys.readouterr().err


def test_a_dead_peer_is_said_as_such_on_a_surviving_rank(monkeypatch, capsys):
    def collective_fails(args):
        raise RuntimeError("[gloo/transport/tcp/pair.cc:534] Connection closed by peer")

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(commands, "cmd_models", collective_fails)
    assert main(["models"]) == 1
    err = capsys.readouterr().err
    assert "rank 1 of 2: a peer process of this data-parallel run stopped" in err
    assert "internal error" not in err
    monkeypatch.setenv("WORLD_SIZE", "1")  # one process: the same error is unexpected
    assert main(["models"]) == 1
    assert "internal error" in capsys.readouterr().err
