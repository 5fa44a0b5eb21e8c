"""Renders a genome as a paper-style string, as LaTeX, and as a SymPy expression.

`to_text` is the formula string the similarity test compares (docs/reference.md §3): the root's
expression without the flip, like the authors' `msg`. `to_paper` adds the sign and the
batch mean as the papers' tables print them.
"""

from __future__ import annotations

import functools
from typing import Any

import sympy as sp

from lossevo.space.graph import ops as ops_lib
from lossevo.space.render import EPS, Y_HAT, Y, fill_template

_TEXT_LEAVES = {"y": "y", "y_hat": "ŷ", "one": "1", "neg_one": "-1"}
_LATEX_LEAVES = {"y": "y_i", "y_hat": r"\hat{y}_i", "one": "1", "neg_one": "-1"}


@functools.lru_cache(maxsize=65536)
def expression_text(expr) -> str:
    """Text of an expression tree (see `Genome.expression`)."""
    if isinstance(expr, str):
        return _TEXT_LEAVES[expr]
    return fill_template(ops_lib.OPS_BY_NAME[expr[0]].text, [expression_text(c) for c in expr[1:]])


def to_text(genome: Any) -> str:
    """The root's expression, e.g. `ln(|ŷ|+ε)` (flip not shown)."""
    return expression_text(genome.expression)


def to_paper(genome: Any) -> str:
    """Paper-style formula, e.g. `-1/n Σ_i y·ln(|ŷ|+ε)`."""
    sign = "-" if genome.flip else ""
    return f"{sign}1/n Σ_i ({to_text(genome)})"


def _latex(expr) -> str:
    if isinstance(expr, str):
        return _LATEX_LEAVES[expr]
    return ops_lib.OPS_BY_NAME[expr[0]].latex.format(*(_latex(c) for c in expr[1:]))


def to_latex(genome: Any) -> str:
    """LaTeX of the whole loss, e.g. `-\\frac{1}{n}\\sum_i \\left(...\\right)`."""
    sign = "-" if genome.flip else ""
    return rf"{sign}\frac{{1}}{{n}}\sum_i \left({_latex(genome.expression)}\right)"


def to_sympy(genome: Any, simplify: bool = False, eps: float | sp.Expr | None = None) -> sp.Expr:
    """The per-class term `±f(y, y_hat)` as a SymPy expression (the loss sums it over classes).

    Args:
      genome: the genome.
      simplify: run `sympy.simplify` on the result.
      eps: value for epsilon; default the positive symbol `epsilon`.
    """
    e = EPS if eps is None else sp.sympify(eps)
    leaves = {"y": Y, "y_hat": Y_HAT, "one": sp.Integer(1), "neg_one": sp.Integer(-1)}

    def build(expr):
        if isinstance(expr, str):
            return leaves[expr]
        return ops_lib.OPS_BY_NAME[expr[0]].sympy_fn(*(build(c) for c in expr[1:]), e)

    out = build(genome.expression)
    out = -out if genome.flip else out
    return sp.simplify(out) if simplify else out
