"""The search space's operations, as data.

Two tables, `UNARY_OPS` and `BINARY_OPS`, list every operation a node of a genome can
apply, in the authors' original integer order (docs/reference.md §1). Each entry carries a TensorFlow
function (training path), a NumPy/SciPy function (the fast phenotype check), and text,
LaTeX and SymPy renderings. The two numeric functions compute the same float32 values.

`EPSILON` is Keras' epsilon, 1e-7, used wherever the original code adds it.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sps
import sympy as sp
import tensorflow as tf

from lossevo.space.errors import quote
from lossevo.space.op import Op, make_op

EPSILON = 1e-7
_EPS32 = np.float32(EPSILON)
_LN10 = np.float32(np.log(10.0))


def _tf_ln(x):
    return tf.math.log(tf.math.abs(x) + EPSILON)


def _np_ln(x):
    return np.log(np.abs(x) + _EPS32)


def _scaled_back(scaled_fn):
    """`I(x) = Ie(x)·e^|x|` from the exponentially scaled Bessel function, as two half
    factors so the product overflows only where `I(x)` itself does. XLA has kernels for the
    scaled functions but not for `BesselI0`/`BesselI1`."""

    def fn(x):
        half = tf.math.exp(0.5 * tf.math.abs(x))
        return scaled_fn(x) * half * half

    return fn


_tf_i0 = _scaled_back(tf.math.bessel_i0e)
_tf_i1 = _scaled_back(tf.math.bessel_i1e)


def _np_sigmoid_deriv(x):
    s = sps.expit(x)
    return s * (1 - s)


def _np_tanh_deriv(x):
    t = np.tanh(x)
    return 1 - t * t


def _sp_i0e(x):
    return sp.exp(-sp.Abs(x)) * sp.besseli(0, x)


def _sp_i1e(x):
    return sp.exp(-sp.Abs(x)) * sp.besseli(1, x)


def _sp_sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def _unary(index, name, tf_fn, np_fn, text, latex, sympy_fn):
    return make_op(name, 1, tf_fn, np_fn, text, latex, lambda a, eps: sympy_fn(a, eps), index)


def _binary(index, name, tf_fn, np_fn, text, latex, sympy_fn):
    return make_op(name, 2, tf_fn, np_fn, text, latex, sympy_fn, index)


# fmt: off
UNARY_OPS: tuple[Op, ...] = (
    _unary(0, "neg", tf.math.negative, np.negative,
           "-[{0}]", r"-\left({0}\right)", lambda a, e: -a),
    _unary(1, "ln", _tf_ln, _np_ln,
           "ln(|{0}|+ε)", r"\ln\left(\left|{0}\right|+\epsilon\right)",
           lambda a, e: sp.log(sp.Abs(a) + e)),
    _unary(2, "log10", lambda x: _tf_ln(x) / tf.math.log(10.0), lambda x: _np_ln(x) / _LN10,
           "log(|{0}|+ε)", r"\log_{{10}}\left(\left|{0}\right|+\epsilon\right)",
           lambda a, e: sp.log(sp.Abs(a) + e) / sp.log(10)),
    _unary(3, "exp", tf.math.exp, np.exp,
           "exp({0})", r"e^{{{0}}}", lambda a, e: sp.exp(a)),
    _unary(4, "abs", tf.math.abs, np.abs,
           "|{0}|", r"\left|{0}\right|", lambda a, e: sp.Abs(a)),
    _unary(5, "sigmoid", tf.math.sigmoid, sps.expit,
           "sigmoid({0})", r"\sigma\left({0}\right)", lambda a, e: _sp_sigmoid(a)),
    _unary(6, "softsign_deriv", lambda x: 1.0 / (1.0 + tf.math.abs(x)),
           lambda x: np.float32(1) / (np.float32(1) + np.abs(x)),
           "1/(1+|{0}|)", r"\frac{{1}}{{1+\left|{0}\right|}}", lambda a, e: 1 / (1 + sp.Abs(a))),
    _unary(7, "softplus", lambda x: _tf_ln(1.0 + tf.math.exp(x)),
           lambda x: _np_ln(np.float32(1) + np.exp(x)),
           "ln(|1+exp({0})|+ε)", r"\ln\left(\left|1+e^{{{0}}}\right|+\epsilon\right)",
           lambda a, e: sp.log(sp.Abs(1 + sp.exp(a)) + e)),
    _unary(8, "erf", tf.math.erf, sps.erf,
           "erf({0})", r"\operatorname{{erf}}\left({0}\right)", lambda a, e: sp.erf(a)),
    _unary(9, "erfc", tf.math.erfc, sps.erfc,
           "erfc({0})", r"\operatorname{{erfc}}\left({0}\right)", lambda a, e: sp.erfc(a)),
    _unary(10, "sin", tf.math.sin, np.sin,
           "sin({0})", r"\sin\left({0}\right)", lambda a, e: sp.sin(a)),
    _unary(11, "sinh", tf.math.sinh, np.sinh,
           "sinh({0})", r"\sinh\left({0}\right)", lambda a, e: sp.sinh(a)),
    _unary(12, "asinh", tf.math.asinh, np.arcsinh,
           "arcsinh({0})", r"\operatorname{{arcsinh}}\left({0}\right)", lambda a, e: sp.asinh(a)),
    _unary(13, "tanh", tf.math.tanh, np.tanh,
           "tanh({0})", r"\tanh\left({0}\right)", lambda a, e: sp.tanh(a)),
    _unary(14, "atan", tf.math.atan, np.arctan,
           "arctan({0})", r"\arctan\left({0}\right)", lambda a, e: sp.atan(a)),
    _unary(15, "reciprocal", lambda x: 1.0 / (x + EPSILON),
           lambda x: np.float32(1) / (x + _EPS32),
           "1/({0}+ε)", r"\frac{{1}}{{{0}+\epsilon}}", lambda a, e: 1 / (a + e)),
    _unary(16, "bessel_i0", _tf_i0, sps.i0,
           "bessel_i0({0})", r"I_0\left({0}\right)", lambda a, e: sp.besseli(0, a)),
    _unary(17, "bessel_i0e", tf.math.bessel_i0e, sps.i0e,
           "bessel_i0e({0})", r"I_{{0e}}\left({0}\right)", lambda a, e: _sp_i0e(a)),
    _unary(18, "bessel_i1", _tf_i1, sps.i1,
           "bessel_i1({0})", r"I_1\left({0}\right)", lambda a, e: sp.besseli(1, a)),
    _unary(19, "bessel_i1e", tf.math.bessel_i1e, sps.i1e,
           "bessel_i1e({0})", r"I_{{1e}}\left({0}\right)", lambda a, e: _sp_i1e(a)),
    _unary(20, "max0", lambda x: tf.math.maximum(x, 0.0), lambda x: np.maximum(x, np.float32(0)),
           "max({0}, 0)", r"\max\left({0}, 0\right)", lambda a, e: sp.Max(a, 0)),
    _unary(21, "min0", lambda x: tf.math.minimum(x, 0.0), lambda x: np.minimum(x, np.float32(0)),
           "min({0}, 0)", r"\min\left({0}, 0\right)", lambda a, e: sp.Min(a, 0)),
    _unary(22, "square", tf.math.square, np.square,
           "[{0}]^2", r"\left({0}\right)^2", lambda a, e: a**2),
    _unary(23, "sqrt_abs", lambda x: tf.math.sqrt(tf.math.abs(x)), lambda x: np.sqrt(np.abs(x)),
           "sqrt(|{0}|)", r"\sqrt{{\left|{0}\right|}}", lambda a, e: sp.sqrt(sp.Abs(a))),
    _unary(24, "softsign", lambda x: x / (1.0 + tf.math.abs(x)),
           lambda x: x / (np.float32(1) + np.abs(x)),
           "[{0}]/(1+|{0}|)", r"\frac{{{0}}}{{1+\left|{0}\right|}}", lambda a, e: a / (1 + sp.Abs(a))),
    _unary(25, "tanh_deriv", lambda x: 1.0 - tf.math.tanh(x) * tf.math.tanh(x), _np_tanh_deriv,
           "deriv_tanh({0})", r"\left(1-\tanh^2\left({0}\right)\right)",
           lambda a, e: 1 - sp.tanh(a) ** 2),
    _unary(26, "sigmoid_deriv", lambda x: tf.math.sigmoid(x) * (1.0 - tf.math.sigmoid(x)),
           _np_sigmoid_deriv,
           "deriv_sig({0})", r"\sigma'\left({0}\right)",
           lambda a, e: _sp_sigmoid(a) * (1 - _sp_sigmoid(a))),
)

BINARY_OPS: tuple[Op, ...] = (
    _binary(0, "add", tf.math.add, np.add,
            "{0} + {1}", r"{0} + {1}", lambda a, b, e: a + b),
    _binary(1, "sub", tf.math.subtract, np.subtract,
            "{0} - [{1}]", r"{0} - \left({1}\right)", lambda a, b, e: a - b),
    _binary(2, "mul", tf.math.multiply, np.multiply,
            "[{0}]*[{1}]", r"\left({0}\right) \cdot \left({1}\right)", lambda a, b, e: a * b),
    _binary(3, "max", tf.math.maximum, np.maximum,
            "max({0}, {1})", r"\max\left({0}, {1}\right)", lambda a, b, e: sp.Max(a, b)),
    _binary(4, "min", tf.math.minimum, np.minimum,
            "min({0}, {1})", r"\min\left({0}, {1}\right)", lambda a, b, e: sp.Min(a, b)),
    _binary(5, "div", lambda a, b: a / (b + EPSILON), lambda a, b: a / (b + _EPS32),
            "[{0}]/({1}+ε)", r"\frac{{{0}}}{{{1}+\epsilon}}", lambda a, b, e: a / (b + e)),
    _binary(6, "div_sqrt", lambda a, b: a / tf.math.sqrt(1.0 + tf.math.square(b)),
            lambda a, b: a / np.sqrt(np.float32(1) + np.square(b)),
            "[{0}]/sqrt(1+[{1}]^2)", r"\frac{{{0}}}{{\sqrt{{1+\left({1}\right)^2}}}}",
            lambda a, b, e: a / sp.sqrt(1 + b**2)),
)
# fmt: on

UNARY_BY_NAME: dict[str, Op] = {op.name: op for op in UNARY_OPS}
BINARY_BY_NAME: dict[str, Op] = {op.name: op for op in BINARY_OPS}
OPS_BY_NAME: dict[str, Op] = {**UNARY_BY_NAME, **BINARY_BY_NAME}

assert len(UNARY_OPS) == 27 and len(BINARY_OPS) == 7
assert all(op.index == i for i, op in enumerate(UNARY_OPS))
assert all(op.index == i for i, op in enumerate(BINARY_OPS))
assert len(OPS_BY_NAME) == 34, "op names must be unique across arities"


def table(arity: int) -> tuple[Op, ...]:
    """The op table of the given arity (1 or 2)."""
    if arity == 1:
        return UNARY_OPS
    if arity == 2:
        return BINARY_OPS
    raise ValueError(f"arity must be 1 or 2, got {arity!r}")


def get(name: str) -> Op:
    """Looks an op up by name; the error lists every known name."""
    try:
        return OPS_BY_NAME[name]
    except (KeyError, TypeError):
        raise KeyError(
            f"unknown op {quote(name)}; known unary ops: {', '.join(UNARY_BY_NAME)}; "
            f"known binary ops: {', '.join(BINARY_BY_NAME)}"
        ) from None
