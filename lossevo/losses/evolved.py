"""A genome as a Keras loss: the pure function `evolved_loss` and the class `EvolvedLoss`.

Any genome (`lossevo.space.protocol.Genome`), after label smoothing `y = y (1 - s) + s / C`:
`L = genome.per_example(y, ŷ)`. A graph sums its root's output over classes (negated when
flipped); a tree averages its value over classes, as paper 003 writes its losses. On
logits (`from_logits=True`) ŷ is their softmax, and a graph's `ln`/`log10` of ŷ itself
reads `log_softmax` (`lossevo.losses.logits`).
`evolved_loss_np` is the same loss on NumPy float32 arrays.

Inputs are cast to float32, so the loss computes in float32 under mixed precision.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lossevo.losses.logits import per_example_from_logits
from lossevo.space.protocol import Genome
from lossevo.space.registry import as_genome


def smooth_labels(y, label_smoothing: float, backend: str = "tf"):
    """Keras-style label smoothing: `y * (1 - s) + s / num_classes`."""
    if not label_smoothing:
        return y
    if backend == "tf":
        num_classes = tf.cast(tf.shape(y)[-1], y.dtype)
        return y * (1.0 - label_smoothing) + label_smoothing / num_classes
    s = np.float32(label_smoothing)
    return y * (np.float32(1) - s) + s / np.float32(y.shape[-1])


def evolved_loss_np(
    genome: Genome | dict | str, y_true: np.ndarray, y_pred: np.ndarray, label_smoothing: float = 0.0
) -> np.ndarray:
    """NumPy (float32) twin of `evolved_loss`: the per-example loss of any genome."""
    y = smooth_labels(np.asarray(y_true, np.float32), label_smoothing, "np")
    return as_genome(genome).per_example(y, np.asarray(y_pred, np.float32), "np")


def evolved_loss(
    genome: Genome | dict | str,
    y_true: tf.Tensor,
    y_pred: tf.Tensor,
    label_smoothing: float = 0.0,
    from_logits: bool = False,
) -> tf.Tensor:
    """Per-example loss of a genome (shape `y_pred.shape[:-1]`).

    Args:
      genome: the loss genome (any representation), or its JSON dict or string.
      y_true: one-hot or soft targets, `[..., num_classes]`.
      y_pred: predicted probabilities (softmax output), `[..., num_classes]`, or logits
        with `from_logits=True`.
      label_smoothing: Keras-style label smoothing applied to `y_true` first.
      from_logits: `y_pred` holds logits and the genome sees `ŷ = softmax(logits)` (last
        axis), except that a graph node applying `ln` or `log10` directly to ŷ reads
        `log_softmax(logits)` (`/ln 10`) in place of `ln(|ŷ|+ε)`, stable where the softmax
        saturates: it drops the +ε, a change of `ln(1+ε/ŷ) ≤ ε/ŷ`, negligible unless ŷ
        nears ε = 1e-7 (below it the log is exact, no longer floored at ln ε ≈ -16.1).
        So the cross-entropy genome equals Keras' `CategoricalCrossentropy(from_logits=True)`
        in value and gradient, to float32 rounding. Logs of anything else (`ln(y+ŷ)`) and
        tree genomes see the softmax, ε included (`lossevo.losses.logits`).

    Raises:
      ValueError: the shapes differ where they are known; where they are not (an unknown
        class dimension), a run-time check raises `InvalidArgumentError` instead of letting
        `(B, 1)` labels broadcast against `(B, C)` predictions.

    Example:
      >>> from lossevo.losses import catalog
      >>> evolved_loss(catalog.CROSS_ENTROPY, [[0., 1.]], [[0.5, 0.5]]).numpy()
      array([0.6931470], dtype=float32)
    """
    genome = as_genome(genome)
    y_pred = tf.cast(tf.convert_to_tensor(y_pred), tf.float32)
    y_true = tf.cast(tf.convert_to_tensor(y_true), tf.float32)
    message = (
        "y_true and y_pred must have the same shape: the loss needs one-hot (or soft) targets; "
        "one-hot encode integer labels first"
    )
    if not y_true.shape.is_compatible_with(y_pred.shape):
        raise ValueError(f"{message} (got {y_true.shape} and {y_pred.shape})")
    if y_true.shape.rank is None or y_pred.shape.rank is None or None in (y_true.shape[-1], y_pred.shape[-1]):
        check = tf.debugging.assert_equal(tf.shape(y_true), tf.shape(y_pred), message=message)
        with tf.control_dependencies([check]):
            y_true = tf.identity(y_true)
    y = smooth_labels(y_true, label_smoothing, "tf")
    if from_logits:
        return per_example_from_logits(genome, y, y_pred)
    return genome.per_example(y, y_pred, "tf")


@keras.saving.register_keras_serializable(package="lossevo")
class EvolvedLoss(keras.losses.Loss):
    """Keras loss computed by a genome: a hidden-state graph or an expression tree.

    Formula: `loss = mean_batch(genome.per_example(y, ŷ))`: `±Σ_c f(y_c, ŷ_c)` for a graph,
    `1/C Σ_c f(y_c, ŷ_c)` for a tree (see `evolved_loss`).

    Args:
      genome: a genome of any registered representation, or its JSON dict or string
        (decoded by its `kind`).
      label_smoothing: smoothing applied to the targets, in [0, 1].
      reduction: Keras reduction (default "sum_over_batch_size").
      name: loss name.
      dtype: must be None or a float32 policy: the genome always computes in float32
        (inputs of a mixed-precision model are cast up), since intermediate values such as
        ŷ/(y+ε) reach 1e7, beyond float16's range.
      from_logits: the model outputs logits: the genome sees their softmax, but a graph
        node taking `ln`/`log10` of ŷ itself reads `log_softmax(logits)` (see `evolved_loss`).

    Example:
      >>> import lossevo
      >>> model.compile(optimizer="adam", loss=lossevo.EvolvedLoss(genome))

    References:
      Morgan & Hougen, Neural Loss Function Evolution for Large-Scale Image Classifier
      Convolutional Neural Networks, https://arxiv.org/abs/2403.08793
    """

    def __init__(
        self,
        genome: Genome | dict | str,
        label_smoothing: float = 0.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "evolved_loss",
        dtype: Any = None,
        from_logits: bool = False,
    ):
        if dtype is not None and keras.dtype_policies.get(dtype).compute_dtype != "float32":
            raise ValueError(f"EvolvedLoss computes in float32; got dtype {dtype!r}")
        super().__init__(name=name, reduction=reduction, dtype="float32")
        self.genome = as_genome(genome)
        if not 0.0 <= float(label_smoothing) <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        return evolved_loss(self.genome, y_true, y_pred, self.label_smoothing, self.from_logits)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("dtype", None)
        config.update(
            genome=self.genome.to_dict(), label_smoothing=self.label_smoothing, from_logits=self.from_logits
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EvolvedLoss:
        return cls(**config)
