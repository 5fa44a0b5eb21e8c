"""Tree expressions as plain values: a leaf (`"y"`, `"y_hat"` or a float constant) or a node
`(op_name, child, ...)`; their validation and the structural helpers the tree space uses
(size, height, positions, subtree replacement)."""

from __future__ import annotations

import math
from typing import Any

from lossevo.space.bounds import check_nesting
from lossevo.space.errors import GenomeError, quote
from lossevo.space.tree import ops as ops_lib

MAX_HEIGHT = 200  # guards against absurd JSON, far above what the search grows (100 nodes)
MAX_SIZE = 10_000

Expr = str | float | tuple  # a leaf, or (op_name, child, ...)
Path = tuple[int, ...]  # child indices from the root


def _children(value: Any) -> Any:
    return value[1:] if isinstance(value, tuple | list) else None


def canonical(value: Any, field: str) -> Expr:
    """A validated expression with tuples for nodes and floats for constants.

    Its size and height are checked first, visiting each list once: a node that holds one
    sub-list twice at every level (2^40 paths in 41 lists) is refused at once, not walked."""
    check_nesting(value, field, max_nodes=MAX_SIZE, max_depth=MAX_HEIGHT, children=_children, unit="nodes")
    return _canonical(value, field, 0)


def _canonical(value: Any, field: str, depth: int) -> Expr:
    if depth > MAX_HEIGHT:
        raise GenomeError(field, f"the tree is deeper than {MAX_HEIGHT}")
    if isinstance(value, str):
        if value in ops_lib.TERMINALS:
            return value
        if value in ops_lib.OPS_BY_NAME:
            raise GenomeError(field, f"op {value!r} used as a leaf; write it as [{value!r}, args...]")
        raise GenomeError(field, f"unknown leaf {quote(value)}; leaves are 'y', 'y_hat' or a number")
    if isinstance(value, bool):
        raise GenomeError(field, "a constant must be a number, got a bool")
    if isinstance(value, int | float):
        try:
            constant = float(value)
        except OverflowError:  # an integer beyond float's range
            constant = math.inf
        if not math.isfinite(constant):
            raise GenomeError(field, f"a constant must be finite, got {quote(value)}")
        return constant
    if isinstance(value, tuple | list):
        if not value:
            raise GenomeError(field, "an empty node; expected [op, args...]")
        name = value[0]
        if not isinstance(name, str):
            raise GenomeError(f"{field}[0]", f"expected an op name, got {type(name).__name__}")
        try:
            op = ops_lib.get(name)
        except KeyError as e:
            raise GenomeError(f"{field}[0]", e.args[0]) from None
        if len(value) - 1 != op.arity:
            raise GenomeError(field, f"op {name!r} takes {op.arity} argument(s), got {len(value) - 1}")
        children = (_canonical(c, f"{field}[{i}]", depth + 1) for i, c in enumerate(value[1:], start=1))
        return (name, *children)
    raise GenomeError(field, f"expected a leaf or [op, args...], got {type(value).__name__}")


def is_node(expr: Expr) -> bool:
    return isinstance(expr, tuple)


def size(expr: Expr) -> int:
    """Number of nodes and leaves."""
    return 1 + sum(size(c) for c in expr[1:]) if is_node(expr) else 1


def height(expr: Expr) -> int:
    """Edges on the longest root-to-leaf path (a leaf has height 0)."""
    return 1 + max(height(c) for c in expr[1:]) if is_node(expr) else 0


def leaves(expr: Expr) -> list:
    """The leaves, left to right."""
    return [x for c in expr[1:] for x in leaves(c)] if is_node(expr) else [expr]


def positions(expr: Expr) -> list[tuple[Path, Expr]]:
    """Every `(path, subtree)` in prefix order; the root's path is `()`."""
    out: list[tuple[Path, Expr]] = []

    def walk(e: Expr, path: Path) -> None:
        out.append((path, e))
        if is_node(e):
            for i, c in enumerate(e[1:], start=1):
                walk(c, (*path, i))

    walk(expr, ())
    return out


def depth_of(path: Path) -> int:
    return len(path)


def get_at(expr: Expr, path: Path) -> Expr:
    for i in path:
        expr = expr[i]
    return expr


def replace_at(expr: Expr, path: Path, new: Expr) -> Expr:
    """`expr` with the subtree at `path` replaced by `new`."""
    if not path:
        return new
    i, rest = path[0], path[1:]
    return (*expr[:i], replace_at(expr[i], rest, new), *expr[i + 1 :])


def to_json_value(expr: Expr) -> Any:
    return [expr[0], *(to_json_value(c) for c in expr[1:])] if is_node(expr) else expr
