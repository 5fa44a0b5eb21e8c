"""Evaluates a tree on arrays, with TensorFlow (training) or NumPy float32 (checks).

`values` is the one place that walks a tree; the Keras loss and the value-range check both
go through it. Identical subtrees are computed once per call.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import tensorflow as tf

from lossevo.space.tree import ops as ops_lib
from lossevo.space.tree.expr import Expr, is_node

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


def per_example(genome: Any, y, y_hat, backend: Backend = "tf"):
    """Per-example loss of a tree: the mean over classes (the last axis) of its value. `y` is
    already label-smoothed."""
    out = values(genome.expression, y, y_hat, backend)
    if backend == "tf":
        return tf.reduce_mean(tf.broadcast_to(out, tf.shape(y_hat)), axis=-1)
    with np.errstate(all="ignore"):
        return np.broadcast_to(out, np.shape(y_hat)).mean(axis=-1, dtype=np.float32)
