"""tw.fit's values -> sections (the messages themselves: fit_validation_test.py)."""

import pytest
import torch

from trainwise.errors import ArgumentTypeError, ConfigError
from trainwise.optim.config import OptimizerConfig
from trainwise.training.fit_options import as_section, check_fit_options

DEFAULTS = dict(
    seed=0,
    shuffle=True,
    validation_split=None,
    loss="cross_entropy",
    optimizer="adam",
    lr=None,
    regularization=None,
    schedule=None,
    epochs=3,
    batch_size=8,
    grad_clip_norm=None,
    grad_clip_value=None,
    precision="fp32",
    accumulate_steps=1,
    device="cpu",
    verbose=False,
    checkpoint_every_epochs=1,
    checkpoint_every_steps=None,
    keep_checkpoints=3,
)


def _check(model=None, val_data=None, out_dir=None, resume=False, **kw):
    model = model if model is not None else torch.nn.Linear(2, 2)
    values = {**DEFAULTS, **kw}
    return check_fit_options(model, val_data=val_data, out_dir=out_dir, resume=resume, **values)


def test_as_section_takes_names_dicts_sections_and_none():
    assert as_section("sgd", OptimizerConfig, "optimizer", lr=0.1).lr == 0.1
    assert as_section({"name": "sgd"}, OptimizerConfig, "optimizer").name == "sgd"
    given = OptimizerConfig(name="adamw")
    assert as_section(given, OptimizerConfig, "optimizer") is given
    assert as_section(None, OptimizerConfig, "optimizer") == OptimizerConfig()
    with pytest.raises(ArgumentTypeError, match="optimizer: expected a name, a dict"):
        as_section(3, OptimizerConfig, "optimizer")


def test_options_come_back_as_the_sections_values():
    opts = _check(verbose=2, validation_split=0.25, checkpoint_every_steps=10)
    assert opts.verbose == "lines" and opts.validation_split == 0.25
    assert opts.checkpoint.every_steps == 10 and opts.training.epochs == 3
    assert _check(verbose=0).verbose is False and _check(device="auto").device in ("cpu", "cuda")
    assert _check(validation_split=0).validation_split == 0  # as in YAML: no split


def test_a_loss_module_and_a_built_optimizer_have_no_section():
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opts = _check(model, loss=torch.nn.MSELoss(), optimizer=opt, lr=0.01)
    assert opts.loss is None and opts.optimizer is None and opts.lr == 0.01
    with pytest.raises(ConfigError, match="optimizer.lr: -1.0 is not allowed"):
        _check(model, optimizer=opt, lr=-1.0)


def test_conflicts_and_the_model_type():
    with pytest.raises(ConfigError, match="either val_data or validation_split"):
        _check(val_data=(torch.zeros(2, 2), torch.zeros(2)), validation_split=0.2)
    with pytest.raises(ConfigError, match="resume=True needs out_dir="):
        _check(resume=True)
    with pytest.raises(ArgumentTypeError, match="model: expected a torch.nn.Module"):
        _check(model="mlp")
