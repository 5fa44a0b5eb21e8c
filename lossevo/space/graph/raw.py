"""A light, unvalidated genome form for the search's inner loops.

Random initialisation and mutation make and discard thousands of candidates a second, most
of them invalid (cycles, unreachable inputs). They work on `RawGenome`s — five tuples
`(arity, unary_index, binary_index, arg1, arg2)`, `arg2 = -1` for unary nodes — and only
accepted candidates become validated `Genome`s. Like the authors' nodes, each raw node
keeps an op index for both arities; the other one is the node's dormant `alt_op`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph.genome import Genome, Node
from lossevo.space.graph.slots import NUM_INPUTS, ROOT, SLOT_NAMES

_UN = [op.name for op in ops_lib.UNARY_OPS]
_BIN = [op.name for op in ops_lib.BINARY_OPS]


class RawNode(NamedTuple):
    arity: int
    unary: int
    binary: int
    arg1: int
    arg2: int = -1


RawGenome = tuple[RawNode, RawNode, RawNode, RawNode, RawNode]


class _Cycle(Exception):
    pass


def analyse(raw: RawGenome):
    """Checks a raw genome's active graph.

    Returns `(expression, reason, order)`: the expression tree (None with reason "cycle"
    or "unreachable" when invalid) and the active node slots in topological order.
    """
    memo: dict[int, object] = {}
    visiting: set[int] = set()
    reached: set[int] = set()

    def build(slot: int):
        if slot < NUM_INPUTS:
            reached.add(slot)
            return SLOT_NAMES[slot]
        if slot in memo:
            return memo[slot]
        if slot in visiting:
            raise _Cycle
        visiting.add(slot)
        n = raw[slot - NUM_INPUTS]
        if n.arity == 1:
            e = (_UN[n.unary], build(n.arg1))
        else:
            e = (_BIN[n.binary], build(n.arg1), build(n.arg2))
        visiting.discard(slot)
        memo[slot] = e
        return e

    try:
        expr = build(ROOT)
    except _Cycle:
        return None, "cycle", ()
    if 0 not in reached or 1 not in reached:
        return None, "unreachable", ()
    return expr, "", tuple(memo)  # insertion order is post-order: topological


def active_node_slots(raw: RawGenome) -> list[int]:
    """Node slots (4–8) the root reaches, in slot order; follows edges without recursion."""
    seen = {ROOT}
    stack = [ROOT]
    while stack:
        n = raw[stack.pop() - NUM_INPUTS]
        for a in (n.arg1, n.arg2) if n.arity == 2 else (n.arg1,):
            if a >= NUM_INPUTS and a not in seen:
                seen.add(a)
                stack.append(a)
    return sorted(seen)


def to_genome(raw: RawGenome, flip: bool, order: tuple[int, ...] | None = None) -> Genome:
    """A `Genome` from a raw one; pass `order` (from `analyse`) only for a raw genome that
    passed `analyse`, to skip validating it again."""
    nodes = []
    for n in raw:
        if n.arity == 1:
            nodes.append(Node(_UN[n.unary], (n.arg1,), _BIN[n.binary]))
        else:
            nodes.append(Node(_BIN[n.binary], (n.arg1, n.arg2), _UN[n.unary]))
    if order is not None:
        return Genome._trusted(tuple(nodes), flip, order)
    return Genome(tuple(nodes), flip)


def from_genome(genome: Genome, rng: np.random.Generator | None = None) -> RawGenome:
    """Raw form of a genome; a missing `alt_op` is drawn uniformly (needs `rng`)."""
    out = []
    for node in genome.nodes:
        op = ops_lib.get(node.op)
        if node.alt_op is not None:
            alt = ops_lib.get(node.alt_op).index
        elif rng is not None:
            alt = int(rng.integers(len(ops_lib.table(3 - op.arity))))
        else:
            alt = 0
        if op.arity == 1:
            out.append(RawNode(1, op.index, alt, node.args[0]))
        else:
            out.append(RawNode(2, alt, op.index, node.args[0], node.args[1]))
    return tuple(out)  # type: ignore[return-value]
