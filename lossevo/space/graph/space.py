"""The hidden-state graph search space (docs/reference.md §2–4) as one object the engines call.

`GraphSpace.sample(n, rng)` draws valid random genomes (docs/reference.md §2–3); `mutate(parent, rng,
population)` makes one mutant (docs/reference.md §4) that passes the structural checks, the integrity
check (with the flip rule, `phenotype.FLIP_RULES`) and the similarity test against the
population's stored phenotypes, and returns it with its own stored phenotype, or None after
`max_tries` failures (the iteration is skipped).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossevo.space.graph.genome import KIND, Genome
from lossevo.space.graph.mutation import MAX_TRIES, PopulationIndex, mutate
from lossevo.space.graph.phenotype import FLIP_RULES
from lossevo.space.graph.sampling import sample_population


@dataclasses.dataclass(frozen=True)
class Mutant:
    """A mutant and the binary phenotype its integrity check stored (docs/reference.md §3)."""

    genome: Genome
    stored: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class GraphSpace:
    """Random initialisation and mutation of graph genomes.

    Attributes:
      flip_rule: "code" (the authors': a mutant is checked carrying its parent's flip) or
        "unflipped".
      max_tries: mutants tried per mutation (2,500 in the papers).
    """

    flip_rule: str = "code"
    max_tries: int = MAX_TRIES
    kind = KIND

    def __post_init__(self):
        if self.flip_rule not in FLIP_RULES:
            raise ValueError(f"unknown flip rule {self.flip_rule!r}; rules: {', '.join(FLIP_RULES)}")

    @classmethod
    def from_options(cls, options: dict, max_tries: int = MAX_TRIES) -> GraphSpace:
        """The space of a search's `space` options (`flip_rule`); unknown ones are an error."""
        unknown = sorted(set(options) - {"flip_rule"})
        if unknown:
            raise ValueError(f"unknown graph space options {unknown}; the graph space takes flip_rule")
        return cls(options.get("flip_rule", "code"), max_tries)

    def sample(self, n: int, rng: np.random.Generator) -> list[Genome]:
        return sample_population(n, rng)

    def mutate(self, parent: Genome, rng: np.random.Generator, population: Sequence[Any]) -> Mutant | None:
        """A mutant of `parent`, or None; `population` holds members with `genome` and
        `stored` (None: the member's own normalised curve, as stored for random genomes)."""
        index = PopulationIndex([m.genome for m in population], [m.stored for m in population])
        result = mutate(parent, rng, index, self.max_tries, self.flip_rule)
        if result.child is None:
            return None
        return Mutant(result.child, result.check.phenotype)
