"""Paper 003's fitness network: InceptionV3 from `keras.applications` with the paper's
9-layer head (§4.1: Flatten, BatchNormalization ×3, Dense ×3, Dropout ×2, the last Dense
a softmax).

The authors' published NGL example (ZKI-PH-ImageAnalysis/Next-Generation-Loss) fills in
what the paper leaves open, and lossevo follows it: the backbone without its top, max
pooling (`pooling="max"`), every layer trainable; the head Dense 128 (ReLU), Dropout 0.5,
Dense 64 (ReLU), Dropout 0.5, each Dense after a BatchNormalization; the 32×32 images
upsampled ×8 by nearest-neighbour `UpSampling2D` in front of the backbone (Keras'
InceptionV3 accepts no input under 75×75). Inputs are expected as Keras'
`inception_v3.preprocess_input` makes them, `x / 127.5 - 1` (the "inception" scaling).
"""

from __future__ import annotations

import keras

from lossevo.models.weights import WeightsUnavailableError, build_backbone

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
MIN_SIZE = 75  # keras.applications' InceptionV3 refuses smaller inputs
HEAD = ((128, 0.5), (64, 0.5))  # (Dense units, Dropout rate) of the hidden head layers

__all__ = ["MIN_SIZE", "WeightsUnavailableError", "inceptionv3"]


def inceptionv3(
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = (32, 32, 3),
    upsample: int = 8,
    weights: str | None = None,
    download: bool = True,
) -> keras.Model:
    """InceptionV3 with paper 003's head.

    Args:
      num_classes: output classes.
      input_shape: the images' shape; times `upsample` it must be at least 75×75.
      upsample: nearest-neighbour upsampling in front of the backbone (1: none).
      weights: None (from scratch), "imagenet" (fine-tuning), or a weights file.
      download: for "imagenet", fetch the weights when they are not in Keras' cache.

    Raises:
      ValueError: an input under 75×75 after upsampling, naming the smallest that works.
      WeightsUnavailableError: "imagenet" weights neither cached nor downloadable.
    """
    height, width, channels = input_shape
    if upsample < 1:
        raise ValueError(f"upsample must be a positive integer, got {upsample}")
    if min(height, width) * upsample < MIN_SIZE:
        raise ValueError(
            f"InceptionV3 needs inputs of at least {MIN_SIZE}x{MIN_SIZE}; {height}x{width} upsampled x{upsample} "
            f"is {height * upsample}x{width * upsample} (resize the images or upsample more)"
        )
    inner = (height * upsample, width * upsample, channels)

    def build(w):
        return keras.applications.InceptionV3(include_top=False, weights=w, input_shape=inner, pooling="max")

    backbone = build_backbone(build, weights, "InceptionV3", WEIGHTS_FILE, download)
    inputs = keras.Input(input_shape)
    x = keras.layers.UpSampling2D(upsample, name="upsample")(inputs) if upsample > 1 else inputs
    x = keras.layers.Flatten(name="head_flatten")(backbone(x))
    for i, (units, rate) in enumerate(HEAD):
        x = keras.layers.BatchNormalization(name=f"head_bn{i}")(x)
        x = keras.layers.Dense(units, activation="relu", name=f"head_dense{i}")(x)
        x = keras.layers.Dropout(rate, name=f"head_dropout{i}")(x)
    x = keras.layers.BatchNormalization(name=f"head_bn{len(HEAD)}")(x)
    x = keras.layers.Dense(num_classes, name="head_logits")(x)
    outputs = keras.layers.Activation("softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name="inceptionv3")
