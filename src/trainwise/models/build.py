"""Build the network a :class:`ModelConfig` describes, for a given input shape and output size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from trainwise.config.validate import make_section
from trainwise.errors import ArgumentTypeError, ModelError
from trainwise.models.cnn import CNN
from trainwise.models.config import MODELS, ModelConfig
from trainwise.models.inception import InceptionNet
from trainwise.models.initializers import apply_init
from trainwise.models.input_shape import normalize_shape
from trainwise.models.mlp import MLP
from trainwise.models.resnet import ResNet


def _as_config(cfg: ModelConfig | Mapping[str, Any] | None) -> ModelConfig:
    if cfg is None:
        return ModelConfig()
    if isinstance(cfg, ModelConfig):
        return cfg
    if isinstance(cfg, Mapping):
        # worded exactly as a config file's model section is (one formatter for both)
        return make_section(ModelConfig, dict(cfg), "model")
    raise ArgumentTypeError(
        f"cfg: expected a ModelConfig or a mapping of model fields, got {type(cfg).__name__}"
    )


def build_model(
    cfg: ModelConfig | Mapping[str, Any] | None,
    input_shape: Sequence[int],
    output_dim: int,
) -> nn.Module:
    """Build the model ``cfg`` describes (None: the default CNN; a dict is validated first).

    ``input_shape`` excludes the batch dimension: (F,) suits only the mlp, (C, L) gives 1-D
    conv nets and (C, H, W) 2-D ones. The model returns raw outputs (logits, no softmax) of
    shape (N, output_dim), and carries ``input_shape`` and ``output_dim`` attributes. The
    initializer ``cfg.init`` is applied last (it uses the global torch RNG: seed first).

    >>> import torch
    >>> model = build_model(ModelConfig(channels=[8, 16]), (1, 40), 10)
    >>> model(torch.zeros(4, 1, 40)).shape
    torch.Size([4, 10])
    """
    cfg = _as_config(cfg)
    shape = normalize_shape(input_shape)
    if isinstance(output_dim, bool) or not isinstance(output_dim, int) or output_dim < 1:
        raise ModelError(
            f"output_dim: {output_dim!r} is not allowed; it must be an int >= 1 (classes or targets)"
        )
    conv_args = dict(
        channels=cfg.channels,
        kernel_size=cfg.kernel_size,
        design=cfg.design,
        dilation=cfg.dilation,
        pool=cfg.pool,
        pool_every=cfg.pool_every,
        head=cfg.head,
        activation=cfg.activation,
        norm=cfg.norm,
        dropout=cfg.dropout,
    )
    if cfg.name == "mlp":
        model: nn.Module = MLP(
            shape,
            output_dim,
            hidden=cfg.hidden,
            activation=cfg.activation,
            norm=cfg.norm,
            dropout=cfg.dropout,
        )
    elif cfg.name == "cnn":
        model = CNN(shape, output_dim, reduction=cfg.reduction, **conv_args)
    elif cfg.name == "resnet":
        model = ResNet(shape, output_dim, blocks=cfg.blocks, reduction=cfg.reduction, **conv_args)
    elif cfg.name == "inception":
        model = InceptionNet(shape, output_dim, **conv_args)
    else:  # unreachable through a validated config; kept for model_construct() users
        raise ModelError(
            f"model.name: {cfg.name!r} is not a known model; allowed: {', '.join(MODELS)}"
        )
    return apply_init(model, cfg.init, std=cfg.init_std, value=cfg.init_value)
