"""``tw.fit`` and a YAML config check a value with the same section, so the same bad value gets
the same sentences and the same error type either way. One test per section: each feeds a
few bad values through ``tw.fit`` and through a config file and compares the problems."""

import pytest
import torch
import yaml

import trainwise as tw
from trainwise.errors import ConfigError, ConfigTypeError


def _fit_errors(**kwargs) -> tuple[type, list[str]]:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    data = (torch.randn(16, 3), torch.arange(16) % 2)
    with pytest.raises(ConfigError) as info:
        tw.fit(model, data, **{"epochs": 1, "verbose": False, "doctor": False, **kwargs})
    return type(info.value), info.value.errors


def _yaml_errors(tmp_path, config: dict) -> tuple[type, list[str]]:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as info:
        tw.load_config(path)
    return type(info.value), info.value.errors


def _same(tmp_path, fit_kwargs: dict, config: dict) -> list[str]:
    by_api, by_yaml = _fit_errors(**fit_kwargs), _yaml_errors(tmp_path, config)
    assert by_api == by_yaml
    return by_api[1]


@pytest.mark.parametrize(
    "fit_kwargs,section,needle",
    [
        ({"epochs": 0}, {"epochs": 0}, "training.epochs: 0 is not allowed"),
        ({"batch_size": 0}, {"batch_size": 0}, "training.batch_size: 0 is not allowed"),
        ({"batch_size": "big"}, {"batch_size": "big"}, "training.batch_size: 'big'"),
        ({"grad_clip_norm": -1.0}, {"grad_clip_norm": -1.0}, "training.grad_clip_norm: -1.0"),
        ({"grad_clip_value": float("inf")}, {"grad_clip_value": float("inf")}, "finite"),
        ({"precision": "fp8"}, {"precision": "fp8"}, "training.precision: 'fp8'"),
        ({"accumulate_steps": 1.5}, {"accumulate_steps": 1.5}, "training.accumulate_steps"),
        ({"device": "tpu"}, {"device": "tpu"}, "cpu, cuda, cuda:N, mps or auto"),
        ({"verbose": "loud"}, {"progress": "loud"}, "training.progress: 'loud'"),
    ],
)
def test_training_section(tmp_path, fit_kwargs, section, needle):
    errors = _same(tmp_path, fit_kwargs, {"training": section})
    assert len(errors) == 1 and needle in errors[0]


def test_all_problems_are_reported_together_in_the_configs_order(tmp_path):
    errors = _same(
        tmp_path,
        {"epochs": 0, "lr": -1.0, "seed": -1, "keep_checkpoints": 0},
        {
            "training": {"epochs": 0},
            "optimizer": {"lr": -1.0},
            "seed": -1,
            "checkpoint": {"keep": 0},
        },
    )
    assert [e.split(":")[0] for e in errors] == [
        "seed",
        "optimizer.lr",
        "training.epochs",
        "checkpoint.keep",
    ]


@pytest.mark.parametrize(
    "fit_kwargs,section",
    [
        ({"checkpoint_every_epochs": 0}, {"every_epochs": 0}),
        ({"checkpoint_every_steps": -5}, {"every_steps": -5}),
        ({"keep_checkpoints": 0}, {"keep": 0}),
    ],
)
def test_checkpoint_section(tmp_path, fit_kwargs, section):
    errors = _same(tmp_path, fit_kwargs, {"checkpoint": section})
    assert errors[0].startswith(f"checkpoint.{next(iter(section))}: ")


@pytest.mark.parametrize(
    "fit_kwargs,config",
    [
        ({"validation_split": 1.5}, {"data": {"validation_split": 1.5}}),
        ({"validation_split": -0.1}, {"data": {"validation_split": -0.1}}),
        ({"shuffle": "sometimes"}, {"data": {"shuffle": "sometimes"}}),
        ({"seed": -1}, {"seed": -1}),
        ({"seed": 1.5}, {"seed": 1.5}),
    ],
)
def test_data_section_and_seed(tmp_path, fit_kwargs, config):
    _same(tmp_path, fit_kwargs, config)


@pytest.mark.parametrize(
    "loss",
    [
        {"name": "crossentropyy"},
        {"name": "cross_entropy", "label_smoothing": 1.5},
        {"name": "huber", "delta": -1.0},
        {"name": "mse", "lable_smoothing": 0.1},
    ],
)
def test_loss_section(tmp_path, loss):
    _same(tmp_path, {"loss": loss}, {"loss": loss})


@pytest.mark.parametrize(
    "fit_kwargs,optimizer",
    [
        ({"lr": -0.1}, {"lr": -0.1}),
        ({"lr": "fast"}, {"lr": "fast"}),
        ({"optimizer": "adamm"}, {"name": "adamm"}),
        ({"optimizer": {"name": "sgd", "momentum": 1.5}}, {"name": "sgd", "momentum": 1.5}),
        ({"optimizer": {"name": "adam", "lrr": 0.1}}, {"name": "adam", "lrr": 0.1}),
    ],
)
def test_optimizer_section(tmp_path, fit_kwargs, optimizer):
    _same(tmp_path, fit_kwargs, {"optimizer": optimizer})


@pytest.mark.parametrize(
    "schedule", [{"name": "cosinee"}, {"name": "step", "gamma": "half"}, {"unit": "week"}]
)
def test_schedule_section(tmp_path, schedule):
    _same(tmp_path, {"schedule": schedule}, {"schedule": schedule})


@pytest.mark.parametrize("regularization", [{"l2": -1e-4}, {"l1": "some"}, {"l3": 0.1}])
def test_regularization_section(tmp_path, regularization):
    _same(tmp_path, {"regularization": regularization}, {"regularization": regularization})


def test_wrong_types_are_type_errors_both_ways(tmp_path):
    # `except TypeError` catches a string where a number belongs, from the API and from YAML
    _same(tmp_path, {"epochs": "three"}, {"training": {"epochs": "three"}})
    assert _fit_errors(epochs="three")[0] is ConfigTypeError
    assert _yaml_errors(tmp_path, {"training": {"epochs": 0}})[0] is ConfigError
    assert issubclass(ConfigTypeError, TypeError) and not issubclass(ConfigError, TypeError)


def test_a_section_object_is_taken_as_it_is():
    # trainwise run passes validated sections; they are not checked again
    from trainwise.optim.config import OptimizerConfig

    model = torch.nn.Linear(3, 2)
    data = (torch.randn(16, 3), torch.arange(16) % 2)
    result = tw.fit(
        model, data, optimizer=OptimizerConfig(name="sgd", lr=0.05), epochs=1, verbose=False
    )
    assert result.lr_steps[0] == 0.05
