"""SE-ResNeXt-29 (4×64d) for CIFAR (Xie et al.'s ResNeXt-29 with Hu et al.'s squeeze-and-
excitation, reduction 16): 18,120,218 parameters for 10 classes (paper 002: "20M").

conv 64 → three stages of three bottleneck blocks (1×1 → grouped 3×3 with cardinality 4 →
1×1, output 256/512/1024, inner width 4·64·2^stage) each with an SE gate → global average
pool → dense softmax.
"""

from __future__ import annotations

import keras

from lossevo.models.layers import strided_pointwise


def _se(x, reduction: int = 16):
    channels = x.shape[-1]
    s = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    s = keras.layers.Conv2D(channels // reduction, 1, activation="relu")(s)
    s = keras.layers.Conv2D(channels, 1, activation="sigmoid")(s)
    return keras.layers.Multiply()([x, s])


def _bottleneck(x, inner: int, out: int, cardinality: int, stride: int):
    y = keras.layers.Conv2D(inner, 1, use_bias=False)(x)
    y = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(y))
    y = keras.layers.Conv2D(inner, 3, strides=stride, padding="same", groups=cardinality, use_bias=False)(y)
    y = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(y))
    y = keras.layers.Conv2D(out, 1, use_bias=False)(y)
    y = _se(keras.layers.BatchNormalization()(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != out:
        shortcut = strided_pointwise(x, out, stride, use_bias=False)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    return keras.layers.Activation("relu")(keras.layers.Add()([shortcut, y]))


def seresnext(
    num_classes: int = 10,
    input_shape=(32, 32, 3),
    cardinality: int = 4,
    base_width: int = 64,
    blocks: int = 3,
) -> keras.Model:
    """SE-ResNeXt-29 (`cardinality`×`base_width`d)."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(64, 3, padding="same", use_bias=False)(inputs)
    x = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(x))
    for stage, out in enumerate((256, 512, 1024)):
        inner = cardinality * base_width * 2**stage
        for i in range(blocks):
            x = _bottleneck(x, inner, out, cardinality, 2 if (stage > 0 and i == 0) else 1)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(num_classes)(x)
    outputs = keras.layers.Activation("softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"seresnext29_{cardinality}x{base_width}d")
