"""The expression-tree genome of the GP search (paper 003, docs/reference.md §12): an immutable value.

An expression is a leaf or a node. A leaf is `"y"` (target), `"y_hat"` (prediction) or a
float constant; a node is a tuple `(op_name, child, ...)` with one child per argument of the
op (`lossevo.space.tree.ops`). Height counts edges (a leaf has height 0, as in DEAP), size counts
nodes and leaves. The paper's rule that both `y` and `y_hat` appear is part of validity;
the search limits (min height, max size) and the value-range check are in
`lossevo.space.tree.validity`, since they constrain the search, not what a loss can be.

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
from typing import Any

from lossevo.space.base import ModuleGenome
from lossevo.space.envelope import SCHEMA_VERSION, check_header
from lossevo.space.errors import GenomeError
from lossevo.space.tree import evaluate, formula
from lossevo.space.tree import ops as ops_lib
from lossevo.space.tree.expr import Expr, canonical, height, leaves, size, to_json_value

KIND = "tree"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)  # repr: ModuleGenome's
class TreeGenome(ModuleGenome):
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
        expr = canonical(self.expression, "expression")
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

    _evaluate = evaluate  # the protocol's per_example and renderings (ModuleGenome)
    _formula = formula

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

    @classmethod
    def from_dict(cls, data: Any) -> TreeGenome:
        """Builds a tree genome from its JSON dict; every problem raises `GenomeError`."""
        check_header(data, KIND, {"expression"})
        if "expression" not in data:
            raise GenomeError("expression", "missing")
        return cls(data["expression"])
