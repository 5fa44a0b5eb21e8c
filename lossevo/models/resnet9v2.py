"""ResNet9v2 surrogates: the authors' small one (paper 002, ~30k parameters) and the 6.5M
one of paper 000 (the same topology, 15× wider; the paper gives only its size).

stem conv w → two pre-activation blocks (BN, act, conv 2w /2; BN, act, conv; BN, act,
conv; plus a strided 1×1 shortcut) of widths 2w and 4w → global average pool → dropout →
dense softmax.
"""

from __future__ import annotations

import keras

from lossevo.models.layers import classifier_head, strided_pointwise


def _block(prev, filters: int, activation: str):
    x = keras.layers.BatchNormalization()(prev)
    x = keras.layers.Activation(activation)(x)
    x = keras.layers.Conv2D(filters, 3, strides=2, padding="same")(x)
    for _ in range(2):
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation(activation)(x)
        x = keras.layers.Conv2D(filters, 3, padding="same")(x)
    shortcut = strided_pointwise(prev, filters, 2)
    return keras.layers.Add()([x, shortcut])


def resnet9v2(
    num_classes: int = 10,
    input_shape: tuple[int | None, int | None, int] = (32, 32, 3),
    width: int = 8,
    activation: str = "swish",
    dropout: float = 0.5,
    name: str = "resnet9v2",
) -> keras.Model:
    """ResNet9v2 with stem width `width` (8: the small surrogate, 30,666 parameters)."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(width, 3, padding="same")(inputs)
    x = _block(x, 2 * width, activation)
    x = _block(x, 4 * width, activation)
    return keras.Model(inputs, classifier_head(x, num_classes, dropout), name=name)


def resnet9v2_small(num_classes: int = 10, input_shape=(32, 32, 3), **kwargs) -> keras.Model:
    """The paper 002 surrogate: 30,666 parameters with 10 classes."""
    return resnet9v2(num_classes, input_shape, width=8, name="resnet9v2_small", **kwargs)


def resnet9v2_6m(num_classes: int = 10, input_shape=(32, 32, 3), **kwargs) -> keras.Model:
    """The paper 000 surrogate, 6.5M parameters (6,642,250 with 10 classes): width 120."""
    return resnet9v2(num_classes, input_shape, width=120, name="resnet9v2_6m", **kwargs)
