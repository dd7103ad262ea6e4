"""Random augmentation of training batches for signals, images and tables.

:func:`build_augmenter` returns ``None`` when every option is off, so the training loop
pays nothing then. All randomness comes from torch's global RNG on the batch's device (the
trainer seeds and checkpoints it). Every op draws one random value per sample, vectorised
over the batch: no Python loop per sample.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor, nn

from trainwise.data.config import AugmentConfig
from trainwise.errors import ConfigError

#: Which options make sense for which kind of data.
ALLOWED = {
    "tabular": ("noise", "scale"),
    "signal": ("shift", "noise", "scale"),
    "image": ("flip", "rotation", "zoom", "translation", "contrast", "noise", "scale"),
}


def _per_sample(x: Tensor) -> tuple[int, ...]:
    return (x.shape[0],) + (1,) * (x.ndim - 1)


def random_roll(x: Tensor, max_shift: int) -> Tensor:
    """Roll each sample of ``x`` (N, C, L) circularly along L by its own random shift in
    [-max_shift, max_shift]; all channels of a sample move together.

    Hand-written: ``torch.roll`` takes one shift for the whole batch. A gather with
    per-sample indices does all samples in one op (cost: one (N, L) index tensor).

    Example::

        >>> x = torch.arange(5.0).view(1, 1, 5)
        >>> sorted(random_roll(x, 2).flatten().tolist())  # the same values, moved
        [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    n, length = x.shape[0], x.shape[-1]
    shifts = torch.randint(-max_shift, max_shift + 1, (n, 1), device=x.device)
    # output[i, t] = x[i, (t - shift_i) mod L], the same as torch.roll(x[i], shift_i)
    idx = (torch.arange(length, device=x.device).unsqueeze(0) - shifts) % length
    idx = idx.view(n, *([1] * (x.ndim - 2)), length).expand_as(x)
    return torch.gather(x, -1, idx)


def random_scale(x: Tensor, amount: float) -> Tensor:
    """Multiply each sample by its own factor from U(1 - amount, 1 + amount).

    Example::

        >>> random_scale(torch.ones(3, 4), 0.0).sum().item()
        12.0
    """
    factor = 1 + amount * (2 * torch.rand(_per_sample(x), device=x.device, dtype=x.dtype) - 1)
    return x * factor


def random_noise(x: Tensor, std: float) -> Tensor:
    """Add Gaussian noise of standard deviation ``std`` to every value.

    Example::

        >>> random_noise(torch.zeros(2, 3), 0.0).abs().sum().item()
        0.0
    """
    return x + std * torch.randn_like(x)


def random_contrast(x: Tensor, amount: float) -> Tensor:
    """Scale each image's deviation from its own per-channel mean by a factor from
    U(1 - amount, 1 + amount), as Keras ``RandomContrast`` does.

    Hand-written: kornia's contrast multiplies raw values (about 0, not the image mean) and
    clips to [0, 1], which is wrong for standardized inputs.

    Example::

        >>> x = torch.rand(2, 1, 4, 4)
        >>> torch.allclose(random_contrast(x, 0.5).mean((2, 3)), x.mean((2, 3)), atol=1e-6)
        True
    """
    mean = x.mean(dim=tuple(range(2, x.ndim)), keepdim=True)
    return random_scale(x - mean, amount) + mean


class Augmenter(nn.Module):
    """A sequence of batch ops (``Tensor -> Tensor``); an ``nn.Module`` so ``.to(device)``
    moves kornia's parts too. Keeps shape and dtype."""

    def __init__(self, ops: list[tuple[str, Callable[[Tensor], Tensor]]]):
        super().__init__()
        self.names = [name for name, _ in ops]
        self._ops = [op for _, op in ops]
        # register kornia modules so .to()/.train() reach them
        self.modules_ = nn.ModuleList(op for op in self._ops if isinstance(op, nn.Module))

    def forward(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            for op in self._ops:
                x = op(x)
        return x

    def extra_repr(self) -> str:
        return ", ".join(self.names)


def build_augmenter(cfg: AugmentConfig, kind: str) -> Augmenter | None:
    """Build the batch augmenter for data of ``kind`` ("tabular" | "signal" | "image").

    Returns ``None`` when every option is off. Order: spatial ops (shift / flip, affine),
    then contrast, scale, noise. Images use kornia's ``RandomHorizontalFlip`` and
    ``RandomAffine`` (rotation, zoom, translation; zero padding, which is the mean of
    standardized data). An option that does not fit ``kind`` raises :class:`ConfigError`.

    Example::

        >>> aug = build_augmenter(AugmentConfig(shift=3, noise=0.05), "signal")
        >>> aug(torch.zeros(8, 1, 40)).shape
        torch.Size([8, 1, 40])
        >>> build_augmenter(AugmentConfig(), "signal") is None
        True
    """
    if kind not in ALLOWED:
        raise ConfigError(f"data kind: {kind!r} is not known; allowed: {', '.join(ALLOWED)}")
    active = cfg.active()
    for name in active:
        if name not in ALLOWED[kind]:
            raise ConfigError(
                f"data.augment.{name}: {getattr(cfg, name)!r} does not apply to {kind} data; "
                f"allowed for {kind}: {', '.join(ALLOWED[kind])}"
            )
    if not active:
        return None
    ops: list[tuple[str, Callable[[Tensor], Tensor]]] = []
    if cfg.shift:
        ops.append(("shift", partial(random_roll, max_shift=cfg.shift)))
    if cfg.flip or cfg.rotation or cfg.zoom or cfg.translation:
        import kornia.augmentation as K  # costs seconds at import: only when images need it

        if cfg.flip:
            ops.append(("flip", K.RandomHorizontalFlip(p=cfg.flip)))
        if cfg.rotation or cfg.zoom or cfg.translation:
            affine = K.RandomAffine(
                degrees=cfg.rotation,
                translate=(cfg.translation, cfg.translation) if cfg.translation else None,
                scale=(1 - cfg.zoom, 1 + cfg.zoom) if cfg.zoom else None,
                padding_mode="zeros",
                p=1.0,
            )
            ops.append(("affine", affine))
    if cfg.contrast:
        ops.append(("contrast", partial(random_contrast, amount=cfg.contrast)))
    if cfg.scale:
        ops.append(("scale", partial(random_scale, amount=cfg.scale)))
    if cfg.noise:
        ops.append(("noise", partial(random_noise, std=cfg.noise)))
    return Augmenter(ops)
