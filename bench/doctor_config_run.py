"""Run a config scenario of the seeded-fault suite the way ``trainwise doctor`` does: the
config's data and model, ``tw.fit`` with the doctor on, and the re-implemented baselines
watching the same run through a callback."""

from __future__ import annotations

import math

from baselines.autotrainer import AutoTrainer
from baselines.deepdiagnosis import DeepDiagnosis
from doctor_loops import LoopRun
from trainwise.callbacks.callback import Callback
from trainwise.data.load import load_data
from trainwise.models.build import build_model
from trainwise.run.diagnose import preflight_only
from trainwise.run.schema import Config
from trainwise.run.session import fit_kwargs
from trainwise.training.fit import fit
from trainwise.training.inputs import first_batch
from trainwise.training.seeding import seed_everything


class Baselines(Callback):
    """Feeds each epoch's logs and the first training batch to AutoTrainer and DeepDiagnosis."""

    def __init__(self, epochs: int):
        self.tools = {"autotrainer": AutoTrainer(epochs), "deepdiagnosis": DeepDiagnosis(epochs)}

    def on_epoch_end(self, trainer, epoch, logs):
        xb, yb = first_batch(trainer.train_batches)
        for tool in self.tools.values():
            tool.epoch_end(epoch, logs, trainer.model, trainer.loss_fn, xb, yb)


def run_config_scenario(config: dict, seed: int) -> LoopRun:
    cfg = Config.model_validate({**config, "seed": seed, "doctor": True})
    seed_everything(cfg.seed)
    bundle = load_data(cfg.data, seed=cfg.seed)
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    kwargs = fit_kwargs(cfg, bundle)
    steps_per_epoch = math.ceil(len(bundle.x_train) / cfg.training.batch_size)
    total = steps_per_epoch * cfg.training.epochs
    stop = preflight_only(model, bundle)  # data errors end the run before training
    if stop is not None:
        return LoopRun(stop, {f.key: 0 for f in stop}, total, {}, steps_per_epoch)
    baselines = Baselines(cfg.training.epochs)
    kwargs["callbacks"] = [*kwargs["callbacks"], baselines]
    result = fit(model, **kwargs)
    detections = {k: v.detections for k, v in baselines.tools.items()}
    val_loss = [h["val_loss"] for h in result.history if "val_loss" in h]
    return LoopRun(
        result.findings,
        dict(result.doctor.detected_at),
        total,
        detections,
        steps_per_epoch,
        val_loss,
    )
