"""DavidNet, the DAWNBench ResNet-9 (paper 002 App. D): 6,577,600 parameters for 10 classes (6.57M).

prep conv 64 → [conv 128, max-pool, + residual (2× conv 128)] → conv 256, max-pool →
[conv 512, max-pool, + residual (2× conv 512)] → global max pool → dense (no bias) × 0.125.
Every conv is 3×3 without bias, followed by BN and ReLU.
"""

from __future__ import annotations

import keras


def _conv_bn(x, filters: int):
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x)
    return keras.layers.Activation("relu")(x)


def _layer(x, filters: int, residual: bool):
    x = _conv_bn(x, filters)
    x = keras.layers.MaxPooling2D(2)(x)
    if residual:
        r = _conv_bn(_conv_bn(x, filters), filters)
        x = keras.layers.Add()([x, r])
    return x


def davidnet(num_classes: int = 10, input_shape=(32, 32, 3)) -> keras.Model:
    """DavidNet (6,577,600 parameters with 10 classes)."""
    inputs = keras.Input(input_shape)
    x = _conv_bn(inputs, 64)
    x = _layer(x, 128, residual=True)
    x = _layer(x, 256, residual=False)
    x = _layer(x, 512, residual=True)
    x = keras.layers.GlobalMaxPooling2D()(x)
    x = keras.layers.Dense(num_classes, use_bias=False)(x)
    x = keras.layers.Rescaling(0.125)(x)
    outputs = keras.layers.Activation("softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name="davidnet")
