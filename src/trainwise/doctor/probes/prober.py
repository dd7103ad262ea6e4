"""Arms a probe before a step's forward pass and reads it after the optimizer step."""

from __future__ import annotations

from typing import Any

from torch import nn

from trainwise.doctor.probes.activations import ActivationProbe, leaf_modules
from trainwise.doctor.probes.gradients import grad_stats
from trainwise.doctor.probes.layout import ModelLayout
from trainwise.doctor.probes.reading import ProbeReading, input_rms, output_spread
from trainwise.doctor.probes.updates import WeightSnapshot


class Prober:
    """``arm(step)`` before the forward of a probed step (snapshot of the weights + forward
    hooks), ``collect(step, ...)`` after its ``optimizer.step()`` (gradients, update ratios,
    activation statistics; the hooks come off). ``last_snapshot`` keeps the most recent
    weights copy, which the NaN replay uses as "weights known to be finite".

    Example::

        prober = Prober(model, ModelLayout(model, opt))
        prober.arm(0); ...forward, backward, opt.step()...; reading = prober.collect(0, 0)
    """

    def __init__(self, model: nn.Module, layout: ModelLayout):
        self.model = model
        self.layout = layout
        self.armed_step: int | None = None
        self.snapshot: WeightSnapshot | None = None
        self.last_snapshot: WeightSnapshot | None = None
        self._acts: ActivationProbe | None = None
        self._order_known = False
        # the model's leaf modules, walked at the first arm: a probe of a small net costs
        # about as much again when each one walks the module tree (modules added to the
        # model after that first probe are not hooked)
        self._leaves: list | None = None

    def arm(self, step: int) -> None:
        """Prepare to probe ``step`` (idempotent for the same step)."""
        if self.armed_step == step:
            return
        self.disarm()
        self.snapshot = WeightSnapshot(self.layout.params)
        self.last_snapshot = self.snapshot
        known = self.layout.module_order if self._order_known else None
        if self._leaves is None:
            self._leaves = leaf_modules(self.model)
        self._acts = ActivationProbe(self.model, known, self._leaves).attach()
        self.armed_step = step

    def disarm(self) -> None:
        if self._acts is not None:
            self._acts.detach()
        self._acts = None
        self.armed_step = None

    def collect(
        self, step: int, epoch: int, inputs: Any = None, outputs: Any = None
    ) -> ProbeReading | None:
        """The reading of ``step`` if it was armed, else None (also disarms)."""
        if self.armed_step != step:
            self.disarm()
            return None
        acts = self._acts
        self.disarm()
        reading = ProbeReading(step=step, epoch=epoch)
        reading.grads = grad_stats(self.layout.params)
        if self.snapshot is not None:
            reading.updates = self.snapshot.ratios(self.layout.params)
        if acts is not None:
            if acts.order and not self._order_known:
                self.layout.set_forward_order(acts.order)
                self._order_known = True
            reading.activations = acts.stats()
            reading.alive = dict(acts.alive)
        reading.input_rms = input_rms(inputs)
        reading.output_spread = output_spread(outputs)
        return reading
