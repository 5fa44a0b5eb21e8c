"""Renders a tree genome as text, as LaTeX and as a SymPy expression.

`to_text` is the element-wise term, e.g. `exp(2.4092 - ŷ - ŷ*y) - cos(cos(sin(ŷ)))`;
`to_paper` and `to_latex` add the mean over classes, `1/N Σ_i`, as paper 003 prints its
losses. Constants print as Python's shortest round-trip decimal (`repr`).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from lossevo.space.render import EPS, Y_HAT, Y, fill_template
from lossevo.space.tree import ops as ops_lib
from lossevo.space.tree.expr import Expr, is_node

_TEXT_LEAVES = {"y": "y", "y_hat": "ŷ"}
_LATEX_LEAVES = {"y": "y_i", "y_hat": r"\hat{y}_i"}


def _constant_text(c: float) -> str:
    return repr(c).removesuffix(".0") if c.is_integer() else repr(c)


def expression_text(expr: Expr) -> str:
    if is_node(expr):
        return fill_template(ops_lib.OPS_BY_NAME[expr[0]].text, [expression_text(c) for c in expr[1:]])
    if isinstance(expr, str):
        return _TEXT_LEAVES[expr]
    return _constant_text(expr)


def to_text(genome: Any) -> str:
    """The element-wise term, e.g. `[y]*[log(|ŷ|+ε)]` renders as `y*log(|ŷ|+ε)`."""
    return expression_text(genome.expression)


def to_paper(genome: Any) -> str:
    """Paper-style formula with the mean over classes, e.g. `1/N Σ_i (y*log(|ŷ|+ε))`."""
    return f"1/N Σ_i ({to_text(genome)})"


def _latex(expr: Expr) -> str:
    if is_node(expr):
        return ops_lib.OPS_BY_NAME[expr[0]].latex.format(*(_latex(c) for c in expr[1:]))
    if isinstance(expr, str):
        return _LATEX_LEAVES[expr]
    text = _constant_text(expr)
    return rf"\left({text}\right)" if expr < 0 else text


def to_latex(genome: Any) -> str:
    """LaTeX of the whole loss: `\\frac{1}{N}\\sum_{i=1}^{N} \\left(...\\right)`."""
    return rf"\frac{{1}}{{N}}\sum_{{i=1}}^{{N}} \left({_latex(genome.expression)}\right)"


def to_sympy(genome: Any, simplify: bool = False, eps: float | sp.Expr | None = None) -> sp.Expr:
    """The element-wise term `f(y, y_hat)` as a SymPy expression (the loss averages it over
    classes). Constants become exact rationals of their decimal form (2.4092 → 6023/2500).

    Args:
      genome: the tree.
      simplify: run `sympy.simplify` on the result.
      eps: value for epsilon; default the positive symbol `epsilon`.
    """
    e = EPS if eps is None else sp.sympify(eps)

    def build(expr: Expr) -> sp.Expr:
        if is_node(expr):
            return ops_lib.OPS_BY_NAME[expr[0]].sympy_fn(*(build(c) for c in expr[1:]), e)
        if expr == "y":
            return Y
        if expr == "y_hat":
            return Y_HAT
        return sp.Rational(repr(expr))

    out = build(genome.expression)
    return sp.simplify(out) if simplify else out
