"""Rendering helpers every representation's formulas share: operand bracketing for text
templates, and the SymPy symbols of the per-class term."""

from __future__ import annotations

import re

import sympy as sp

_IDENT = re.compile(r"^[\wŷ.]+$")
_CALL = re.compile(r"^[A-Za-z_][\w]*\(")

Y = sp.Symbol("y", nonnegative=True)
Y_HAT = sp.Symbol("y_hat", positive=True)
EPS = sp.Symbol("epsilon", positive=True)


def _closes_at_end(s: str, start: int) -> bool:
    depth = 0
    for i in range(start, len(s)):
        depth += {"(": 1, ")": -1}.get(s[i], 0)
        if depth == 0:
            return i == len(s) - 1
    return False


def _atomic(s: str) -> bool:
    if _IDENT.match(s):
        return True
    m = _CALL.match(s)
    if m and _closes_at_end(s, m.end() - 1):
        return True
    return s.startswith("|") and s.endswith("|") and s.count("|") == 2


def fill_template(template: str, args: list[str]) -> str:
    """An op's text template with its operands: `[{i}]` bracketed unless atomic, `{i}` as is."""
    out = template
    for i, a in enumerate(args):
        out = out.replace(f"[{{{i}}}]", a if _atomic(a) else f"({a})")
        out = out.replace(f"{{{i}}}", a)
    return out
