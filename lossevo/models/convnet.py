"""The ConvNet surrogate (paper 002 §3.5, docs/reference.md §6): 14,002 parameters for 10 classes.

conv 12 → BN, swish → conv 24 /2 → BN, swish → conv 48 /2 → global average pool →
dropout 0.1 → dense softmax.
"""

from __future__ import annotations

import keras

from lossevo.models.layers import classifier_head


def convnet(
    num_classes: int = 10,
    input_shape: tuple[int | None, int | None, int] = (32, 32, 3),
    activation: str = "swish",
    dropout: float = 0.1,
) -> keras.Model:
    """The authors' three-layer ConvNet (14,002 parameters with 10 classes)."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(12, 3, padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation(activation)(x)
    x = keras.layers.Conv2D(24, 3, strides=2, padding="same")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation(activation)(x)
    x = keras.layers.Conv2D(48, 3, strides=2, padding="same")(x)
    return keras.Model(inputs, classifier_head(x, num_classes, dropout), name="convnet")
