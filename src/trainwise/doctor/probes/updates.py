"""Update/weight ratios: how far one optimizer step moved each parameter, relative to its size.

A snapshot of the parameters is taken just before a probed step (a copy of every trainable
tensor, only on those steps); after the step the ratio is ``||w_after - w_before|| /
||w_before||``. Around 1e-3 is the classic healthy value (Karpathy's rule of thumb, and
DeepDiagnosis' 100x band either side of it).
"""

from __future__ import annotations

import torch

from trainwise.doctor.probes.norms import norms


class WeightSnapshot:
    """A detached copy of parameters at one moment.

    Example::

        snap = WeightSnapshot(layout.params)
        optimizer.step()
        snap.ratios(layout.params)   # {"0.weight": 1.2e-3, ...}
    """

    def __init__(self, params: list[tuple[str, torch.Tensor]]):
        with torch.no_grad():
            self.values = {n: p.detach().clone() for n, p in params}

    def ratios(self, params: list[tuple[str, torch.Tensor]]) -> dict[str, dict[str, float]]:
        """``{name: {"update", "weight", "ratio"}}`` (norms; ratio is update / weight, inf for
        a zero weight that moved, 0 for one that did not). The differences and the norms are
        taken in one call each (``torch._foreach_*``) and read in one host transfer."""
        names, news, olds = [], [], []
        for n, p in params:
            old = self.values.get(n)
            if old is None or old.shape != p.shape:
                continue
            names.append(n)
            news.append(p.detach())
            olds.append(old)
        if not names:
            return {}
        with torch.no_grad():
            values = torch.stack(norms(_differences(news, olds)) + norms(olds)).tolist()
        u, w = values[: len(names)], values[len(names) :]
        out = {}
        for n, un, wn in zip(names, u, w):
            ratio = un / wn if wn > 0 else (0.0 if un == 0 else float("inf"))
            out[n] = {"update": un, "weight": wn, "ratio": ratio}
        return out

    def get(self, name: str) -> torch.Tensor | None:
        return self.values.get(name)


def _differences(news: list[torch.Tensor], olds: list[torch.Tensor]) -> list[torch.Tensor]:
    """``new - old`` for each pair: one ``torch._foreach_sub`` call (on CPU the same kernel as
    the operator, pair by pair), the operator itself where the foreach op refuses the lists."""
    try:
        return list(torch._foreach_sub(news, olds))
    except (AttributeError, RuntimeError, NotImplementedError):
        return [a - b for a, b in zip(news, olds)]
