"""The documented plain-loop examples of ``tw.Doctor`` run as written: the SPEC's and the one
at the top of docs/doctor.md (read from the file, so an edit there is tested too)."""

import re
import textwrap
from pathlib import Path

import torch
from torch import nn

import trainwise as tw
from trainwise.doctor import Finding

DOCS = Path(__file__).resolve().parents[2] / "docs" / "doctor.md"

# SPEC "Python" section, "The doctor in your own loop", verbatim, to its last line: the CI
# gate ``doctor.passed(fail_on="warning")`` (issue 12).
SPEC_EXAMPLE = """
doctor = tw.Doctor(model, optimizer)
doctor.check_data(x_train, y_train, x_val=x_val, y_val=y_val, task="classification")
for epoch in range(epochs):
    for xb, yb in loader:
        optimizer.zero_grad(); loss = loss_fn(model(xb), yb); loss.backward(); optimizer.step()
        doctor.step(loss, inputs=xb, targets=yb)         # once per optimizer step; inputs/targets optional
    doctor.epoch_end({"loss": train_loss, "val_loss": val_loss, "val_accuracy": val_acc})
doctor.findings     # list of Finding
doctor.passed(fail_on="warning")  # False when a finding at or above that severity exists
"""


def _user_namespace() -> dict:
    """What the examples assume the user has: a model, its optimizer and loss, the data and a
    loader over it, and the metrics their loop computed."""
    torch.manual_seed(0)
    x = torch.randn(320, 6)
    y = (x[:, 0] + x[:, 1] > 0).long()
    x_train, y_train, x_val, y_val = x[:256], y[:256], x[256:], y[256:]
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_train, y_train), batch_size=32, shuffle=True
    )
    return {
        "tw": tw,
        "model": model,
        "optimizer": torch.optim.Adam(model.parameters(), lr=1e-2),
        "loss_fn": nn.CrossEntropyLoss(),
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "loader": loader,
        "epochs": 2,
        "train_loss": 0.4,
        "val_loss": 0.45,
        "val_acc": 0.85,
        "test_loss": 0.46,
        "test_acc": 0.84,
    }


def _run(code: str) -> dict:
    ns = _user_namespace()
    exec(compile(textwrap.dedent(code), "<example>", "exec"), ns)
    ns["doctor"].close()
    return ns


def test_the_spec_example_runs_as_written():
    ns = _run(SPEC_EXAMPLE)
    doctor = ns["doctor"]
    assert isinstance(doctor, tw.Doctor) and doctor.step_count == 2 * len(ns["loader"])
    assert doctor.epoch == 2 and all(isinstance(f, Finding) for f in doctor.findings)
    assert "doctor.passed(fail_on=" in SPEC_EXAMPLE.strip().splitlines()[-1]
    warned = any(f.severity in ("warning", "error") for f in doctor.findings)
    assert doctor.passed(fail_on="warning") is not warned


def test_the_docs_example_runs_as_written(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    code = next(b for b in blocks if "tw.Doctor(" in b)
    ns = _run(code)
    doctor = ns["doctor"]
    assert doctor.step_count == 2 * len(ns["loader"]) and doctor.epoch == 2
    assert capsys.readouterr().out.count("\n") == len(doctor.findings)  # one line each


def test_tw_doctor_is_the_doctor_class():
    from trainwise.doctor import Doctor

    assert tw.Doctor is Doctor and "Doctor" in tw.__all__
