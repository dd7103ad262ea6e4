"""AutoTrainer (Zhang et al., ICSE 2021) re-implemented from the paper's formulas and the
defaults described in shared/research/diagnosis.md section 1 (not from its code).

Checks run every ``check_every`` epochs (3, the code's ``epoch_3``) on one training batch:

- vanishing (VG): ||G_first|| / ||G_last|| <= 1e-3 and ||G_first|| <= 1e-4, and max(acc) <= 0.6
- exploding (EG): ||G_first|| / ||G_last|| >= 70 or a NaN gradient, and max(acc) <= 0.6
- dying ReLU (DR): share of kernel-gradient entries exactly 0 >= 0.7, and max(acc) <= 0.6
- oscillating loss (OL): local max/min pairs of the accuracy curve differing by >= 0.03 number
  at least 0.2 * epochs so far; judged from 30% of the run on
- slow convergence (SC): no epoch-to-epoch accuracy change above 0.01; from 30% of the run on
- NaN/huge loss (journal version): loss NaN or >= 1e3

Norms are over kernels only (weights with >= 2 dims), as in the code. Accuracy is the
training accuracy of each epoch. Regression runs have no accuracy: the accuracy gate and the
accuracy-curve rules are then not evaluated (reported as n/a by the suite).
"""

from __future__ import annotations

import math

from baselines.probe_batch import probe

#: Which trainwise codes each AutoTrainer problem corresponds to (for scoring).
MAPS_TO = {
    "VG": {"vanishing_gradients"},
    "EG": {"exploding_gradients", "nan_loss"},
    "DR": {"dead_relu"},
    "OL": {"lr_too_high"},
    "SC": {"lr_too_low", "loss_not_decreasing", "underfitting"},
    "NaN": {"nan_loss"},
}


class AutoTrainer:
    def __init__(self, total_epochs: int, check_every: int = 3, theta: float = 0.6):
        self.total_epochs = total_epochs
        self.check_every = check_every
        self.theta = theta
        self.acc: list[float] = []
        self.detections: dict[str, int] = {}  # problem -> epoch first reported

    def _report(self, problem: str, epoch: int) -> None:
        self.detections.setdefault(problem, epoch)

    def epoch_end(self, epoch: int, logs: dict, model, loss_fn, xb, yb) -> None:
        loss = logs.get("loss", float("nan"))
        if not math.isfinite(loss) or loss >= 1e3:
            self._report("NaN", epoch)
        if "accuracy" in logs:
            self.acc.append(float(logs["accuracy"]))
        has_acc = bool(self.acc)
        if (epoch + 1) % self.check_every:
            return
        not_converged = has_acc and max(self.acc) <= self.theta
        judge_curve = has_acc and (epoch + 1) >= 0.3 * self.total_epochs - self.check_every
        sc = (
            judge_curve
            and len(self.acc) > 1
            and all(abs(a - b) <= 0.01 for a, b in zip(self.acc[1:], self.acc[:-1]))
        )
        if sc:
            self._report("SC", epoch)
        if judge_curve and self._oscillating():
            self._report("OL", epoch)
        if not (not_converged or sc):
            return
        p = probe(model, loss_fn, xb, yb)
        kernels = [n for n in p.layers if p.weights[n].dim() >= 2]
        if len(kernels) < 2:
            return
        g_first = float(p.grads[kernels[0]].norm())
        g_last = float(p.grads[kernels[-1]].norm())
        rate = g_first / g_last if g_last > 0 else math.inf
        if any(not bool(p.grads[n].isfinite().all()) for n in kernels) or rate >= 70:
            self._report("EG", epoch)
        elif rate <= 1e-3 and g_first <= 1e-4:
            self._report("VG", epoch)
        total = sum(p.grads[n].numel() for n in kernels)
        zeros = sum(int((p.grads[n] == 0).sum()) for n in kernels)
        if total and zeros / total >= 0.7:
            self._report("DR", epoch)

    def _oscillating(self) -> bool:
        a = self.acc
        maxima = [a[i] for i in range(1, len(a) - 1) if a[i] > a[i - 1] and a[i] >= a[i + 1]]
        minima = [a[i] for i in range(1, len(a) - 1) if a[i] < a[i - 1] and a[i] <= a[i + 1]]
        pairs = sum(1 for hi, lo in zip(maxima, minima) if hi - lo >= 0.03)
        return pairs >= 0.2 * len(a) and pairs > 0
