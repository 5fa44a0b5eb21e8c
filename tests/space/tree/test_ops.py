"""Every tree operator: golden values (protected forms included), TF/NumPy agreement,
finite gradients, XLA."""

import math

import numpy as np
import pytest
import tensorflow as tf

from lossevo.space.tree import ops

ALL = [pytest.param(op, id=op.name) for op in ops.OPS]
X = np.array([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0], np.float32)
Z = np.array([1.5, -1.0, 2.0, 0.5, -3.0, 0.0], np.float32)

# Hand-computed: ε = 1e-8 only shows where an argument is 0.
GOLDEN = {
    "add": (X + Z),
    "sub": (X - Z),
    "mul": (X * Z),
    "div": [-2 / 1.5, 0.5, 0.0, 0.5, -1 / 3, 3.0 / 1e-8],
    "neg": [2.0, 0.5, -0.0, -0.25, -1.0, -3.0],
    "sqrt": [math.sqrt(2), math.sqrt(0.5), 1e-4, 0.5, 1.0, math.sqrt(3)],
    "log": [math.log(2), math.log(0.5), math.log(1e-8), math.log(0.25), 0.0, math.log(3)],
    "exp": [math.exp(v) for v in X.tolist()],
    "sin": [math.sin(v) for v in X.tolist()],
    "cos": [math.cos(v) for v in X.tolist()],
}


def _args(op):
    return (X,) if op.arity == 1 else (X, Z)


def test_the_papers_ten_operators():
    assert [op.name for op in ops.OPS] == [
        "add",
        "sub",
        "mul",
        "div",
        "neg",
        "sqrt",
        "log",
        "exp",
        "sin",
        "cos",
    ]
    assert {op.name for op in ops.BINARY} == {"add", "sub", "mul", "div"}
    assert ops.EPSILON == 1e-8
    with pytest.raises(KeyError, match="known tree ops: add, sub"):
        ops.get("tanh")
    with pytest.raises(ValueError, match="arity"):
        ops.of_arity(3)


@pytest.mark.parametrize("op", ALL)
def test_golden_values_on_both_backends(op):
    args = _args(op)
    want = np.asarray(GOLDEN[op.name], np.float64)
    np.testing.assert_allclose(op.np_fn(*args), want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(op.tf_fn(*map(tf.constant, args)).numpy(), want, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("op", ALL)
def test_finite_gradients_and_xla(op):
    args = [tf.constant(a) for a in _args(op)]
    with tf.GradientTape() as tape:
        tape.watch(args)
        out = op.tf_fn(*args)
    grads = tape.gradient(out, args)
    if op.name == "div":  # d/db a/(b+ε) at b = 0 is -a/ε², beyond float32: not a test of ours
        grads = [g[:-1] for g in grads]
    assert all(np.isfinite(g.numpy()).all() for g in grads), op.name
    xla = tf.function(op.tf_fn, jit_compile=True)
    np.testing.assert_allclose(xla(*args).numpy(), out.numpy(), rtol=1e-6)


def test_protection_keeps_log_sqrt_finite_at_zero_and_div_bounded():
    zero = tf.constant([0.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(zero)
        log, sqrt = ops.get("log").tf_fn(zero), ops.get("sqrt").tf_fn(zero)
        div = ops.get("div").tf_fn(tf.constant([1.0]), zero)
    assert np.isfinite([float(log[0]), float(sqrt[0]), float(div[0])]).all()
    assert float(div[0]) == pytest.approx(1e8, rel=1e-6)
    assert np.isfinite(tape.gradient(sqrt, zero).numpy()).all()
    assert np.isfinite(tape.gradient(log, zero).numpy()).all()
