"""Update/weight ratios: how far one optimizer step moved each parameter, relative to its size.

A snapshot of the parameters is taken just before a probed step (a copy of every trainable
tensor, only on those steps); after the step the ratio is ``||w_after - w_before|| /
||w_before||``. Around 1e-3 is the classic healthy value (Karpathy's rule of thumb, and
DeepDiagnosis' 100x band either side of it).
"""

from __future__ import annotations

import torch


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
        a zero weight that moved, 0 for one that did not)."""
        names, ups, ws = [], [], []
        with torch.no_grad():
            for n, p in params:
                old = self.values.get(n)
                if old is None or old.shape != p.shape:
                    continue
                names.append(n)
                ups.append(torch.linalg.vector_norm((p.detach() - old).float()))
                ws.append(torch.linalg.vector_norm(old.float()))
            if not names:
                return {}
            u = torch.stack(ups).tolist()
            w = torch.stack(ws).tolist()
        out = {}
        for n, un, wn in zip(names, u, w):
            ratio = un / wn if wn > 0 else (0.0 if un == 0 else float("inf"))
            out[n] = {"update": un, "weight": wn, "ratio": ratio}
        return out

    def get(self, name: str) -> torch.Tensor | None:
        return self.values.get(name)
