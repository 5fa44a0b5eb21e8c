"""The expression-tree genome of the GP search (paper 003, SPEC §12): an immutable value.

An expression is a leaf or a node. A leaf is `"y"` (target), `"y_hat"` (prediction) or a
float constant; a node is a tuple `(op_name, child, ...)` with one child per argument of the
op (`lossevo.gp.ops`). Height counts edges (a leaf has height 0, as in DEAP), size counts
nodes and leaves. The paper's rule that both `y` and `y_hat` appear is part of validity;
the search limits (min height, max size) and the value-range check are in
`lossevo.gp.validity`, since they constrain the search, not what a loss can be.

The loss of a tree is the *mean* over classes of its element-wise value, as the paper's
formulas write it (`1/N Σ_i`), then the mean over the batch.

JSON form (schema version 1), children nested as lists in prefix order::

    {"schema_version": 1, "kind": "tree",
     "expression": ["sub", ["exp", ["sub", ["sub", 2.4092, "y_hat"], ["mul", "y_hat", "y"]]],
                           ["cos", ["cos", ["sin", "y_hat"]]]]}
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from typing import Any

from lossevo.genome.genome import GenomeError, check_header, parse_json, quote
from lossevo.gp import ops as ops_lib

SCHEMA_VERSION = 1
KIND = "tree"
MAX_HEIGHT = 200  # a guard against absurd JSON, far above what the search grows

Expr = str | float | tuple  # a leaf, or (op_name, child, ...)
Path = tuple[int, ...]  # child indices from the root


def _canonical(value: Any, field: str, depth: int = 0) -> Expr:
    """A validated expression with tuples for nodes and floats for constants."""
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


@dataclasses.dataclass(frozen=True, eq=False)
class TreeGenome:
    """An immutable, validated expression-tree loss genome.

    Args:
      expression: a leaf (`"y"`, `"y_hat"`, a number) or `(op, child, ...)`; lists are
        accepted and stored as tuples, ints as floats.

    Raises:
      GenomeError: naming the bad position (e.g. `expression[1][2][0]`) for an unknown op
        or leaf, a wrong number of arguments, a non-finite constant, or — for the whole
        `expression` — a tree in which `y` or `y_hat` does not appear.

    Example:
      >>> TreeGenome(("mul", "y", ("log", "y_hat"))).size
      4
    """

    expression: Expr

    def __post_init__(self):
        expr = _canonical(self.expression, "expression")
        present = set(leaves(expr))
        missing = [t for t in ops_lib.TERMINALS if t not in present]
        if missing:
            raise GenomeError("expression", f"{' and '.join(missing)} must appear in the tree (paper 003)")
        object.__setattr__(self, "expression", expr)

    kind = KIND

    @functools.cached_property
    def size(self) -> int:
        return size(self.expression)

    @functools.cached_property
    def height(self) -> int:
        return height(self.expression)

    @functools.cached_property
    def hash_hex(self) -> str:
        """A stable hash of the expression (16 hex digits)."""
        payload = json.dumps([KIND, to_json_value(self.expression)], separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeGenome):
            return NotImplemented
        return self.expression == other.expression

    def __hash__(self) -> int:
        return hash((KIND, self.expression))

    # -- JSON ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "kind": KIND, "expression": to_json_value(self.expression)}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Any) -> TreeGenome:
        """Builds a tree genome from its JSON dict; every problem raises `GenomeError`."""
        check_header(data, KIND, {"expression"})
        if "expression" not in data:
            raise GenomeError("expression", "missing")
        return cls(data["expression"])

    @classmethod
    def from_json(cls, text: str | bytes) -> TreeGenome:
        return cls.from_dict(parse_json(text))

    def __repr__(self) -> str:
        from lossevo.gp.formula import to_text

        return f"TreeGenome({to_text(self)!r}, hash={self.hash_hex})"
