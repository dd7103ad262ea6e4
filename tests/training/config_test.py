"""The training:, checkpoint: and seed sections that tw.fit and YAML share."""

import pytest
import torch
from pydantic import ValidationError

from trainwise.errors import ConfigError
from trainwise.training.config import CheckpointConfig, SeedConfig, TrainingConfig, resolve_device


@pytest.mark.parametrize(
    "given,mode",
    [(False, "off"), (0, "off"), (None, "off"), (True, "auto"), (1, "auto"), (2, "lines")],
)
def test_progress_takes_yaml_bools_and_keras_verbose_integers(given, mode):
    assert TrainingConfig(progress=given).progress == mode


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1", "mps", "auto"])
def test_device_spellings_are_checked_not_the_machine(device):
    # a config written for a GPU box still loads here; resolve_device asks the machine
    assert TrainingConfig(device=device).device == device


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "gpu"])
def test_unknown_devices_are_refused_with_the_list(device):
    with pytest.raises(ValidationError, match="cpu, cuda, cuda:N, mps or auto"):
        TrainingConfig(device=device)


@pytest.mark.parametrize("field", ["grad_clip_norm", "grad_clip_value"])
@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan")])
def test_clip_bounds_are_finite_and_positive(field, bad):
    with pytest.raises(ValidationError):
        TrainingConfig(**{field: bad})


def test_checkpoint_and_seed_ranges():
    assert CheckpointConfig(every_epochs=None, every_steps=5).every_steps == 5
    for bad in ({"every_epochs": 0}, {"every_steps": 0}, {"keep": 0}):
        with pytest.raises(ValidationError):
            CheckpointConfig(**bad)
    with pytest.raises(ValidationError):
        SeedConfig(seed=-1)


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="training.device: 'cuda:1' is not available"):
            resolve_device("cuda:1")


def test_resolve_device_auto_picks_cuda_when_torch_sees_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"


def test_tf32_and_compile_defaults_and_checks():
    cfg = TrainingConfig()
    assert (cfg.tf32, cfg.compile) == (None, False)  # None: torch's own TF32 setting stands
    assert TrainingConfig(tf32=True, compile=True).model_dump()["tf32"] is True
    for field in ("tf32", "compile"):
        with pytest.raises(ValidationError, match=field):
            TrainingConfig(**{field: "fast"})


def test_tf32_and_compile_reach_the_trainer_through_fit(monkeypatch):
    import trainwise as tw
    from trainwise.training import trainer as trainer_module

    seen = {}
    real_init = trainer_module.Trainer.__init__

    def spy(self, *args, **kwargs):
        seen.update(tf32=kwargs["tf32"], compile=kwargs["compile"])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(trainer_module.Trainer, "__init__", spy)
    x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
    tw.fit(torch.nn.Linear(3, 2), (x, y), epochs=1, tf32=False, doctor=False, verbose=False)
    assert seen == {"tf32": False, "compile": False}
