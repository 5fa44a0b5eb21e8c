"""Model builders, in a registry: `lossevo.models.get(name, num_classes, ...)`.

| name | model | parameters (10 classes) |
|---|---|---|
| `convnet` | the ConvNet surrogate | 14,002 |
| `resnet9v2_small` | the small ResNet9v2 surrogate | 30,666 |
| `resnet9v2_6m` | paper 000's 6.5M ResNet9v2 surrogate | 6,642,250 |
| `davidnet` | DAWNBench ResNet-9 | 6,577,600 |
| `wideresnet28_10` | WideResNet-28-10 | 36,497,146 |
| `seresnext29_4x64d` | SE-ResNeXt-29 4×64d | 18,120,218 |
| `efficientnetv2s` | EfficientNetV2-S (keras.applications) | 20,344,170 |
| `inceptionv3` | InceptionV3 (keras.applications) with paper 003's 9-layer head | 22,082,922 |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from lossevo.models.convnet import convnet
from lossevo.models.davidnet import davidnet
from lossevo.models.efficientnet import efficientnetv2s
from lossevo.models.inception import inceptionv3
from lossevo.models.layers import VariableDropout, add_kernel_l2, set_top_dropout
from lossevo.models.resnet9v2 import resnet9v2, resnet9v2_6m, resnet9v2_small
from lossevo.models.seresnext import seresnext
from lossevo.models.weights import WeightsUnavailableError
from lossevo.models.wideresnet import wideresnet

BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "convnet": convnet,
    "resnet9v2_small": resnet9v2_small,
    "resnet9v2_6m": resnet9v2_6m,
    "davidnet": davidnet,
    "wideresnet28_10": wideresnet,
    "seresnext29_4x64d": seresnext,
    "efficientnetv2s": efficientnetv2s,
    "inceptionv3": inceptionv3,
}


def names() -> list[str]:
    return list(BUILDERS)


def get(name: str, num_classes: int, kernel_l2: float = 0.0, **kwargs: Any) -> keras.Model:
    """Builds a registered model; keyword arguments go to its builder (`input_shape`, ...).
    `kernel_l2` puts an L2 penalty on every kernel (`add_kernel_l2`)."""
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(BUILDERS)}")
    model = BUILDERS[name](num_classes=num_classes, **kwargs)
    return add_kernel_l2(model, kernel_l2) if kernel_l2 else model


__all__ = [
    "BUILDERS",
    "VariableDropout",
    "WeightsUnavailableError",
    "add_kernel_l2",
    "convnet",
    "davidnet",
    "efficientnetv2s",
    "get",
    "inceptionv3",
    "names",
    "resnet9v2",
    "resnet9v2_6m",
    "resnet9v2_small",
    "seresnext",
    "set_top_dropout",
    "wideresnet",
]
