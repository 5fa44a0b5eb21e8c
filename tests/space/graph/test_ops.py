"""Every op in the tables: finite values and gradients, TF/NumPy agreement, XLA."""

import numpy as np
import pytest
import tensorflow as tf

from lossevo.space.graph import ops

# A grid of typical intermediate values, shifted off the ops' singular points (0 for
# sqrt|x|'s derivative, -eps for 1/(x+eps)).
GRID = (np.linspace(-4.0, 4.0, 81) + 0.0123).astype(np.float32)
# The loss inputs themselves: targets in [0, 1], probabilities in (0, 1).
Y_HAT = np.linspace(0.001, 0.999, 50, dtype=np.float32)

ALL = [pytest.param(op, id=op.name) for op in (*ops.UNARY_OPS, *ops.BINARY_OPS)]


def _args(op):
    if op.arity == 1:
        return (GRID,)
    a, b = np.meshgrid(GRID, GRID[::7])
    return (a.ravel(), b.ravel())


def test_tables_shape_and_order():
    assert [op.index for op in ops.UNARY_OPS] == list(range(27))
    assert [op.index for op in ops.BINARY_OPS] == list(range(7))
    assert ops.UNARY_OPS[14].name == "atan"  # arctan, as in the code (docs/reference.md §1)
    assert ops.BINARY_OPS[6].name == "div_sqrt"
    assert len({op.name for op in (*ops.UNARY_OPS, *ops.BINARY_OPS)}) == 34


def test_unknown_op_lists_known_names():
    with pytest.raises(KeyError, match="known unary ops: neg, ln"):
        ops.get("log2")


@pytest.mark.parametrize("op", ALL)
def test_values_finite_and_backends_agree(op):
    args = _args(op)
    with np.errstate(all="ignore"):
        np_out = op.np_fn(*args)
    tf_out = op.tf_fn(*(tf.constant(a) for a in args)).numpy()
    assert np.asarray(np_out).dtype == np.float32
    assert np.isfinite(tf_out).all()
    np.testing.assert_allclose(np_out, tf_out, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("op", ALL)
def test_gradients_finite(op):
    args = [tf.constant(a) for a in _args(op)]
    with tf.GradientTape() as tape:
        tape.watch(args)
        out = op.tf_fn(*args)
    for g in tape.gradient(out, args):
        assert np.isfinite(g.numpy()).all()


@pytest.mark.parametrize("op", [p for p in ALL if p.values[0].arity == 1])
def test_gradient_finite_on_probabilities(op):
    x = tf.constant(Y_HAT)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = op.tf_fn(x)
    assert np.isfinite(tape.gradient(out, x).numpy()).all()


@pytest.mark.parametrize("op", ALL)
def test_xla_compiles_and_matches_eager(op):
    args = [tf.constant(a) for a in _args(op)]
    compiled = tf.function(op.tf_fn, jit_compile=True)
    np.testing.assert_allclose(compiled(*args).numpy(), op.tf_fn(*args).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name,x,expected",
    [
        ("ln", 0.0, np.log(1e-7)),
        ("log10", 100.0, 2.0),
        ("softsign_deriv", -3.0, 0.25),  # 1/(1+|x|): the code's form (docs/reference.md §1)
        ("softplus", 0.0, np.log(2.0 + 1e-7)),
        ("reciprocal", 0.5, 1 / (0.5 + 1e-7)),
        ("min0", 2.0, 0.0),
        ("max0", -2.0, 0.0),
        ("sqrt_abs", -4.0, 2.0),
        ("softsign", -1.0, -0.5),
        ("tanh_deriv", 0.0, 1.0),
        ("sigmoid_deriv", 0.0, 0.25),
        ("bessel_i0", 0.0, 1.0),
    ],
)
def test_unary_golden(name, x, expected):
    op = ops.get(name)
    assert op.tf_fn(tf.constant(x)).numpy() == pytest.approx(expected, rel=1e-5)
    assert float(op.np_fn(np.float32(x))) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "name,a,b,expected",
    [
        ("sub", 1.0, 3.0, -2.0),
        ("div", 1.0, 0.0, 1e7),
        ("div_sqrt", 3.0, 0.0, 3.0),
        ("div_sqrt", 5.0, 2.0, 5 / 5**0.5),
    ],
)
def test_binary_golden_and_argument_order(name, a, b, expected):
    op = ops.get(name)
    assert op.tf_fn(tf.constant(a), tf.constant(b)).numpy() == pytest.approx(expected, rel=1e-5)
    assert float(op.np_fn(np.float32(a), np.float32(b))) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "name,reference", [("bessel_i0", tf.math.bessel_i0), ("bessel_i1", tf.math.bessel_i1)]
)
def test_unscaled_bessel_equals_tf_kernel(name, reference):
    # lossevo builds I0/I1 from the scaled kernels (XLA has no BesselI0/BesselI1).
    x = tf.constant(np.linspace(-85.0, 85.0, 341, dtype=np.float32))
    np.testing.assert_allclose(ops.get(name).tf_fn(x).numpy(), reference(x).numpy(), rtol=3e-6)
    big = tf.constant([90.0, -90.0])
    assert np.isfinite(ops.get(name).tf_fn(big).numpy()).all()  # no early overflow
