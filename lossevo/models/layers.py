"""Layers shared by the model builders."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="lossevo")
class VariableDropout(keras.layers.Layer):
    """Dropout whose rate is a (non-trainable) variable, so progressive training can change
    it between phases and the change takes effect inside an already compiled train step.

    Args:
      rate: initial dropout rate in [0, 1).
      seed: seed of the dropout noise.
    """

    def __init__(self, rate: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._initial_rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # A plain tf.Variable: read by the compiled step at every call, so `set_rate` takes
        # effect without retracing; not a model parameter (not in `weights`, not counted).
        self.rate = tf.Variable(float(rate), trainable=False, dtype=tf.float32, name="dropout_rate")
        self.supports_masking = True

    def set_rate(self, rate: float) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate.assign(float(rate))

    def call(self, inputs, training=False):
        if not training:
            return inputs
        seed = self.seed_generator.next()
        rate = tf.cast(self.rate, inputs.dtype)
        keep = tf.random.stateless_uniform(tf.shape(inputs), seed=tf.cast(seed, tf.int32)) >= tf.cast(
            self.rate, tf.float32
        )
        return tf.where(keep, inputs / (1.0 - rate), tf.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": float(self.rate.numpy()), "seed": self.seed}


def set_top_dropout(model: keras.Model, rate: float) -> None:
    """Sets the rate of every `VariableDropout` in the model (takes effect immediately, also
    inside an already compiled train step)."""
    found = [layer for layer in model.layers if isinstance(layer, VariableDropout)]
    if not found:
        raise ValueError(f"model {model.name!r} has no VariableDropout layer to set")
    for layer in found:
        layer.set_rate(rate)


def strided_pointwise(x, filters: int, stride: int, use_bias: bool = True, name: str | None = None):
    """A 1×1 convolution with a stride, computed as `Conv2D(1×1)` of the subsampled input.

    Identical to `Conv2D(filters, 1, strides=stride)` (same weights, same output), but it
    avoids a TensorFlow 2.21 oneDNN bug: the gradient of a strided 1×1 `Conv2D` crashes
    the process (segfault) on CPU for inputs of 64 px and more (BUILD_NOTES.md).
    """
    if stride != 1:
        x = keras.layers.MaxPooling2D(pool_size=1, strides=stride, padding="same")(x)
    return keras.layers.Conv2D(filters, 1, use_bias=use_bias, name=name)(x)


def classifier_head(x, num_classes: int, dropout: float, name: str = "top"):
    """Global average pooling, dropout (a `VariableDropout`), dense; softmax in float32
    (mixed-precision safe)."""
    x = keras.layers.GlobalAveragePooling2D(name=f"{name}_pool")(x)
    x = VariableDropout(dropout, name=f"{name}_dropout")(x)
    x = keras.layers.Dense(num_classes, name=f"{name}_dense")(x)
    return keras.layers.Activation("softmax", dtype="float32", name="predictions")(x)


def add_kernel_l2(model: keras.Model, l2: float) -> keras.Model:
    """Puts an L2 penalty `l2 · Σw²` on every kernel of `model` (convolutions and dense
    layers), as Keras' `kernel_regularizer=L2(l2)` does; Keras adds it to the training loss.
    Returns `model`."""
    if l2 < 0:
        raise ValueError(f"kernel_l2 must be non-negative, got {l2}")
    for layer in _all_layers(model):
        kernel = getattr(layer, "kernel", None)
        if kernel is None or not hasattr(layer, "kernel_regularizer"):
            continue
        regularizer = keras.regularizers.L2(l2) if l2 else None
        layer.kernel_regularizer = regularizer
        kernel.regularizer = regularizer
    return model


def _all_layers(model: keras.Model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer
