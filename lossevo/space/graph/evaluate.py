"""Evaluates a genome's active graph on arrays, with TensorFlow or NumPy ops.

`root_values` is the one place that walks the graph; the Keras loss (TensorFlow) and the
phenotype check (NumPy, float32) both go through it, so the two paths cannot drift apart.
Only active nodes are computed, in topological order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import tensorflow as tf

from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph.slots import ROOT

Backend = Literal["tf", "np"]


def _inputs(y, y_hat, backend: Backend) -> list:
    if backend == "tf":
        return [y, y_hat, tf.constant(1.0, y_hat.dtype), tf.constant(-1.0, y_hat.dtype)]
    return [y, y_hat, np.float32(1.0), np.float32(-1.0)]


def root_values(genome: Any, y, y_hat, backend: Backend = "tf", given: Mapping[int, Any] | None = None):
    """The root node's element-wise output on `(y, y_hat)` (no sum over classes, no flip).
    `given`: values of some nodes computed by the caller (slot -> value), used instead of
    their ops (`lossevo.losses.logits`: a log of ŷ from the logits)."""
    values: dict[int, object] = dict(enumerate(_inputs(y, y_hat, backend)))
    for slot in genome.order:
        if given and slot in given:
            values[slot] = given[slot]
            continue
        node = genome.node(slot)
        op = ops_lib.get(node.op)
        fn = op.tf_fn if backend == "tf" else op.np_fn
        values[slot] = fn(*(values[a] for a in node.args))
    return values[ROOT]


def per_example(genome: Any, y, y_hat, backend: Backend = "tf", given: Mapping[int, Any] | None = None):
    """Per-example loss of a graph genome: the root's output summed over classes (the last
    axis), negated when the genome is flipped. `y` is already label-smoothed; `given` as in
    `root_values`."""
    if backend == "tf":
        values = tf.broadcast_to(root_values(genome, y, y_hat, "tf", given), tf.shape(y_hat))
        out = tf.reduce_sum(values, axis=-1)
    else:
        with np.errstate(all="ignore"):
            out = np.broadcast_to(root_values(genome, y, y_hat, "np"), np.shape(y_hat)).sum(axis=-1)
    return -out if genome.flip else out
