"""Build the ``torch.optim`` optimizer an :class:`~trainwise.optim.config.OptimizerConfig` names."""

from __future__ import annotations

import torch
from torch import nn

from trainwise.errors import ArgumentTypeError, ConfigError, ModelError
from trainwise.optim.config import OptimizerConfig
from trainwise.optim.lr_scaling import scaled_lr


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Trainable params; with weight decay, two groups so biases and norm params get none.

    Decaying a bias or a BatchNorm scale only shrinks the model's offsets and gains (it does
    not limit capacity), so, as in nanoGPT and timm, only tensors with ndim >= 2 (weight
    matrices, kernels, embeddings) are decayed. ``model.parameters()`` already skips shared
    parameters seen twice.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ModelError("model has no trainable parameters (all have requires_grad=False)")
    if weight_decay == 0:  # explicit 0: AdamW's own default would otherwise be 0.01
        return [{"params": params, "weight_decay": 0.0}]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}] if decay else []
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def build_optimizer(
    cfg: OptimizerConfig | None, model: nn.Module, batch_size: int | None = None
) -> torch.optim.Optimizer:
    """A torch optimizer over ``model``'s trainable parameters.

    sgd / momentum / nesterov -> ``torch.optim.SGD``; rmsprop -> ``RMSprop`` (``alpha=rho``);
    adagrad -> ``Adagrad``; adam -> ``Adam``; adamw -> ``AdamW``. ``cfg=None`` means
    ``OptimizerConfig()`` (Adam, lr 1e-3). With ``lr_scaling="linear"`` the lr is
    ``lr * batch_size / base_batch_size`` and ``batch_size`` is required. With weight decay,
    group 0 holds the decayed tensors (ndim >= 2) and group 1 the rest with decay 0.

    Example::

        >>> opt = build_optimizer(OptimizerConfig(name="nesterov", lr=0.1), nn.Linear(3, 1))
        >>> opt.param_groups[0]["momentum"], opt.param_groups[0]["nesterov"]
        (0.9, True)
    """
    cfg = cfg or OptimizerConfig()
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    lr = cfg.lr
    if cfg.lr_scaling == "linear":
        if batch_size is None:
            raise ConfigError(
                "optimizer.lr_scaling: 'linear' needs the batch size; pass batch_size to "
                "build_optimizer"
            )
        lr = scaled_lr(lr, batch_size, cfg.base_batch_size)
    groups = _param_groups(model, cfg.resolved_weight_decay())
    name = cfg.name
    betas = (cfg.beta_1, cfg.beta_2)
    eps = {} if cfg.epsilon is None else {"eps": cfg.epsilon}  # None: keep torch's default
    if name in ("sgd", "momentum", "nesterov"):
        nesterov = cfg.nesterov if cfg.nesterov is not None else name == "nesterov"
        return torch.optim.SGD(groups, lr=lr, momentum=cfg.resolved_momentum(), nesterov=nesterov)
    if name == "rmsprop":
        return torch.optim.RMSprop(
            groups,
            lr=lr,
            alpha=cfg.rho,
            momentum=cfg.resolved_momentum(),
            centered=cfg.centered,
            **eps,
        )
    if name == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr, **eps)
    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(groups, lr=lr, betas=betas, amsgrad=cfg.amsgrad, **eps)
