"""A genome as data: one fixed TensorFlow graph evaluates any genome from small tensors.

`evolved_loss(genome, ...)` builds a graph *for* a genome, so a compiled training step that
uses it must be traced again for every new loss. Here a genome is encoded as three arrays
(`encode`) and `interpreted_loss` runs a program of five nodes whose shape does not depend
on the genome: a population trainer swaps losses by assigning variables, never re-tracing.

Encoding (a `GenomeCode`): the active nodes in topological order fill the *last* program
positions (the root is always position 8); the unused first positions hold padding nodes
(`neg(y)`, finite and never read). Positions 0–3 are the inputs `y, ŷ, 1, -1`.
- `ops[t]`: the op of program node `4 + t` in one combined table: unary op `j` is `j`,
  binary op `j` is `27 + j` (`ops.UNARY_OPS` then `ops.BINARY_OPS`).
- `args[t]`: the positions of its first and second argument (a unary node's second
  argument is ignored; it repeats the first).
- `sign`: -1 when the genome is flipped, else +1.

Each node computes every op of the table and keeps one with `tf.gather`. The ops that are
not selected are fed a constant (`SAFE`, 0.5, where every op and its derivative is finite)
instead of the real argument (the "double where" trick): their zero cotangent then meets a
finite derivative, so an op that would overflow on the real input (say `exp(1e7)`) cannot
put `0·inf = NaN` into the gradient of the one that is selected. Values and gradients equal
`evolved_loss` (tested over every op and the catalog).

Formula: `L = sign · Σ_c root(y_c, ŷ_c)` after label smoothing, as in `evolved_loss`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from lossevo.losses.evolved import smooth_labels
from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph.genome import KIND, Genome
from lossevo.space.graph.slots import NUM_INPUTS

NUM_NODES = 5
NUM_UNARY = len(ops_lib.UNARY_OPS)
NUM_OPS = NUM_UNARY + len(ops_lib.BINARY_OPS)
SAFE = 0.5  # every op and its derivative is finite here
_PAD_OP, _PAD_ARG = 0, 0  # padding node: neg(y)
_OPS_BY_CODE: tuple[ops_lib.Op, ...] = (*ops_lib.UNARY_OPS, *ops_lib.BINARY_OPS)


@dataclasses.dataclass(frozen=True)
class GenomeCode:
    """Tensors that describe one genome (or a stack of them on leading axes).

    Attributes:
      ops: int32 `[..., 5]`, the combined op index of each program node.
      args: int32 `[..., 5, 2]`, argument positions (0–3 inputs, 4–8 program nodes).
      sign: float32 `[...]`, -1 for a flipped genome, else +1.
    """

    ops: np.ndarray
    args: np.ndarray
    sign: np.ndarray


def op_code(name: str) -> int:
    """The combined-table index of an op name."""
    op = ops_lib.get(name)
    return op.index if op.arity == 1 else NUM_UNARY + op.index


def encode(genome: Genome) -> GenomeCode:
    """The fixed-size encoding of a graph genome's active graph; other representations have no
    interpreter (`TypeError` naming the kind)."""
    if getattr(genome, "kind", None) != KIND:
        raise TypeError(
            f"the interpreted loss encodes graph genomes only, got a {getattr(genome, 'kind', type(genome).__name__)} "
            "genome; train it one candidate at a time (population 0)"
        )
    order = genome.order
    first = NUM_INPUTS + NUM_NODES - len(order)
    position = {slot: slot for slot in range(NUM_INPUTS)}
    position.update({slot: first + i for i, slot in enumerate(order)})
    ops = np.full(NUM_NODES, _PAD_OP, np.int32)
    args = np.full((NUM_NODES, 2), _PAD_ARG, np.int32)
    for i, slot in enumerate(order):
        node = genome.node(slot)
        t = first - NUM_INPUTS + i
        ops[t] = op_code(node.op)
        a = [position[s] for s in node.args]
        args[t] = (a[0], a[-1])
    return GenomeCode(ops, args, np.float32(-1.0 if genome.flip else 1.0))


def encode_batch(genomes: Sequence[Genome]) -> GenomeCode:
    """Encodings stacked on a leading axis (`ops [N, 5]`, `args [N, 5, 2]`, `sign [N]`)."""
    codes = [encode(g) for g in genomes]
    return GenomeCode(
        np.stack([c.ops for c in codes]).astype(np.int32),
        np.stack([c.args for c in codes]).astype(np.int32),
        np.asarray([c.sign for c in codes], np.float32),
    )


def _node(ops: tf.Tensor, a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Every op of the table on guarded arguments (`[G, B, C]` each); per genome `g` the
    op `ops[g]` is kept."""
    chosen = tf.equal(ops[:, None], tf.range(NUM_OPS))[:, :, None, None]  # [G, NUM_OPS, 1, 1]
    guarded_a = tf.unstack(tf.where(chosen, a[:, None], SAFE), axis=1)
    guarded_b = tf.unstack(tf.where(chosen[:, NUM_UNARY:], b[:, None], SAFE), axis=1)
    outs = [op.tf_fn(guarded_a[j]) for j, op in enumerate(ops_lib.UNARY_OPS)]
    outs += [op.tf_fn(guarded_a[NUM_UNARY + j], guarded_b[j]) for j, op in enumerate(ops_lib.BINARY_OPS)]
    return tf.gather(tf.stack(outs, axis=1), ops, batch_dims=1)


def interpreted_root_values(ops: tf.Tensor, args: tf.Tensor, y: tf.Tensor, y_hat: tf.Tensor) -> tf.Tensor:
    """The root node's element-wise output (no sum, no flip) of `G` encoded genomes at once:
    `ops [G, 5]`, `args [G, 5, 2]`, `y` and `y_hat` `[G, B, C]`."""
    ops = tf.convert_to_tensor(ops, tf.int32)
    args = tf.convert_to_tensor(args, tf.int32)
    ones = tf.ones_like(y_hat)
    values = [tf.broadcast_to(y, tf.shape(y_hat)), y_hat, ones, -ones]
    for t in range(NUM_NODES):
        stacked = tf.stack(values, axis=1)  # [G, 4 + t, B, C]
        a = tf.gather(stacked, args[:, t, 0], batch_dims=1)
        b = tf.gather(stacked, args[:, t, 1], batch_dims=1)
        values.append(_node(ops[:, t], a, b))
    return values[-1]


def interpreted_loss(
    ops: tf.Tensor,
    args: tf.Tensor,
    sign: tf.Tensor,
    y_true: tf.Tensor,
    y_pred: tf.Tensor,
    label_smoothing: float = 0.0,
) -> tf.Tensor:
    """Per-example loss of an encoded genome; equals `evolved_loss(genome, ...)`.

    One genome (`ops [5]`, `args [5, 2]`, scalar `sign`; `y_true`, `y_pred` `[B, C]`,
    result `[B]`) or `G` genomes at once (`ops [G, 5]`, `args [G, 5, 2]`, `sign [G]`;
    `y_pred [G, B, C]`, `y_true [G, B, C]` or `[B, C]`, result `[G, B]`): the graph's size
    does not depend on `G`.

    Args:
      ops, args, sign: `GenomeCode` fields (arrays, or tensors such as the variables that
        hold a population's codes).
      y_true: one-hot or soft targets.
      y_pred: predicted probabilities (softmax outputs).
      label_smoothing: Keras-style label smoothing applied to `y_true` first.

    Example:
      >>> code = encode(catalog.CROSS_ENTROPY)
      >>> interpreted_loss(code.ops, code.args, code.sign, [[0., 1.]], [[0.5, 0.5]])
      <tf.Tensor: shape=(1,), dtype=float32, numpy=array([0.693147], dtype=float32)>
    """
    y_pred = tf.cast(tf.convert_to_tensor(y_pred), tf.float32)
    y_true = tf.cast(tf.convert_to_tensor(y_true), tf.float32)
    ops = tf.convert_to_tensor(ops, tf.int32)
    single = ops.shape.rank == 1
    if single:
        ops, args, y_pred = ops[None], tf.convert_to_tensor(args, tf.int32)[None], y_pred[None]
    sign = tf.reshape(tf.cast(sign, tf.float32), [-1, 1])
    y = smooth_labels(y_true, label_smoothing, "tf")
    out = tf.reduce_sum(interpreted_root_values(ops, args, y, y_pred), axis=-1) * sign
    return out[0] if single else out


@tf.function(jit_compile=True)
def _values_and_gradients(ops, args, sign, y_true, y_pred, label_smoothing):
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        values = interpreted_loss(ops, args, sign, y_true, y_pred, label_smoothing)
    return values, tape.gradient(values, y_pred)  # of their sum


def interpreted_loss_compiled(ops: tf.Tensor, args: tf.Tensor, sign: tf.Tensor, y_true: tf.Tensor,
                              y_pred: tf.Tensor, label_smoothing: float = 0.0) -> tf.Tensor:  # fmt: skip
    """`interpreted_loss` of `G` genomes (`y_pred [G, B, C]`) with its value and its gradient
    with respect to `y_pred` in one XLA program: a few fused loops instead of the
    interpreter's many small ops (about 30 ms of a K = 16 ConvNet step on a 2-core CPU). The
    same values up to rounding (XLA's `exp` and `log` round otherwise than TensorFlow's
    kernels); each example's loss reads its own row of `y_pred` only, so the gradient is
    the per-example cotangent times the gradient of the sum. A zero cotangent (an inactive
    candidate) gives a zero gradient even where the loss is not finite."""
    y_pred = tf.cast(tf.convert_to_tensor(y_pred), tf.float32)
    y_true = tf.broadcast_to(tf.cast(tf.convert_to_tensor(y_true), tf.float32), tf.shape(y_pred))

    values, gradients = _values_and_gradients(ops, args, sign, y_true, tf.stop_gradient(y_pred),
                                              float(label_smoothing))  # fmt: skip

    @tf.custom_gradient
    def attach(predictions):  # `values` as a function of `y_pred`, with its gradient
        def grad(cotangent):
            return tf.math.multiply_no_nan(gradients, cotangent[..., None])

        return tf.identity(values), grad

    return attach(y_pred)
