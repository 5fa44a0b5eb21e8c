"""The Next Generation Loss (NGL) of the GP paper (docs/reference.md §10): a plain Keras loss, and the
same function as a tree genome (`NGL_TREE`), which the graph space cannot encode.

Formula: `loss = mean_c(exp(2.4092 - ŷ - ŷ·y) - cos(cos(sin(ŷ))))`, mean over the batch.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from lossevo.space.tree.genome import TreeGenome

NGL_CONSTANT = 2.4092

# exp((α - ŷ) - ŷ·y) - cos(cos(sin(ŷ))), with the operations in the order the plain loss
# computes them, so the two agree to the last bit in float32.
NGL_TREE = TreeGenome(
    ("sub",
     ("exp", ("sub", ("sub", NGL_CONSTANT, "y_hat"), ("mul", "y_hat", "y"))),
     ("cos", ("cos", ("sin", "y_hat"))))
)  # fmt: skip


def next_generation_loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """Per-example NGL: the mean over classes of `exp(2.4092 - ŷ - ŷy) - cos(cos(sin(ŷ)))`.

    Example:
      >>> float(next_generation_loss([[0., 1.]], [[0.5, 0.5]])[0])  # doctest: +ELLIPSIS
      5.0...
    """
    y_pred = tf.cast(tf.convert_to_tensor(y_pred), tf.float32)
    y = tf.cast(tf.convert_to_tensor(y_true), tf.float32)
    terms = tf.exp(NGL_CONSTANT - y_pred - y_pred * y) - tf.cos(tf.cos(tf.sin(y_pred)))
    return tf.reduce_mean(terms, axis=-1)


@keras.saving.register_keras_serializable(package="lossevo")
class NextGenerationLoss(keras.losses.Loss):
    """NGL as a Keras loss.

    References:
      Next Generation Loss Function for Image Classification (the GP paper, docs/reference.md §12).
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "ngl", dtype: Any = None):
        if dtype is not None and keras.dtype_policies.get(dtype).compute_dtype != "float32":
            raise ValueError(f"NextGenerationLoss computes in float32; got dtype {dtype!r}")
        super().__init__(name=name, reduction=reduction, dtype="float32")

    def call(self, y_true, y_pred):
        return next_generation_loss(y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("dtype", None)
        return config
