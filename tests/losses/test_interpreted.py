"""The interpreted loss (one fixed graph for every genome) equals `evolved_loss`: value and
gradient, for every op of both tables, the catalog and random genomes, eagerly and under XLA."""

import numpy as np
import pytest
import tensorflow as tf

from lossevo.losses import catalog, evolved_loss
from lossevo.losses.interpreted import (
    NUM_OPS,
    encode,
    encode_batch,
    interpreted_loss,
    interpreted_loss_compiled,
    op_code,
)
from lossevo.space.graph import BINARY_OPS, UNARY_OPS, make
from lossevo.space.graph.sampling import sample_population


def _inputs(seed: int, batch: int = 24, classes: int = 5):
    rng = np.random.default_rng(seed)
    y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, batch)]
    logits = rng.normal(size=(batch, classes)) * 3
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return tf.constant(y), tf.constant(p.astype(np.float32))


def _value_and_grad(fn, y, p):
    with tf.GradientTape() as tape:
        tape.watch(p)
        value = fn(y, p)
    return value.numpy(), tape.gradient(value, p).numpy()


def _assert_same(genome, label_smoothing=0.0, seed=0):
    y, p = _inputs(seed)
    code = encode(genome)
    v_ref, g_ref = _value_and_grad(lambda y, p: evolved_loss(genome, y, p, label_smoothing), y, p)
    v, g = _value_and_grad(
        lambda y, p: interpreted_loss(code.ops, code.args, code.sign, y, p, label_smoothing), y, p
    )
    np.testing.assert_allclose(v, v_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g, g_ref, rtol=1e-6, atol=1e-6)  # NaN only where the reference has NaN


# The argument h0 = ŷ/(y+ε) - 1 reaches 1e7 and -1: exp/sinh/i0 overflow there in unselected
# branches, so a leak of 0·inf into the gradient would show.
@pytest.mark.parametrize("op", [op.name for op in UNARY_OPS])
def test_every_unary_op(op):
    genome = make({"h0": ("div", "y_hat", "y"), "h1": ("add", "h0", "neg_one"), "root": (op, "h1")})
    _assert_same(genome)
    _assert_same(genome.replace(flip=True), label_smoothing=0.1, seed=1)


@pytest.mark.parametrize("op", [op.name for op in BINARY_OPS])
def test_every_binary_op(op):
    genome = make({"h0": ("ln", "y_hat"), "h1": ("sub", "y", "one"), "root": (op, "h0", "h1")})
    _assert_same(genome)
    swapped = make({"h0": ("ln", "y_hat"), "h1": ("sub", "y", "one"), "root": (op, "h1", "h0")}, flip=True)
    _assert_same(swapped, seed=2)


@pytest.mark.parametrize("entry", catalog.ENTRIES, ids=lambda e: e.name)
def test_catalog(entry):
    _assert_same(entry.genome, entry.label_smoothing)


def test_unselected_overflow_does_not_poison_the_gradient():
    genome = make({"h0": ("div", "y_hat", "y"), "root": ("ln", "h0")})  # exp(h0) = inf is not chosen
    y, p = _inputs(3)
    code = encode(genome)
    _, g = _value_and_grad(lambda y, p: interpreted_loss(code.ops, code.args, code.sign, y, p), y, p)
    assert np.isfinite(g).all()


def test_random_genomes_batched_and_under_xla():
    genomes = sample_population(12, np.random.default_rng(7))
    code = encode_batch(genomes)
    y, p = _inputs(4)
    stacked = tf.stack([p] * len(genomes))
    expected = np.stack([evolved_loss(g, y, p).numpy() for g in genomes])
    np.testing.assert_allclose(
        interpreted_loss(code.ops, code.args, code.sign, y, stacked), expected, rtol=1e-6, atol=1e-6
    )

    @tf.function(jit_compile=True)
    def compiled(ops, args, sign, p):
        return interpreted_loss(ops, args, sign, y, p)

    got = compiled(code.ops, code.args, code.sign, stacked)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    reversed_code = encode_batch(genomes[::-1])
    np.testing.assert_allclose(compiled(reversed_code.ops, reversed_code.args, reversed_code.sign, stacked),
                               expected[::-1], rtol=1e-5, atol=1e-5)  # fmt: skip
    assert compiled.experimental_get_tracing_count() == 1  # new genomes, same program


@pytest.mark.slow  # XLA compiles the interpreter: about 10 s
def test_the_compiled_loss_has_the_interpreters_values_and_gradients():
    """One XLA program for the loss and its gradient (the wide model's fast forms): the
    interpreter's values and per-example gradients up to rounding, for any cotangent; a zero
    cotangent (an inactive candidate) gives a zero gradient even where the loss is infinite."""
    infinite = make({"h0": ("div", "y_hat", "y"), "root": ("exp", "h0")})  # exp(ŷ/ε) where y = 0
    genomes = [*sample_population(5, np.random.default_rng(3)), infinite]
    code = encode_batch(genomes)
    y, p = _inputs(5)
    stacked = tf.stack([p] * len(genomes))
    cotangent = tf.constant([[1.0], [2.0], [-1.0], [0.5], [3.0], [0.0]]) * tf.ones([1, p.shape[0]])

    def value_and_grad(fn):
        with tf.GradientTape() as tape:
            tape.watch(stacked)
            values = fn(code.ops, code.args, code.sign, y, stacked)
        return values.numpy(), tape.gradient(values, stacked, output_gradients=cotangent).numpy()

    (got, got_grad), (want, want_grad) = (
        value_and_grad(interpreted_loss_compiled),
        value_and_grad(interpreted_loss),
    )
    assert not np.isfinite(want[-1]).any() and not np.isfinite(want_grad[-1]).all()
    np.testing.assert_allclose(got[:-1], want[:-1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_grad[:-1], want_grad[:-1], rtol=1e-4, atol=1e-4)
    assert (got_grad[-1] == 0).all()


def test_encoding_layout():
    code = encode(catalog.CROSS_ENTROPY)  # h0 = ln(ŷ), root = y * h0, flipped
    assert code.ops.tolist() == [0, 0, 0, op_code("ln"), op_code("mul")]
    assert code.args[3].tolist() == [1, 1] and code.args[4].tolist() == [0, 7]
    assert code.sign == -1.0
    assert op_code("div_sqrt") == NUM_OPS - 1
