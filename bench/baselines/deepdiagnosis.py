"""DeepDiagnosis (Wardat et al., ICSE 2022) re-implemented from the rules described in
shared/research/diagnosis.md section 2 (not from its code).

Checks run at the end of every epoch on the first batch of training data; the first symptom
found is reported and the tool stops looking (the original stops training):

1. numerical error: NaN, Inf or exactly 0 in the mean of a layer's output, its weights or its
   mean weight gradient
2. unchanged: a layer's mean output, mean gradient or weights identical over the last 5 checks
3. saturated: a sigmoid/tanh with > 50% of pre-activations <= -5 or >= 5 (every 5 epochs)
4. dead node: a ReLU with >= 70% of outputs <= 0 (at the last epoch)
5. out of range: labels outside the output activation's range (sigmoid/softmax: [0, 1]);
   for a linear output, an output range > 10x the label range
6. loss not decreasing: the loss identical over a window of 5 epochs; NaN/Inf loss is invalid
7. accuracy not increasing: identical over 20 epochs; NaN, Inf or 0 accuracy is invalid
8. vanishing gradient: mean |dW| < 1e-7 in a layer
"""

from __future__ import annotations

import math

import torch

from baselines.probe_batch import probe

MAPS_TO = {
    "numerical_error": {"nan_loss", "exploding_gradients"},
    "unchanged": {"params_not_updating"},
    "saturated": {"saturated_activations"},
    "dead_node": {"dead_relu"},
    "out_of_range": {"label_out_of_range", "loss_output_mismatch"},
    "invalid_loss": {"nan_loss"},
    "loss_not_decreasing": {"loss_not_decreasing", "lr_too_low"},
    "accuracy_not_increasing": {"loss_not_decreasing", "lr_too_low"},
    "vanishing": {"vanishing_gradients"},
}


class DeepDiagnosis:
    def __init__(self, total_epochs: int, window: int = 5):
        self.total_epochs = total_epochs
        self.window = window
        self.history: dict[str, list[float]] = {}
        self.losses: list[float] = []
        self.accs: list[float] = []
        self.detections: dict[str, int] = {}

    def _report(self, problem: str, epoch: int) -> bool:
        if not self.detections:  # the original stops at the first symptom
            self.detections[problem] = epoch
        return True

    def epoch_end(self, epoch: int, logs: dict, model, loss_fn, xb, yb) -> None:
        if self.detections:
            return
        loss = float(logs.get("loss", float("nan")))
        if not math.isfinite(loss):
            self._report("invalid_loss", epoch)
            return
        self.losses.append(loss)
        if "accuracy" in logs:
            acc = float(logs["accuracy"])
            if not math.isfinite(acc) or acc == 0:
                self._report("accuracy_not_increasing", epoch)
                return
            self.accs.append(acc)
        p = probe(model, loss_fn, xb, yb)
        for name in p.layers:
            out, w, g = p.outputs.get(name), p.weights[name], p.grads[name]
            means = [float(w.mean()), float(g.mean())] + (
                [float(out.mean())] if out is not None else []
            )
            if any((not math.isfinite(m)) or m == 0.0 for m in means):
                self._report("numerical_error", epoch)
                return
            for key, val in (
                ("w", float(w.sum())),
                ("g", float(g.abs().mean())),
                ("o", float(out.mean()) if out is not None else 0.0),
            ):
                seq = self.history.setdefault(f"{name}.{key}", [])
                seq.append(val)
                last = seq[-self.window :]
                if len(last) == self.window and max(last) == sum(last) / len(last):
                    self._report("unchanged", epoch)
                    return
            if float(g.abs().mean()) < 1e-7:
                self._report("vanishing", epoch)
                return
        if (epoch + 1) % 5 == 0:
            for kind, pre in p.act_inputs.values():
                if kind in ("sigmoid", "tanh") and float((pre.abs() >= 5).float().mean()) > 0.5:
                    self._report("saturated", epoch)
                    return
        if epoch + 1 == self.total_epochs:
            for name, (kind, _pre) in p.act_inputs.items():
                out = p.outputs.get(name)
                if kind == "relu" and out is not None and float((out <= 0).float().mean()) >= 0.7:
                    self._report("dead_node", epoch)
                    return
        if self._out_of_range(p.final_output, yb):
            self._report("out_of_range", epoch)
            return
        last = self.losses[-self.window :]
        if len(last) == self.window and max(last) == sum(last) / len(last):
            self._report("loss_not_decreasing", epoch)
            return
        last = self.accs[-20:]
        if len(last) == 20 and max(last) == sum(last) / len(last):
            self._report("accuracy_not_increasing", epoch)

    @staticmethod
    def _out_of_range(out: torch.Tensor | None, y: torch.Tensor) -> bool:
        if out is None:
            return False
        if y.is_floating_point():  # regression or binary targets against a linear output
            y_range = float(y.max() - y.min()) or 1.0
            return float(out.max() - out.min()) > 10 * y_range
        # class indices: the output must have a column for each label
        return out.dim() == 2 and int(y.max()) >= out.shape[1]
