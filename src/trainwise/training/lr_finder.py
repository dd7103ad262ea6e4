"""The LR finder (LR range test): ``tw.lr_find`` and ``trainwise lr-find CONFIG``.

Train for ``num_steps`` mini-batches while the learning rate grows exponentially from
``start_lr`` to ``end_lr``, record the loss at each step, stop once the smoothed loss exceeds
``diverge_factor`` times the best so far, then put the model and optimizer back exactly as they
were. The curve is read by the rules in :mod:`trainwise.training.lr_suggestions`.

Cost: ``num_steps`` training steps (at most), plus one copy of the model and optimizer state.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainwise import run_files
from trainwise.errors import ArgumentTypeError, ConfigError
from trainwise.losses.build import build_loss, loss_task
from trainwise.losses.config import LossConfig
from trainwise.losses.target_adapter import TargetAdapter
from trainwise.optim.build import build_optimizer
from trainwise.optim.config import OptimizerConfig
from trainwise.training.fit_options import as_section, is_loss_module
from trainwise.training.inputs import as_batches
from trainwise.training.lr_suggestions import (
    agreement,
    describe,
    pick,
    retry_text,
    smooth_losses,
    suggest,
    why_no_suggestion,
)
from trainwise.training.seeding import rng_state, seed_everything, set_rng_state


@dataclass
class LRFindResult:
    """What an LR sweep found.

    Attributes:
        lrs, losses, smoothed: the LR, the raw batch loss and the smoothed loss at each step
            (the last point is the one that stopped the sweep, if it stopped early).
        suggestions: ``{"steepest": lr, "valley": lr, "min_div_10": lr}`` (``None`` where a
            rule found no descent).
        agreement: spread of the suggestions in decades, ``log10(max / min)``.
        suggested: the median of the suggestions, the LR to use.
        message: one plain sentence with the suggestions and how far they agree; without a
            suggestion, why not and the sweep to try instead.
        retry: without a suggestion, the ``lr_find`` arguments of the sweep to try instead
            (e.g. ``{"start_lr": 1e-05, "num_steps": 300}``; ``trainwise lr-find`` prints them
            as ``--start 1e-05 --steps 300``); empty when another sweep would not help or when
            there is a suggestion.
        stop_reason: why the sweep ended before ``num_steps`` (``None`` if it ran them all).
        plot_path: where the plot was written, if it was.
        settings: the sweep's arguments (start_lr, end_lr, num_steps, batch_size, ...).
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestions: dict[str, float | None]
    agreement: float | None
    suggested: float | None
    message: str
    stop_reason: str | None = None
    plot_path: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    retry: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what ``trainwise lr-find`` writes to lr_find.json); non-finite
        losses become ``None``."""

        def clean(xs):
            return [x if math.isfinite(x) else None for x in xs]

        return {
            "suggested": self.suggested,
            "suggestions": self.suggestions,
            "agreement_decades": self.agreement,
            "message": self.message,
            "stop_reason": self.stop_reason,
            "retry": self.retry,
            "plot": str(self.plot_path) if self.plot_path is not None else None,
            "settings": self.settings,
            "lrs": self.lrs,
            "losses": clean(self.losses),
            "smoothed": clean(self.smoothed),
        }

    def apply(self, optimizer: torch.optim.Optimizer) -> float:
        """Set ``suggested`` as the LR of every param group (Ignite's ``apply_suggested_lr``);
        returns it. Call it before building a schedule, which reads the groups' LR then.

        Example::

            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            lr = tw.lr_find(model, (x, y), optimizer="sgd").apply(opt)
        """
        if self.suggested is None:
            raise ConfigError(
                "lr_find: suggested is None (no clear descent: see result.message); nothing to "
                "apply. Allowed: a sweep with a suggestion (result.retry holds the lr_find "
                f"arguments of one to try: {self.retry or 'none'})"
            )
        for group in optimizer.param_groups:
            group["lr"] = self.suggested
        return self.suggested

    def plot(self, path: str | Path) -> Path:
        """Save the curve (raw and smoothed loss against log LR) with the suggestions marked
        as a PNG; returns the path.

        The figure is :func:`trainwise.training.lr_find_figure.draw_lr_find`'s, the same one
        the HTML report shows.
        """
        # Imported here for start-up time: matplotlib costs ~0.3 s and most sweeps draw nothing.
        from matplotlib.figure import Figure

        from trainwise.training.lr_find_figure import draw_lr_find

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        title = "LR range test" + ("" if self.suggested else ": no clear descent")
        fig = draw_lr_find(Figure(figsize=(7, 4.5), layout="tight"), self.to_dict(), title)
        fig.savefig(path, dpi=100)
        self.plot_path = path
        return path


def _check(name: str, value, ok: bool, allowed: str) -> None:
    if isinstance(value, bool) or not ok:
        raise ConfigError(f"{name}: {value!r} is not allowed; {allowed}")


def _validate(start_lr, end_lr, num_steps, batch_size, smooth, diverge_factor) -> None:
    num = (int, float)
    _check("start_lr", start_lr, isinstance(start_lr, num) and start_lr > 0, "must be > 0")
    _check(
        "end_lr",
        end_lr,
        isinstance(end_lr, num) and math.isfinite(end_lr) and end_lr > start_lr,
        f"must be finite and larger than start_lr ({start_lr!r})",
    )
    _check(
        "num_steps",
        num_steps,
        isinstance(num_steps, int) and num_steps >= 5,
        "must be an integer >= 5",
    )
    _check(
        "batch_size", batch_size, isinstance(batch_size, int) and batch_size >= 1, "must be >= 1"
    )
    _check(
        "smooth",
        smooth,
        isinstance(smooth, num) and 0 < smooth <= 1,
        "must be in (0, 1]; the weight of the newest loss in the moving average",
    )
    _check(
        "diverge_factor",
        diverge_factor,
        isinstance(diverge_factor, num) and diverge_factor > 1,
        "must be > 1",
    )


def _loss(loss) -> nn.Module:
    """A loss module from a name, dict, LossConfig or module (the forms ``tw.fit`` takes,
    checked by the same code, so both word a bad value alike)."""
    if is_loss_module(loss):
        return loss
    loss = as_section(loss, LossConfig, "loss")
    fn = build_loss(loss)
    # Same adaptation as tw.fit: (N, 1) outputs against (N,) targets for regression/binary.
    return fn if loss_task(loss.name) == "classification" else TargetAdapter(fn)


def _optimizer(optimizer, model: nn.Module, batch_size: int) -> torch.optim.Optimizer:
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    optimizer = as_section(optimizer, OptimizerConfig, "optimizer")
    return build_optimizer(optimizer, model, batch_size=batch_size)


def lr_find(
    model: nn.Module,
    train_data,
    *,
    loss: str | dict | LossConfig | nn.Module = "cross_entropy",
    optimizer: str | dict | OptimizerConfig | torch.optim.Optimizer = "adam",
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size: int = 64,
    smooth: float = 0.05,
    diverge_factor: float = 4.0,
    seed: int | None = 0,
    device: str = "cpu",
    plot: str | Path | None = None,
) -> LRFindResult:
    """LR range test: sweep the LR exponentially, record the loss, suggest an LR.

    Args:
        model: any ``torch.nn.Module``; its weights, buffers and train/eval mode are restored
            bit for bit afterwards.
        train_data: an ``(x, y)`` pair, a ``Dataset`` or a ``DataLoader`` (as ``tw.fit``);
            cycled through as often as ``num_steps`` needs, reshuffled each pass.
        loss: name, dict, LossConfig or module (default "cross_entropy").
        optimizer: name, dict, OptimizerConfig, or a built optimizer whose state (moments,
            LRs) is restored afterwards (default "adam"). Its LR is replaced by the sweep;
            with several parameter groups their LR ratios are kept.
        start_lr / end_lr: the sweep's ends (default 1e-7 and 10), reached at the first and
            the last step.
        num_steps: mini-batches in the sweep (default 100, at least 5).
        batch_size: default 64 (ignored for a DataLoader).
        smooth: weight of the newest loss in the bias-corrected moving average (default
            0.05; 1 = no smoothing).
        diverge_factor: stop once the smoothed loss exceeds this times the best (default 4),
            or at the first non-finite loss.
        seed: seeds the data order and torch for the sweep (default 0; None: leave the global
            RNG alone). The global RNG state is restored afterwards either way.
        device: "cpu" (default), "cuda" or "auto".
        plot: write the plot there as PNG (default None: no plot).

    Example::

        import torch, trainwise as tw
        x, y = torch.randn(512, 4), torch.randint(0, 2, (512,))
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        result = tw.lr_find(model, (x, y), num_steps=50)
        result.suggested, result.message
    """
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    _validate(start_lr, end_lr, num_steps, batch_size, smooth, diverge_factor)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    loss_fn = _loss(loss)
    batches = as_batches(train_data, "train_data", batch_size, True, seed or 0)

    saved_rng = rng_state()
    saved_model = copy.deepcopy(model.state_dict())  # deep: the sweep updates in place
    was_training = model.training
    model.to(dev)
    opt = _optimizer(optimizer, model, batch_size)
    # load_state_dict may keep references to the dict's tensors, so keep a private copy.
    saved_opt = copy.deepcopy(opt.state_dict())
    base = opt.param_groups[0]["lr"]
    ratios = [g["lr"] / base if base else 1.0 for g in opt.param_groups]
    try:
        if seed is not None:
            seed_everything(seed)
        for g, r in zip(opt.param_groups, ratios):
            g["lr"] = start_lr * r
            g.pop("initial_lr", None)
        # ExponentialLR multiplies by gamma after each step: step i runs at start * gamma**i,
        # so the last of num_steps runs at end_lr exactly.
        gamma = (end_lr / start_lr) ** (1.0 / (num_steps - 1))
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma)
        lrs, losses, stop_reason = _sweep(
            model, opt, sched, loss_fn, batches, num_steps, smooth, diverge_factor, dev
        )
    finally:
        model.load_state_dict(saved_model)
        opt.load_state_dict(saved_opt)
        model.train(was_training)
        set_rng_state(saved_rng)

    smoothed = smooth_losses(losses, smooth).tolist()
    # Rules read the curve without the point that triggered the stop (it is the blow-up).
    cut = len(lrs) - 1 if stop_reason is not None and len(lrs) > 1 else len(lrs)
    suggestions = suggest(lrs[:cut], losses[:cut], smoothed[:cut], smooth, skip=int(0.5 / smooth))
    spread = agreement(suggestions)
    settings = {
        "start_lr": start_lr,
        "end_lr": end_lr,
        "num_steps": num_steps,
        "batch_size": batch_size,
        "smooth": smooth,
        "diverge_factor": diverge_factor,
        "seed": seed,
    }
    message, retry = describe(suggestions, spread), {}
    if stop_reason:
        message += f" The sweep {stop_reason}."
    if pick(suggestions) is None:
        why, retry = why_no_suggestion(
            lrs[:cut], losses[:cut], smoothed[:cut], settings, stop_reason is not None, smooth
        )
        # the stop's numbers are in stop_reason and lr_find.json; the message says what to do
        message = f"no suggestion: {why}."
        message += f" Retry with {retry_text(retry)}." if retry else ""
    result = LRFindResult(
        lrs=lrs,
        losses=losses,
        smoothed=smoothed,
        suggestions=suggestions,
        agreement=spread,
        suggested=pick(suggestions),
        message=message,
        stop_reason=stop_reason,
        settings=settings,
        retry=retry,
    )
    if plot is not None:
        result.plot(plot)
    return result


def _sweep(model, opt, sched, loss_fn, batches, num_steps, smooth, diverge_factor, dev):
    """The training steps of the sweep; returns (lrs, losses, stop_reason)."""
    lrs: list[float] = []
    losses: list[float] = []
    beta, avg, best = 1.0 - smooth, 0.0, math.inf
    model.train()
    epoch = 0
    while len(lrs) < num_steps:
        for xb, yb in batches.epoch(epoch):
            if dev.type != "cpu":
                xb, yb = xb.to(dev), yb.to(dev)
            lr = opt.param_groups[0]["lr"]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            value = float(loss.detach())
            lrs.append(lr)
            losses.append(value)
            step = len(lrs)
            if not math.isfinite(value):
                return lrs, losses, f"stopped at step {step} (LR {lr:.3g}): the loss became {value}"
            # The same bias-corrected average as smooth_losses, kept incrementally.
            avg = beta * avg + smooth * value
            smoothed = avg / (1.0 - beta**step)
            if step > 1 and best > 0 and smoothed > diverge_factor * best:
                return (
                    lrs,
                    losses,
                    f"stopped at step {step} (LR {lr:.3g}): the smoothed loss {smoothed:.4g} "
                    f"exceeded {diverge_factor:g}x the best {best:.4g}",
                )
            best = min(best, smoothed)
            if step >= num_steps:
                break
        epoch += 1
    return lrs, losses, None


def lr_find_config(
    cfg,
    out_dir: str | Path | None = None,
    stem: str = "config",
    *,
    start_lr: float | None = None,
    end_lr: float | None = None,
    num_steps: int | None = None,
    echo=print,
    plot: bool = True,
) -> tuple[LRFindResult, Path]:
    """Run the LR finder on the data, model, loss and optimizer a config describes.

    Built the way ``trainwise run`` builds them (``load_data``, ``build_model``, the
    ``loss`` and ``optimizer`` sections, ``training.batch_size``, ``seed``). Writes
    ``lr_find.json`` and ``lr_find.png`` into ``out_dir`` (default
    ``output.dir/lr-find-<stem>-<time>``) and returns the result and that directory.
    Defaults: start_lr 1e-7, end_lr 10, num_steps 100; ``plot=False`` skips lr_find.png.

    Example::

        from trainwise.run import load_config
        result, out = lr_find_config(load_config("examples/circles.yaml"), "runs/lrf")
    """
    # lazy: start-up time (only the config path loads data; tw.lr_find users never need it)
    from trainwise.data.load import load_data
    from trainwise.models.build import build_model
    from trainwise.training.run_dir import make_run_dir, write_json

    if not all(hasattr(cfg, k) for k in ("data", "model", "training", "optimizer")):
        raise ArgumentTypeError(
            f"cfg: a {type(cfg).__name__} is not allowed; allowed: a Config, e.g. "
            "trainwise.load_config(path) or Config.model_validate(mapping)"
        )
    sweep = {
        "start_lr": 1e-7 if start_lr is None else start_lr,
        "end_lr": 10.0 if end_lr is None else end_lr,
        "num_steps": 100 if num_steps is None else num_steps,
    }
    # Bad sweep arguments fail before any data is loaded or directory made.
    _validate(**sweep, batch_size=cfg.training.batch_size, smooth=0.05, diverge_factor=4.0)
    run_dir = (
        make_run_dir(Path(out_dir).parent, Path(out_dir).name)
        if out_dir is not None
        else make_run_dir(cfg.output.dir, None, f"lr-find-{stem}")
    )
    seed_everything(cfg.seed)
    bundle = load_data(cfg.data, seed=cfg.seed)
    echo(bundle.summary())
    model = build_model(cfg.model, bundle.input_shape, bundle.output_dim)
    result = lr_find(
        model,
        (bundle.x_train, bundle.y_train),
        loss=cfg.loss,
        optimizer=cfg.optimizer,
        batch_size=cfg.training.batch_size,
        seed=cfg.seed,
        device=cfg.training.device,
        plot=run_dir / run_files.LR_FIND_PLOT if plot else None,
        **sweep,
    )
    write_json(run_dir / run_files.LR_FIND, result.to_dict())
    return result, run_dir


def format_result(result: LRFindResult) -> str:
    """The lines ``trainwise lr-find`` prints."""
    lines = [result.message]
    if result.agreement is not None:
        lines.append(f"agreement: {result.agreement:.2f} decades between the rules")
    if result.plot_path is not None:
        lines.append(f"plot: {result.plot_path}")
    return "\n".join(lines)


__all__ = ["LRFindResult", "format_result", "lr_find", "lr_find_config"]
