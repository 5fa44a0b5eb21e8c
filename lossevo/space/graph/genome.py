"""The hidden-state graph genome (docs/reference.md §1): an immutable, validated value.

Slots, in the authors' order: 0 `y`, 1 `y_hat`, 2 `one`, 3 `neg_one` (inputs),
4–7 `h0`–`h3` (hidden nodes), 8 `root`. Each node applies one op to one or two argument
slots. Only nodes the root reaches are *active*; equality and `hash_hex` depend on the
active graph alone (as an expression tree, so relabelling hidden nodes does not matter).

JSON form (schema version 1)::

    {"schema_version": 1, "kind": "graph",
     "nodes": {"h0": {"op": "div", "args": ["y_hat", "y"], "alt_op": "sin"},
               "h1": ..., "h2": ..., "h3": ...,
               "root": {"op": "ln", "args": ["h0"]}},
     "flip": true}

`alt_op` is the node's dormant op of the other arity, used when mutation switches the
node's arity (the authors' nodes keep both); it may be omitted.
"""

from __future__ import annotations

import dataclasses
import functools
import graphlib
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from lossevo.space.base import ModuleGenome
from lossevo.space.envelope import SCHEMA_VERSION, check_header
from lossevo.space.errors import GenomeError, quote
from lossevo.space.graph import evaluate, formula
from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph.slots import (
    NUM_INPUTS,
    ROOT,
    SLOT_INDEX,
    SLOT_NAMES,
    Y_HAT,
    Y,
)

KIND = "graph"


@dataclasses.dataclass(frozen=True)
class Node:
    """One node: an op name, its argument slots (ints 0–8), the dormant other-arity op."""

    op: str
    args: tuple[int, ...]
    alt_op: str | None = None

    @property
    def arity(self) -> int:
        return len(self.args)


def _slot(value: Any, field: str) -> int:
    if isinstance(value, str):
        if value in SLOT_INDEX:
            return SLOT_INDEX[value]
        raise GenomeError(field, f"unknown slot {quote(value)}; slots are {', '.join(SLOT_NAMES)}")
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(SLOT_NAMES):
            return value
        raise GenomeError(field, f"slot {value} out of range 0..{len(SLOT_NAMES) - 1}")
    raise GenomeError(field, f"a slot must be a slot name or an int, got {type(value).__name__}")


def _check_node(node: Any, field: str) -> Node:
    if not isinstance(node, Node):
        raise GenomeError(field, f"expected a Node, got {type(node).__name__}")
    if not isinstance(node.op, str):
        raise GenomeError(f"{field}.op", f"op must be a string, got {type(node.op).__name__}")
    try:
        op = ops_lib.get(node.op)
    except KeyError as e:
        raise GenomeError(f"{field}.op", e.args[0]) from None
    if not isinstance(node.args, tuple):
        raise GenomeError(f"{field}.args", "args must be a tuple")
    if len(node.args) != op.arity:
        raise GenomeError(
            f"{field}.args",
            f"op {op.name!r} takes {op.arity} argument(s), got {len(node.args)}",
        )
    args = tuple(_slot(a, f"{field}.args[{i}]") for i, a in enumerate(node.args))
    if len(args) == 2 and args[0] == args[1]:
        raise GenomeError(f"{field}.args", "a binary node's two arguments must be different slots")
    if node.alt_op is not None:
        if not isinstance(node.alt_op, str):
            raise GenomeError(f"{field}.alt_op", "alt_op must be a string or null")
        try:
            alt = ops_lib.get(node.alt_op)
        except KeyError as e:
            raise GenomeError(f"{field}.alt_op", e.args[0]) from None
        if alt.arity == op.arity:
            raise GenomeError(
                f"{field}.alt_op", f"alt_op {alt.name!r} must have the other arity than op {op.name!r}"
            )
    return Node(node.op, args, node.alt_op)


def active_slots(nodes: Sequence[Node]) -> frozenset[int]:
    """Slots the root reaches (the root included), following argument edges."""
    seen = {ROOT}
    stack = [ROOT]
    while stack:
        slot = stack.pop()
        if slot < NUM_INPUTS:
            continue
        for a in nodes[slot - NUM_INPUTS].args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return frozenset(seen)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)  # repr: ModuleGenome's
class Genome(ModuleGenome):
    """An immutable, validated hidden-state graph genome.

    Args:
      nodes: five `Node`s, for h0, h1, h2, h3 and the root.
      flip: negate the loss (set by the integrity check for decreasing phenotypes).

    Raises:
      GenomeError: naming the bad field, for an unknown op, wrong arity, a slot out of
        range, a cycle among active nodes, or `y`/`y_hat` unreachable from the root.
    """

    nodes: tuple[Node, ...]
    flip: bool = False
    kind = KIND  # the representation (class attribute, not a field)

    def __post_init__(self):
        if not isinstance(self.nodes, tuple) or len(self.nodes) != 5:
            raise GenomeError("nodes", "expected 5 nodes (h0, h1, h2, h3, root)")
        nodes = tuple(_check_node(n, f"nodes.{SLOT_NAMES[NUM_INPUTS + i]}") for i, n in enumerate(self.nodes))
        if not isinstance(self.flip, bool):
            raise GenomeError("flip", f"flip must be a bool, got {type(self.flip).__name__}")
        object.__setattr__(self, "nodes", nodes)
        # Validate the active graph: acyclic, and y and y_hat reachable.
        _ = self.order
        active = self.active
        for slot in (Y, Y_HAT):
            if slot not in active:
                raise GenomeError("nodes", f"input {SLOT_NAMES[slot]!r} is not reachable from the root")

    @classmethod
    def _trusted(cls, nodes: tuple[Node, ...], flip: bool, order: tuple[int, ...]) -> Genome:
        """Builds a genome the search has already checked (valid ops, acyclic, y and ŷ
        reached, `order` topological) without validating it again. Internal."""
        g = object.__new__(cls)
        object.__setattr__(g, "nodes", nodes)
        object.__setattr__(g, "flip", flip)
        g.__dict__["order"] = order
        return g

    # -- structure -------------------------------------------------------------------
    def node(self, slot: int) -> Node:
        return self.nodes[slot - NUM_INPUTS]

    @functools.cached_property
    def active(self) -> frozenset[int]:
        """Active slots: inputs and nodes the root reaches, the root included."""
        return active_slots(self.nodes)

    @functools.cached_property
    def order(self) -> tuple[int, ...]:
        """Active node slots in a topological order (arguments first, root last)."""
        active = active_slots(self.nodes)
        graph = {s: set(self.node(s).args) for s in active if s >= NUM_INPUTS}
        try:
            order = tuple(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError as e:
            cycle = " -> ".join(SLOT_NAMES[s] for s in e.args[1])
            raise GenomeError("nodes", f"the active graph has a cycle: {cycle}") from None
        return tuple(s for s in order if s >= NUM_INPUTS)

    @functools.cached_property
    def expression(self) -> tuple:
        """The active graph as a nested tuple tree: `('op', child, ...)` or a slot name."""

        @functools.cache
        def build(slot: int):
            if slot < NUM_INPUTS:
                return SLOT_NAMES[slot]
            n = self.node(slot)
            return (n.op, *(build(a) for a in n.args))

        return build(ROOT)

    _evaluate = evaluate  # the protocol's per_example and renderings (ModuleGenome)
    _formula = formula

    @functools.cached_property
    def hash_hex(self) -> str:
        """A stable hash of the active graph and flip (16 hex digits)."""
        payload = json.dumps([self.expression, self.flip], separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Genome):
            return NotImplemented
        return self.flip == other.flip and self.expression == other.expression

    def __hash__(self) -> int:
        return hash((self.expression, self.flip))

    def replace(self, **changes) -> Genome:
        return dataclasses.replace(self, **changes)

    # -- JSON ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        nodes = {}
        for i, n in enumerate(self.nodes):
            d: dict[str, Any] = {"op": n.op, "args": [SLOT_NAMES[a] for a in n.args]}
            if n.alt_op is not None:
                d["alt_op"] = n.alt_op
            nodes[SLOT_NAMES[NUM_INPUTS + i]] = d
        return {"schema_version": SCHEMA_VERSION, "kind": KIND, "nodes": nodes, "flip": self.flip}

    @classmethod
    def from_dict(cls, data: Any) -> Genome:
        """Builds a genome from its JSON dict; every problem raises `GenomeError`."""
        check_header(data, KIND, {"nodes", "flip"}, default_kind=KIND)
        raw_nodes = data.get("nodes")
        if not isinstance(raw_nodes, Mapping):
            raise GenomeError("nodes", "expected an object mapping h0..h3 and root to nodes")
        names = SLOT_NAMES[NUM_INPUTS:]
        extra = [k for k in raw_nodes if k not in names]
        if extra:
            raise GenomeError(f"nodes.{extra[0]}", f"unknown node; nodes are {', '.join(names)}")
        nodes = []
        for name in names:
            field = f"nodes.{name}"
            raw = raw_nodes.get(name)
            if not isinstance(raw, Mapping):
                raise GenomeError(field, "missing node, or not an object")
            bad = set(raw) - {"op", "args", "alt_op"}
            if bad:
                raise GenomeError(f"{field}.{sorted(map(str, bad))[0]}", "unknown field")
            args = raw.get("args")
            if not isinstance(args, list):
                raise GenomeError(f"{field}.args", "expected a list of slot names")
            op = raw.get("op")
            if not isinstance(op, str):
                raise GenomeError(f"{field}.op", "expected an op name")
            nodes.append(Node(op, tuple(args), raw.get("alt_op")))
        flip = data.get("flip", False)
        return cls(tuple(nodes), flip)


def make(nodes: Mapping[str, tuple], flip: bool = False, fill: Node | None = None) -> Genome:
    """Convenience builder: `make({"h0": ("ln", "y_hat"), "root": ("mul", "y", "h0")})`.

    Each value is `(op, *arg_slots)`. Hidden nodes not given are filled with `fill`
    (default: an inactive `neg(y)`), which the root does not reach.
    """
    fill = fill or Node("neg", (Y,))
    names = SLOT_NAMES[NUM_INPUTS:]
    out = []
    for name in names:
        if name in nodes:
            op, *args = nodes[name]
            out.append(Node(op, tuple(args)))
        else:
            out.append(fill)
    extra = set(nodes) - set(names)
    if extra:
        raise GenomeError(f"nodes.{sorted(extra)[0]}", f"unknown node; nodes are {', '.join(names)}")
    return Genome(tuple(out), flip)
