"""Evaluates a tree on arrays, with TensorFlow (training) or NumPy float32 (checks).

`values` is the one place that walks a tree; the Keras loss and the value-range check both
go through it. Identical subtrees are computed once per call.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import tensorflow as tf

from lossevo.genome.evaluate import smooth_labels
from lossevo.gp import ops as ops_lib
from lossevo.gp.tree import Expr, TreeGenome, is_node

Backend = Literal["tf", "np"]


def values(expr: Expr, y, y_hat, backend: Backend = "tf"):
    """The element-wise value of `expr` on `(y, y_hat)` (no reduction over classes).

    Constants are Python floats on the TF path (TensorFlow casts them to the inputs'
    dtype) and float32 scalars on the NumPy path; a subtree of constants only gives a
    scalar, broadcast by the caller.
    """
    memo: dict[Expr, object] = {}

    def walk(e: Expr):
        if e in memo:
            return memo[e]
        if is_node(e):
            op = ops_lib.OPS_BY_NAME[e[0]]
            fn = op.tf_fn if backend == "tf" else op.np_fn
            out = fn(*(walk(c) for c in e[1:]))
        elif e == "y":
            out = y
        elif e == "y_hat":
            out = y_hat
        else:
            out = tf.constant(e, tf.float32) if backend == "tf" else np.float32(e)
        memo[e] = out
        return out

    if backend == "np":
        with np.errstate(all="ignore"):
            return walk(expr)
    return walk(expr)


def tree_loss(genome: TreeGenome, y: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """Per-example loss of a tree on float32 tensors: the mean over classes (last axis).

    `y` is already smoothed; see `lossevo.losses.evolved_loss` for the public entry point.
    """
    out = values(genome.expression, y, y_pred, "tf")
    out = tf.broadcast_to(out, tf.shape(y_pred))
    return tf.reduce_mean(out, axis=-1)


def per_example_loss_np(
    genome: TreeGenome, y_true: np.ndarray, y_pred: np.ndarray, label_smoothing: float = 0.0
) -> np.ndarray:
    """NumPy (float32) twin of `lossevo.losses.evolved_loss` for a tree."""
    y = smooth_labels(np.asarray(y_true, np.float32), label_smoothing, "np")
    y_hat = np.asarray(y_pred, np.float32)
    out = np.broadcast_to(values(genome.expression, y, y_hat, "np"), y_hat.shape)
    with np.errstate(all="ignore"):
        return out.mean(axis=-1, dtype=np.float32)
