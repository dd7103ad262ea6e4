"""The seeded-fault suite's scenarios: faulty runs (what must be found) and healthy runs (where
nothing at warning level or above may be found).

A scenario is either a config (a dict merged over a dataset/architecture base, faults injected
through ``data.faults`` or plain bad settings) or a hand-written PyTorch loop using
``tw.Doctor`` directly. ``expect`` lists the codes that must be reported; ``allow`` lists codes
that are a fair consequence of the same fault (a learning rate of 1e3 gives a NaN loss *and*
exploding gradients) and count neither for nor against precision.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class Scenario:
    name: str
    dataset: str
    arch: str  # mlp | cnn | deep
    expect: set[str]
    allow: set[str] = field(default_factory=set)
    config: dict[str, Any] | None = None  # config scenarios
    loop: str | None = None  # name of a hand-written loop in doctor_loops.py
    loop_args: dict[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0, 1, 2)  # the quick subset runs the first only
    fast: bool = False  # part of the quick subset run by the test suite
    onset: int = 0  # step at which the fault starts (non-zero for mid-run faults)

    @property
    def healthy(self) -> bool:
        return not self.expect


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# -- bases: dataset x architecture, each a healthy, moderately tuned run ------------------------
QUIET = {"training": {"progress": "off"}, "checkpoint": {"every_epochs": None}}

MNIST1D_CNN = merge(
    QUIET,
    {
        "data": {"name": "mnist1d"},
        "model": {
            "name": "cnn",
            "channels": [32, 32, 64],
            "kernel_size": 5,
            "pool": "none",
            "activation": "relu",
            "norm": "batch",
            "head": "gap",
        },
        "optimizer": {"name": "adamw", "lr": 3e-3, "weight_decay": 0.05},
        "schedule": {"name": "onecycle", "pct_start": 0.2},
        "training": {"epochs": 8, "batch_size": 128},
    },
)
MNIST1D_MLP = merge(
    QUIET,
    {
        "data": {"name": "mnist1d"},
        "model": {"name": "mlp", "hidden": [128, 128], "activation": "relu"},
        "optimizer": {"name": "adam", "lr": 1e-3},
        "training": {"epochs": 10, "batch_size": 64},
    },
)
MNIST1D_DEEP = merge(
    QUIET,
    {
        "data": {"name": "mnist1d"},
        "model": {"name": "mlp", "hidden": [64] * 8, "activation": "relu", "norm": "batch"},
        "optimizer": {"name": "adam", "lr": 1e-3},
        "training": {"epochs": 10, "batch_size": 64},
    },
)
DIGITS_CNN = merge(
    QUIET,
    {
        "data": {"name": "digits"},
        "model": {
            "name": "cnn",
            "channels": [16, 32],
            "kernel_size": 3,
            "pool": "max",
            "activation": "relu",
            "norm": "batch",
            "head": "gap",
        },
        "optimizer": {"name": "adam", "lr": 3e-3},
        "training": {"epochs": 15, "batch_size": 64},
    },
)
DIGITS_MLP = merge(
    QUIET,
    {
        "data": {"name": "digits"},
        "model": {"name": "mlp", "hidden": [64], "activation": "relu"},
        "optimizer": {"name": "adam", "lr": 1e-3},
        "training": {"epochs": 20, "batch_size": 32},
    },
)
DIGITS_DEEP = merge(
    QUIET,
    {
        "data": {"name": "digits"},
        "model": {
            "name": "mlp",
            "hidden": [64] * 8,
            "activation": "tanh",
            "init": "glorot_uniform",
        },
        "optimizer": {"name": "adam", "lr": 1e-3},
        "training": {"epochs": 20, "batch_size": 32},
    },
)
CIRCLES_MLP = merge(
    QUIET,
    {
        "data": {"name": "circles", "validation_split": 0.2, "split": "stratified"},
        "model": {"name": "mlp", "hidden": [32, 32], "activation": "relu"},
        "optimizer": {"name": "adam", "lr": 1e-2},
        "training": {"epochs": 40, "batch_size": 32},
    },
)
CIRCLES_DEEP = merge(
    QUIET,
    {
        "data": {"name": "circles", "validation_split": 0.2, "split": "stratified"},
        "model": {"name": "mlp", "hidden": [32] * 8, "activation": "relu", "norm": "batch"},
        "optimizer": {"name": "adam", "lr": 3e-3},
        "training": {"epochs": 40, "batch_size": 32},
    },
)
BLOBS_MLP = merge(
    QUIET,
    {
        "data": {"name": "blobs", "validation_split": 0.2, "split": "stratified"},
        "model": {"name": "mlp", "hidden": [32], "activation": "relu"},
        "optimizer": {"name": "adam", "lr": 1e-2},
        "training": {"epochs": 30, "batch_size": 32},
    },
)
MOONS_MLP = merge(
    QUIET,
    {
        "data": {"name": "moons", "validation_split": 0.2, "noise": 0.2},
        "model": {"name": "mlp", "hidden": [32, 32], "activation": "tanh"},
        "optimizer": {"name": "sgd", "lr": 0.1},
        "training": {"epochs": 40, "batch_size": 32},
    },
)
REGRESSION_MLP = merge(
    QUIET,
    {
        "data": {"name": "regression", "validation_split": 0.2},
        "model": {"name": "mlp", "hidden": [64, 64], "activation": "relu"},
        "loss": {"name": "mse"},
        "optimizer": {"name": "adam", "lr": 3e-3},
        "training": {"epochs": 40, "batch_size": 32},
    },
)
REGRESSION_DEEP = merge(
    QUIET,
    {
        "data": {"name": "regression", "validation_split": 0.2},
        "model": {"name": "mlp", "hidden": [64] * 6, "activation": "gelu", "norm": "batch"},
        "loss": {"name": "huber"},
        "optimizer": {"name": "adamw", "lr": 3e-3},
        "training": {"epochs": 40, "batch_size": 32},
    },
)

SEEDS = (0, 1, 2)


def healthy() -> list[Scenario]:
    bases = [
        ("mnist1d_cnn", "mnist1d", "cnn", MNIST1D_CNN),
        ("mnist1d_mlp", "mnist1d", "mlp", MNIST1D_MLP),
        ("mnist1d_deep_bn", "mnist1d", "deep", MNIST1D_DEEP),
        ("digits_cnn", "digits", "cnn", DIGITS_CNN),
        ("digits_mlp", "digits", "mlp", DIGITS_MLP),
        ("digits_deep_tanh", "digits", "deep", DIGITS_DEEP),
        ("circles_mlp", "circles", "mlp", CIRCLES_MLP),
        ("circles_deep_bn", "circles", "deep", CIRCLES_DEEP),
        ("blobs_mlp", "blobs", "mlp", BLOBS_MLP),
        ("moons_mlp_sgd", "moons", "mlp", MOONS_MLP),
        ("regression_mlp", "regression", "mlp", REGRESSION_MLP),
        ("regression_deep_bn", "regression", "deep", REGRESSION_DEEP),
    ]
    out = [
        Scenario(f"healthy/{n}", d, a, set(), config=c, seeds=SEEDS, fast=n in ("circles_mlp",))
        for n, d, a, c in bases
    ]
    # hand-written loops with tw.Doctor, healthy too
    out.append(
        Scenario("healthy/loop_digits_mlp", "digits", "mlp", set(), loop="healthy", seeds=SEEDS)
    )
    return out


def faulty() -> list[Scenario]:
    S = Scenario
    lr_family = {"lr_too_high", "exploding_gradients", "nan_loss", "loss_not_decreasing"}
    return [
        # -- data faults, from the config -----------------------------------------------------
        S(
            "nan_in_data/mnist1d_cnn",
            "mnist1d",
            "cnn",
            {"nan_in_data"},
            config=merge(MNIST1D_CNN, {"data": {"faults": {"nan_fraction": 0.001}}}),
            fast=True,
        ),
        S("nan_in_data/loop_digits", "digits", "mlp", {"nan_in_data"}, loop="nan_in_data"),
        S(
            "label_out_of_range/loop_digits",
            "digits",
            "mlp",
            {"label_out_of_range"},
            loop="label_out_of_range",
        ),
        S(
            "label_out_of_range/loop_binary",
            "circles",
            "mlp",
            {"label_out_of_range"},
            loop="binary_targets_out_of_range",
        ),
        S(
            "unnormalized/mnist1d_mlp_scale",
            "mnist1d",
            "mlp",
            {"unnormalized_inputs"},
            allow={
                "lr_too_high",
                "exploding_gradients",
                "loss_not_decreasing",
                "dead_relu",
                "underfitting",
                "overfitting",
                "overconfident_predictions",
                "nan_loss",
            },
            config=merge(
                MNIST1D_MLP, {"data": {"standardize": "none", "faults": {"scale": 1000.0}}}
            ),
            fast=True,
        ),
        S(
            "unnormalized/circles_offset",
            "circles",
            "mlp",
            {"unnormalized_inputs"},
            allow={
                "lr_too_high",
                "loss_not_decreasing",
                "underfitting",
                "dead_relu",
                "exploding_gradients",
            },
            config=merge(
                CIRCLES_MLP,
                {"data": {"standardize": "none", "faults": {"offset": 300.0, "features": [0]}}},
            ),
        ),
        S(
            "unshuffled/mnist1d_cnn_sorted",
            "mnist1d",
            "cnn",
            {"unshuffled_data"},
            allow={
                "overfitting",
                "overconfident_predictions",
                "underfitting",
                "lr_too_high",
                "loss_not_decreasing",
            },
            config=merge(
                MNIST1D_CNN, {"data": {"shuffle": False, "faults": {"sort_by_label": True}}}
            ),
        ),
        S(
            "unshuffled/loop_digits_loader",
            "digits",
            "mlp",
            {"unshuffled_data"},
            allow={
                "overfitting",
                "overconfident_predictions",
                "underfitting",
                "loss_not_decreasing",
                "lr_too_high",
            },
            loop="unshuffled",
        ),
        S(
            "class_imbalance/mnist1d_cnn",
            "mnist1d",
            "cnn",
            {"class_imbalance"},
            allow={"overfitting", "overconfident_predictions", "test_shift", "underfitting"},
            config=merge(MNIST1D_CNN, {"data": {"faults": {"imbalance": 0.02}}}),
        ),
        S(
            "class_imbalance/blobs",
            "blobs",
            "mlp",
            {"class_imbalance"},
            allow={"test_shift", "underfitting", "overfitting", "overconfident_predictions"},
            config=merge(BLOBS_MLP, {"data": {"faults": {"imbalance": 0.03}, "n_samples": 3000}}),
        ),
        S(
            "label_noise/mnist1d_cnn",
            "mnist1d",
            "cnn",
            {"label_noise"},
            allow={"overfitting", "underfitting", "overconfident_predictions"},
            config=merge(MNIST1D_CNN, {"data": {"faults": {"label_noise": 0.3}}}),
            fast=True,
        ),
        S(
            "label_noise/digits_mlp",
            "digits",
            "mlp",
            {"label_noise"},
            allow={"overfitting", "underfitting", "overconfident_predictions"},
            config=merge(DIGITS_MLP, {"data": {"faults": {"label_noise": 0.3}}}),
        ),
        S(
            "label_noise/blobs",
            "blobs",
            "mlp",
            {"label_noise"},
            allow={"overfitting", "underfitting", "overconfident_predictions"},
            config=merge(BLOBS_MLP, {"data": {"faults": {"label_noise": 0.3}}}),
        ),
        S("split_leakage/loop_digits", "digits", "mlp", {"split_leakage"}, loop="leakage"),
        S(
            "split_leakage/loop_circles",
            "circles",
            "mlp",
            {"split_leakage"},
            loop="leakage",
            loop_args={"dataset": "circles"},
        ),
        S(
            "distribution_shift/mnist1d_cnn",
            "mnist1d",
            "cnn",
            {"distribution_shift"},
            allow={"test_shift", "overfitting", "overconfident_predictions"},
            config=merge(MNIST1D_CNN, {"data": {"faults": {"covariate_shift": 1.0}}}),
        ),
        S(
            "distribution_shift/circles",
            "circles",
            "mlp",
            {"distribution_shift"},
            allow={"test_shift", "overfitting", "overconfident_predictions", "underfitting"},
            config=merge(CIRCLES_MLP, {"data": {"faults": {"covariate_shift": 1.5}}}),
        ),
        S(
            "loss_output_mismatch/loop_softmax_ce",
            "digits",
            "mlp",
            {"loss_output_mismatch"},
            allow={"lr_too_low", "loss_not_decreasing", "underfitting", "saturated_activations"},
            loop="softmax_into_ce",
        ),
        S(
            "loss_output_mismatch/loop_sigmoid_bcelogits",
            "circles",
            "mlp",
            {"loss_output_mismatch"},
            allow={"lr_too_low", "loss_not_decreasing", "underfitting", "saturated_activations"},
            loop="sigmoid_into_bce_with_logits",
        ),
        # -- training faults, from the config -------------------------------------------------
        S(
            # unscaled targets (25..346) under MSE with plain SGD: the first updates overshoot,
            # the loss grows to inf and then nan within a few steps (naming the unscaled
            # targets, the cause, is allowed)
            "nan_loss/regression_sgd_mse",
            "regression",
            "mlp",
            {"nan_loss"},
            allow={*lr_family, "unnormalized_targets"},
            config=merge(
                REGRESSION_MLP, {"model": {"norm": "none"}, "optimizer": {"name": "sgd", "lr": 0.1}}
            ),
            fast=True,
        ),
        S(
            "nan_loss/loop_log_of_negative",
            "digits",
            "mlp",
            {"nan_loss"},
            allow={"lr_too_high", "exploding_gradients"},
            loop="nan_mid_run",
            onset=60,
        ),
        S(
            "exploding/deep_mlp_big_init",
            "mnist1d",
            "deep",
            {"exploding_gradients"},
            allow=lr_family | {"saturated_activations", "dead_relu"},
            config=merge(
                MNIST1D_DEEP,
                {
                    "model": {"norm": "none", "init": "normal", "init_std": 1.0},
                    "optimizer": {"name": "sgd", "lr": 0.05},
                },
            ),
        ),
        S(
            "exploding/loop_deep_linear",
            "digits",
            "deep",
            {"exploding_gradients"},
            allow=lr_family,
            loop="deep_linear_explode",
        ),
        S(
            "vanishing/deep_sigmoid",
            "mnist1d",
            "deep",
            {"vanishing_gradients"},
            allow={"loss_not_decreasing", "lr_too_low", "underfitting", "saturated_activations"},
            config=merge(
                MNIST1D_DEEP,
                {
                    "model": {
                        "norm": "none",
                        "activation": "sigmoid",
                        "init": "truncated_normal",
                        "init_std": 0.1,
                    },
                    "optimizer": {"name": "sgd", "lr": 0.01},
                },
            ),
            fast=True,
        ),
        S(
            "vanishing/circles_deep_sigmoid",
            "circles",
            "deep",
            {"vanishing_gradients"},
            allow={"loss_not_decreasing", "lr_too_low", "underfitting", "saturated_activations"},
            config=merge(
                CIRCLES_DEEP,
                {
                    "model": {
                        "norm": "none",
                        "activation": "sigmoid",
                        "init": "truncated_normal",
                        "init_std": 0.1,
                    },
                    "optimizer": {"name": "sgd", "lr": 0.01},
                },
            ),
        ),
        S(
            "dead_relu/loop_negative_bias",
            "digits",
            "mlp",
            {"dead_relu"},
            allow={
                "loss_not_decreasing",
                "underfitting",
                "params_not_updating",
                "lr_too_low",
                "vanishing_gradients",
            },
            loop="dead_relu",
        ),
        S(
            "dead_relu/loop_cnn_negative_bias",
            "mnist1d",
            "cnn",
            {"dead_relu"},
            allow={
                "loss_not_decreasing",
                "underfitting",
                "params_not_updating",
                "lr_too_low",
                "vanishing_gradients",
            },
            loop="dead_relu",
            loop_args={"dataset": "mnist1d", "arch": "cnn"},
        ),
        S(
            "saturated/mnist1d_tanh_big_init",
            "mnist1d",
            "mlp",
            {"saturated_activations"},
            allow={
                "loss_not_decreasing",
                "underfitting",
                "vanishing_gradients",
                "lr_too_low",
                "overfitting",
                "lr_too_high",
                "overconfident_predictions",
            },
            config=merge(
                MNIST1D_MLP,
                {
                    "model": {
                        "activation": "tanh",
                        "init": "normal",
                        "init_std": 3.0,
                        "norm": "none",
                    },
                    "optimizer": {"name": "sgd", "lr": 0.01},
                },
            ),
        ),
        S(
            "saturated/digits_sigmoid_big_init",
            "digits",
            "mlp",
            {"saturated_activations"},
            allow={
                "loss_not_decreasing",
                "underfitting",
                "vanishing_gradients",
                "lr_too_low",
                "overfitting",
                "lr_too_high",
                "overconfident_predictions",
            },
            config=merge(
                DIGITS_MLP,
                {
                    "model": {
                        "activation": "sigmoid",
                        "init": "normal",
                        "init_std": 5.0,
                        "norm": "none",
                    },
                    "optimizer": {"name": "sgd", "lr": 0.01},
                },
            ),
        ),
        S(
            "lr_too_high/circles_sgd_lr",
            "circles",
            "mlp",
            {"lr_too_high"},
            allow=lr_family | {"dead_relu", "underfitting"},
            config=merge(CIRCLES_MLP, {"optimizer": {"name": "sgd", "lr": 20.0}}),
        ),
        S(
            "lr_too_high/mnist1d_cnn_adam",
            "mnist1d",
            "cnn",
            {"lr_too_high"},
            allow=lr_family | {"dead_relu", "underfitting"},
            config=merge(
                MNIST1D_CNN,
                {"optimizer": {"name": "adam", "lr": 1.0}, "schedule": {"name": "constant"}},
            ),
            fast=True,
        ),
        S(
            "lr_too_low/circles_sgd",
            "circles",
            "mlp",
            {"lr_too_low"},
            allow={"loss_not_decreasing", "underfitting"},
            config=merge(CIRCLES_MLP, {"optimizer": {"name": "sgd", "lr": 1e-5}}),
        ),
        S(
            "lr_too_low/mnist1d_cnn_adam",
            "mnist1d",
            "cnn",
            {"lr_too_low"},
            allow={"loss_not_decreasing", "underfitting"},
            config=merge(
                MNIST1D_CNN,
                {"optimizer": {"name": "adam", "lr": 1e-6}, "schedule": {"name": "constant"}},
            ),
            fast=True,
        ),
        S(
            "params_not_updating/loop_missing_from_optimizer",
            "digits",
            "mlp",
            {"params_not_updating"},
            allow={"underfitting"},
            loop="not_in_optimizer",
        ),
        S(
            "params_not_updating/loop_detached",
            "mnist1d",
            "cnn",
            {"params_not_updating"},
            allow={"underfitting"},
            loop="detached_branch",
        ),
        S(
            "loss_not_decreasing/loop_random_labels",
            "digits",
            "mlp",
            {"loss_not_decreasing"},
            allow={
                "labels_unrelated",  # the cause, found once the reference model is at chance
                "label_noise",
                "underfitting",
                "overfitting",
                "overconfident_predictions",
                "lr_too_low",
            },
            loop="random_labels",
        ),
        S(
            "loss_not_decreasing/loop_zero_inputs",
            "circles",
            "mlp",
            {"loss_not_decreasing"},
            allow={
                "underfitting",
                "lr_too_low",
                "unnormalized_inputs",
                "dead_relu",
                "vanishing_gradients",
            },
            loop="zero_inputs",
        ),
        # -- curve faults ---------------------------------------------------------------------
        S(
            "overfitting/digits_small_train",
            "digits",
            "mlp",
            {"overfitting"},
            allow={"overconfident_predictions", "test_shift"},
            config=merge(
                DIGITS_MLP,
                {
                    "data": {"validation_split": 0.85, "split": "stratified"},
                    "model": {"hidden": [512, 512]},
                    "training": {"epochs": 150, "batch_size": 16},
                },
            ),
        ),
        S(
            # a small noisy two-moons sample, an oversized unregularized MLP trained long: the
            # validation loss climbs 8x while validation accuracy holds near 0.93, so this is
            # also overconfidence. (It replaces circles at noise 0.3, whose classes overlap so
            # much that the MLP never fitted its own training set: no overfitting to find.)
            "overfitting/moons_noisy_small",
            "moons",
            "mlp",
            {"overfitting"},
            allow={"overconfident_predictions", "test_shift"},
            config=merge(
                MOONS_MLP,
                {
                    "data": {"n_samples": 300, "noise": 0.35, "validation_split": 0.3},
                    "model": {"hidden": [256, 256, 256], "activation": "relu", "norm": "none"},
                    "optimizer": {"name": "adam", "lr": 3e-3},
                    "training": {"epochs": 200},
                },
            ),
            fast=True,
        ),
        S(
            # 100 training moons and an unregularized 256x2 MLP trained to zero training loss:
            # validation accuracy holds at 0.91-0.93 while the validation loss climbs from
            # 0.16 to 0.40 as the model grows sure of its few mistakes (the earlier digits
            # version had a flat validation loss: nothing to find)
            "overconfident/moons_memorized",
            "moons",
            "mlp",
            {"overconfident_predictions"},
            allow={"overfitting", "test_shift"},
            config=merge(
                MOONS_MLP,
                {
                    "data": {"n_samples": 200, "noise": 0.2, "validation_split": 0.5},
                    "model": {"hidden": [256, 256], "activation": "relu", "norm": "none"},
                    "optimizer": {"name": "adam", "lr": 3e-3},
                    "training": {"epochs": 150},
                },
            ),
        ),
        S(
            "overconfident/mnist1d_mlp_small",
            "mnist1d",
            "mlp",
            {"overconfident_predictions"},
            allow={"overfitting", "test_shift"},
            config=merge(
                MNIST1D_MLP,
                {
                    "data": {"validation_split": 0.8},
                    "model": {"hidden": [512, 512]},
                    "training": {"epochs": 60},
                },
            ),
        ),
        S(
            "underfitting/mnist1d_tiny_mlp",
            "mnist1d",
            "mlp",
            {"underfitting"},
            allow={"loss_not_decreasing", "lr_too_low"},
            config=merge(MNIST1D_MLP, {"model": {"hidden": [2]}}),
        ),
        S(
            "underfitting/digits_tiny_mlp",
            "digits",
            "mlp",
            {"underfitting"},
            allow={"loss_not_decreasing", "lr_too_low"},
            config=merge(DIGITS_MLP, {"model": {"hidden": [1]}}),
        ),
        S(
            "over_regularized/mnist1d_weight_decay",
            "mnist1d",
            "mlp",
            {"over_regularized"},
            allow={"underfitting", "loss_not_decreasing", "lr_too_low"},
            config=merge(MNIST1D_MLP, {"optimizer": {"name": "adamw", "weight_decay": 20.0}}),
        ),
        S(
            "over_regularized/circles_l2",
            "circles",
            "mlp",
            {"over_regularized"},
            allow={"underfitting", "loss_not_decreasing", "lr_too_low"},
            config=merge(CIRCLES_MLP, {"regularization": {"l2": 1.0}}),
        ),
        S(
            "over_regularized/digits_dropout",
            "digits",
            "mlp",
            {"over_regularized"},
            allow={"underfitting", "loss_not_decreasing", "lr_too_low"},
            config=merge(DIGITS_MLP, {"model": {"dropout": 0.95}}),
        ),
        S(
            "test_shift/loop_digits_noisy_test",
            "digits",
            "mlp",
            {"test_shift"},
            allow={"distribution_shift"},
            loop="test_shift",
        ),
        S(
            "test_shift/loop_circles_shifted_test",
            "circles",
            "mlp",
            {"test_shift"},
            allow={"distribution_shift"},
            loop="test_shift",
            loop_args={"dataset": "circles"},
        ),
    ]


def all_scenarios() -> list[Scenario]:
    return faulty() + healthy()


def loop_model(arch: str, in_shape: tuple, n_out: int, act=nn.ReLU) -> nn.Module:
    """Small models for the hand-written loops (plain torch, no trainwise builders)."""
    if arch == "cnn":
        c = in_shape[0] if len(in_shape) == 2 else 1
        return nn.Sequential(
            nn.Unflatten(1, (c, -1)) if len(in_shape) == 1 else nn.Identity(),
            nn.Conv1d(c, 16, 5, padding=2),
            act(),
            nn.Conv1d(16, 16, 5, padding=2),
            act(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(16, n_out),
        )
    d = int(torch.tensor(in_shape).prod())
    return nn.Sequential(nn.Flatten(), nn.Linear(d, 64), act(), nn.Linear(64, n_out))
