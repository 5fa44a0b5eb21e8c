"""Evaluates a genome's active graph on arrays, with TensorFlow or NumPy ops.

`node_values` is the one place that walks the graph; the Keras loss (TensorFlow) and the
phenotype check (NumPy, float32) both go through it, so the two paths cannot drift apart.
Only active nodes are computed, in topological order.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import tensorflow as tf

from lossevo.genome import ops as ops_lib
from lossevo.genome.genome import ROOT, Genome

Backend = Literal["tf", "np"]


def _inputs(y, y_hat, backend: Backend) -> list:
    if backend == "tf":
        return [y, y_hat, tf.constant(1.0, y_hat.dtype), tf.constant(-1.0, y_hat.dtype)]
    return [y, y_hat, np.float32(1.0), np.float32(-1.0)]


def root_values(genome: Genome, y, y_hat, backend: Backend = "tf"):
    """The root node's element-wise output on `(y, y_hat)` (no sum over classes, no flip)."""
    values: dict[int, object] = dict(enumerate(_inputs(y, y_hat, backend)))
    for slot in genome.order:
        node = genome.node(slot)
        op = ops_lib.get(node.op)
        fn = op.tf_fn if backend == "tf" else op.np_fn
        values[slot] = fn(*(values[a] for a in node.args))
    return values[ROOT]


def smooth_labels(y, label_smoothing: float, backend: Backend = "tf"):
    """Keras-style label smoothing: `y * (1 - s) + s / num_classes`."""
    if not label_smoothing:
        return y
    if backend == "tf":
        num_classes = tf.cast(tf.shape(y)[-1], y.dtype)
        return y * (1.0 - label_smoothing) + label_smoothing / num_classes
    s = np.float32(label_smoothing)
    return y * (np.float32(1) - s) + s / np.float32(y.shape[-1])


def per_example_loss_np(
    genome: Genome, y_true: np.ndarray, y_pred: np.ndarray, label_smoothing: float = 0.0
) -> np.ndarray:
    """NumPy (float32) twin of `lossevo.losses.evolved_loss`."""
    y = smooth_labels(np.asarray(y_true, np.float32), label_smoothing, "np")
    y_hat = np.asarray(y_pred, np.float32)
    with np.errstate(all="ignore"):
        out = np.broadcast_to(root_values(genome, y, y_hat, "np"), y_hat.shape).sum(axis=-1)
    return -out if genome.flip else out
