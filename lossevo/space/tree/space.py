"""The expression-tree search space (paper 003, docs/reference.md §12) as one object the engines call.

`TreeSpace.sample(n, rng)` grows random trees (ramped half-and-half within the limits);
`vary(parent, partner, rng)` makes a child by the paper's crossover and mutations (the
genetic-programming engine); `mutate(parent, rng, population)` makes a mutant that differs
from every member (regularized evolution over trees).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossevo.space.tree import growth, variation
from lossevo.space.tree.genome import KIND, TreeGenome
from lossevo.space.tree.validity import DEFAULT_LIMITS, RANGE_RULES, Limits
from lossevo.space.tree.variation import DEFAULT_RATES, MAX_TRIES, Rates

OPTIONS = {"range_rule": RANGE_RULES, "duplicates": ("refuse", "allow")}


@dataclasses.dataclass(frozen=True)
class Mutant:
    genome: TreeGenome
    stored: None = None


@dataclasses.dataclass(frozen=True)
class TreeSpace:
    """Growth and variation of trees under paper 003's limits and rates.

    Attributes:
      limits: height, size, value range and constants (`validity.Limits`).
      rates: crossover, subtree-mutation and one-point-mutation rates.
      max_tries: draws per child before it is replaced by a new random tree (`vary`), or
        before a mutation gives up (`mutate`, 2,500 tries).
      duplicates: "refuse" (no tree twice in a population, lossevo's reading where the paper
        is silent) or "allow" (lossevo's first build); read by the GP engine.
    """

    limits: Limits = DEFAULT_LIMITS
    rates: Rates = DEFAULT_RATES
    max_tries: int = MAX_TRIES
    duplicates: str = "refuse"
    kind = KIND

    @classmethod
    def from_options(cls, options: dict) -> TreeSpace:
        """The space of a search's `space` options: `range_rule` ("loss", the paper's; "term",
        the first build's) and `duplicates` ("refuse"; "allow", the first build's)."""
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ValueError(f"unknown tree space options {unknown}; options: {', '.join(OPTIONS)}")
        duplicates = options.get("duplicates", "refuse")
        if duplicates not in OPTIONS["duplicates"]:
            raise ValueError(
                f"duplicates must be one of {', '.join(OPTIONS['duplicates'])}, got {duplicates!r}"
            )
        limits = dataclasses.replace(
            DEFAULT_LIMITS, range_rule=options.get("range_rule", "loss")
        )  # checks it
        return cls(limits=limits, duplicates=duplicates)

    def sample(self, n: int, rng: np.random.Generator) -> list[TreeGenome]:
        return growth.sample_trees(n, rng, self.limits)

    def vary(
        self, parent: TreeGenome, partner: TreeGenome | None, rng: np.random.Generator
    ) -> tuple[TreeGenome, tuple[str, ...]]:
        """One child of `parent` (crossover with `partner` when not None) and the operators
        applied; `()` when none fired and the child is `parent` itself."""
        return variation.make_child(parent, partner, rng, self.rates, self.limits, self.max_tries)

    def mutate(
        self, parent: TreeGenome, rng: np.random.Generator, population: Sequence[Any]
    ) -> Mutant | None:
        child = variation.mutate_tree(parent, rng, [m.genome for m in population], self.limits, self.rates)
        return None if child is None else Mutant(child)
