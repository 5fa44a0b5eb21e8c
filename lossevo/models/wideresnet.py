"""WideResNet-28-10 (Zagoruyko & Komodakis): 36,497,146 parameters for 10 classes.

conv 16 → three groups of four pre-activation basic blocks of widths 16k, 32k, 64k (k = 10),
the second and third groups strided → BN, ReLU → global average pool → dense softmax.
"""

from __future__ import annotations

import keras

from lossevo.models.layers import strided_pointwise


def _block(x, filters: int, stride: int, dropout: float):
    preact = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(x))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = strided_pointwise(preact, filters, stride, use_bias=False)
    y = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(preact)
    y = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(y))
    if dropout:
        y = keras.layers.Dropout(dropout)(y)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    return keras.layers.Add()([shortcut, y])


def wideresnet(
    num_classes: int = 10, input_shape=(32, 32, 3), depth: int = 28, width: int = 10, dropout: float = 0.0
) -> keras.Model:
    """WideResNet-`depth`-`width` (28-10: 36,497,146 parameters with 10 classes)."""
    if (depth - 4) % 6:
        raise ValueError(f"WideResNet depth must be 6n+4, got {depth}")
    n = (depth - 4) // 6
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    for group, filters in enumerate((16 * width, 32 * width, 64 * width)):
        for i in range(n):
            x = _block(x, filters, 2 if (group > 0 and i == 0) else 1, dropout)
    x = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(x))
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(num_classes)(x)
    outputs = keras.layers.Activation("softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"wideresnet_{depth}_{width}")
