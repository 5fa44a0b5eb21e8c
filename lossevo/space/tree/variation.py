"""Variation of trees (paper 003 §3): subtree crossover, subtree mutation, one-point mutation.

Crossover and mutation points are uniform over all positions of a tree (leaves included).

- `subtree_crossover(a, b)`: the subtree at a random point of `a` replaced by the subtree
  at a random point of `b` (one child, as the paper's Algorithm 1 makes one per parent).
- `subtree_mutation(a)`: the subtree at a random point replaced by a new random subtree of
  height 0..`Limits.mutation_max_height` (ramped half-and-half).
- `one_point_mutation(a)`: the node at a random point replaced by another of the same kind:
  an operator by a different operator of the same arity (children kept), a terminal by a
  different terminal (a constant by `y`, `y_hat` or a new constant).

`make_child` applies them in the paper's order with its rates and retries the whole draw
until the child passes `validity.check_expression`; after `max_tries` failures the child is
a new random tree (the paper: a discarded function is replaced by a newly generated one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from lossevo.space.tree import growth
from lossevo.space.tree import ops as ops_lib
from lossevo.space.tree.expr import Expr, get_at, is_node, positions, replace_at
from lossevo.space.tree.genome import TreeGenome
from lossevo.space.tree.validity import DEFAULT_LIMITS, Limits, check_expression

MAX_TRIES = 100


@dataclasses.dataclass(frozen=True)
class Rates:
    """Paper 003's rates: crossover `Cr`, subtree mutation `Ms`, one-point mutation `Mo`."""

    crossover: float = 0.7
    subtree_mutation: float = 0.3
    one_point_mutation: float = 0.1

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if not 0.0 <= getattr(self, f.name) <= 1.0:
                raise ValueError(f"rate {f.name} must be in [0, 1], got {getattr(self, f.name)}")


DEFAULT_RATES = Rates()


def _point(expr: Expr, rng: np.random.Generator) -> tuple[int, ...]:
    pos = positions(expr)
    return pos[int(rng.integers(len(pos)))][0]


def subtree_crossover(a: Expr, b: Expr, rng: np.random.Generator) -> Expr:
    """`a` with a random subtree replaced by a random subtree of `b`."""
    target = _point(a, rng)
    donor = get_at(b, _point(b, rng))
    return replace_at(a, target, donor)


def subtree_mutation(a: Expr, rng: np.random.Generator, limits: Limits = DEFAULT_LIMITS) -> Expr:
    """`a` with a random subtree replaced by a new random one."""
    target = _point(a, rng)
    method = "grow" if rng.random() < 0.5 else "full"
    return replace_at(a, target, growth.generate(rng, 0, limits.mutation_max_height, method, limits))


def one_point_mutation(a: Expr, rng: np.random.Generator, limits: Limits = DEFAULT_LIMITS) -> Expr:
    """`a` with one node replaced by a different node of the same arity."""
    target = _point(a, rng)
    old = get_at(a, target)
    if is_node(old):
        choices = [op.name for op in ops_lib.of_arity(len(old) - 1) if op.name != old[0]]
        new: Expr = (choices[int(rng.integers(len(choices)))], *old[1:])
    else:
        kinds = [k for k in ("y", "y_hat", "R") if k != old]  # a constant may become a new one
        k = kinds[int(rng.integers(len(kinds)))]
        new = growth.random_constant(rng, limits) if k == "R" else k
    return replace_at(a, target, new)


def make_child(
    parent: TreeGenome,
    partner: TreeGenome | None,
    rng: np.random.Generator,
    rates: Rates = DEFAULT_RATES,
    limits: Limits = DEFAULT_LIMITS,
    max_tries: int = MAX_TRIES,
) -> tuple[TreeGenome, tuple[str, ...]]:
    """One valid child of `parent` and the operators applied to make it.

    With probability `rates.crossover` the child starts as a crossover of `parent` with
    `partner` (none when `partner` is None), else as a copy of `parent`; then subtree
    mutation with probability `rates.subtree_mutation` and one-point mutation with
    `rates.one_point_mutation`. The operators may leave the parent unchanged (no draw
    fired): the child is then an exact copy, `()` is returned, and the caller decides.
    """
    for _ in range(max_tries):
        expr, applied = parent.expression, []
        if partner is not None and rng.random() < rates.crossover:
            expr = subtree_crossover(expr, partner.expression, rng)
            applied.append("crossover")
        if rng.random() < rates.subtree_mutation:
            expr = subtree_mutation(expr, rng, limits)
            applied.append("subtree_mutation")
        if rng.random() < rates.one_point_mutation:
            expr = one_point_mutation(expr, rng, limits)
            applied.append("one_point_mutation")
        if expr == parent.expression:
            return parent, ()
        if check_expression(expr, limits):
            return TreeGenome(expr), tuple(applied)
    return growth.random_tree(rng, limits), ("random",)


def mutate_tree(
    parent: TreeGenome,
    rng: np.random.Generator,
    population: Iterable[TreeGenome] = (),
    limits: Limits = DEFAULT_LIMITS,
    rates: Rates = DEFAULT_RATES,
    max_tries: int = 2500,
) -> TreeGenome | None:
    """A mutant for regularized evolution on trees (the `mutate` hook of
    `RegularizedEvolution`): subtree or one-point mutation, in the ratio of their rates
    (3 : 1), until the mutant is valid and differs from every member of `population`
    (the tree analogue of the graph search's similarity test). None after `max_tries`."""
    taken = {g.expression for g in population} | {parent.expression}
    p_subtree = rates.subtree_mutation / (rates.subtree_mutation + rates.one_point_mutation)
    for _ in range(max_tries):
        if rng.random() < p_subtree:
            expr = subtree_mutation(parent.expression, rng, limits)
        else:
            expr = one_point_mutation(parent.expression, rng, limits)
        if expr not in taken and check_expression(expr, limits):
            return TreeGenome(expr)
    return None
