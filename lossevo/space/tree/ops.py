"""The tree search space's operators, as data (paper 003 §3 and App. A, docs/reference.md §12).

Terminals are `y` (target), `y_hat` (softmax probability) and random constants. The ten
operators are the paper's {+, −, ×, ÷, ×(−1), √, log, exp, sin, cos}, with its protected
forms: `a / (b + ε)`, `sqrt(|x| + ε)`, `log(|x| + ε)`, ε = 1e-8. Each entry carries a
TensorFlow function (training), a NumPy function (the float32 value-range check), and text,
LaTeX and SymPy renderings. Names are stored in tree-genome JSON; they are a namespace of
their own, apart from the graph space's ops.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import tensorflow as tf

from lossevo.space.errors import quote
from lossevo.space.op import Op, make_op

EPSILON = 1e-8
_EPS32 = np.float32(EPSILON)
TERMINALS: tuple[str, ...] = ("y", "y_hat")  # plus random constants


TreeOp = Op  # the tree space's operators are `lossevo.space.op.Op`s without an index


def _op(name, arity, tf_fn, np_fn, text, latex, sympy_fn) -> TreeOp:
    return make_op(name, arity, tf_fn, np_fn, text, latex, sympy_fn)


# fmt: off
OPS: tuple[TreeOp, ...] = (
    _op("add", 2, tf.math.add, np.add, "{0} + {1}", r"{0} + {1}", lambda a, b, e: a + b),
    _op("sub", 2, tf.math.subtract, np.subtract,
        "{0} - [{1}]", r"{0} - \left({1}\right)", lambda a, b, e: a - b),
    _op("mul", 2, tf.math.multiply, np.multiply,
        "[{0}]*[{1}]", r"\left({0}\right) \cdot \left({1}\right)", lambda a, b, e: a * b),
    _op("div", 2, lambda a, b: a / (b + EPSILON), lambda a, b: a / (b + _EPS32),
        "[{0}]/({1}+ε)", r"\frac{{{0}}}{{{1}+\epsilon}}", lambda a, b, e: a / (b + e)),
    _op("neg", 1, tf.math.negative, np.negative, "-[{0}]", r"-\left({0}\right)", lambda a, e: -a),
    _op("sqrt", 1, lambda x: tf.math.sqrt(tf.math.abs(x) + EPSILON),
        lambda x: np.sqrt(np.abs(x) + _EPS32),
        "sqrt(|{0}|+ε)", r"\sqrt{{\left|{0}\right|+\epsilon}}", lambda a, e: sp.sqrt(sp.Abs(a) + e)),
    _op("log", 1, lambda x: tf.math.log(tf.math.abs(x) + EPSILON),
        lambda x: np.log(np.abs(x) + _EPS32),
        "log(|{0}|+ε)", r"\ln\left(\left|{0}\right|+\epsilon\right)",
        lambda a, e: sp.log(sp.Abs(a) + e)),
    _op("exp", 1, tf.math.exp, np.exp, "exp({0})", r"e^{{{0}}}", lambda a, e: sp.exp(a)),
    _op("sin", 1, tf.math.sin, np.sin, "sin({0})", r"\sin\left({0}\right)", lambda a, e: sp.sin(a)),
    _op("cos", 1, tf.math.cos, np.cos, "cos({0})", r"\cos\left({0}\right)", lambda a, e: sp.cos(a)),
)
# fmt: on

OPS_BY_NAME: dict[str, TreeOp] = {op.name: op for op in OPS}
UNARY: tuple[TreeOp, ...] = tuple(op for op in OPS if op.arity == 1)
BINARY: tuple[TreeOp, ...] = tuple(op for op in OPS if op.arity == 2)
assert len(OPS_BY_NAME) == len(OPS) == 10


def get(name: str) -> TreeOp:
    """Looks an operator up by name; the error lists every known name."""
    try:
        return OPS_BY_NAME[name]
    except (KeyError, TypeError):
        raise KeyError(f"unknown tree op {quote(name)}; known tree ops: {', '.join(OPS_BY_NAME)}") from None


def of_arity(arity: int) -> tuple[TreeOp, ...]:
    """The operators taking `arity` (1 or 2) arguments."""
    if arity == 1:
        return UNARY
    if arity == 2:
        return BINARY
    raise ValueError(f"arity must be 1 or 2, got {arity!r}")
