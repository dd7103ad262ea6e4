"""Networks (MLP, 1-D/2-D CNN, ResNet, Inception), their config, initializers and summaries."""

from trainwise.models.build import build_model
from trainwise.models.cnn import CNN
from trainwise.models.config import ModelConfig
from trainwise.models.conv_block import ConvBlock
from trainwise.models.inception import InceptionBlock, InceptionNet
from trainwise.models.initializers import apply_init
from trainwise.models.mlp import MLP
from trainwise.models.resnet import ResidualBlock, ResNet
from trainwise.models.shape_check import check_input_shape
from trainwise.models.summary import ModelSummary, count_params, model_summary

__all__ = [
    "CNN",
    "MLP",
    "ConvBlock",
    "InceptionBlock",
    "InceptionNet",
    "ModelConfig",
    "ModelSummary",
    "ResNet",
    "ResidualBlock",
    "apply_init",
    "build_model",
    "check_input_shape",
    "count_params",
    "model_summary",
]
