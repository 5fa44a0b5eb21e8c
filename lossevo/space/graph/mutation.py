"""Mutation (docs/reference.md §4) with the similarity test against the population.

A node is picked uniformly among the active hidden nodes and the root; then with
r ~ U(0, 1): r >= 0.30 changes its op (same arity), 0.15 <= r < 0.30 changes a
connection, r < 0.15 switches its arity. A mutant must pass the structural checks, the
integrity check and the similarity test; failures are retried from the parent up to 2,500
times, after which the iteration is skipped (the paper's rule; the authors' code would
evaluate the last failed mutant, a bug this library does not copy).

A mutant is a copy of its parent, so it is checked carrying the parent's flip and the check
assigns its own (docs/reference.md §3, `phenotype.FLIP_RULES`); its stored phenotype is the check's, as
in the authors' code, and the similarity test compares stored phenotypes.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph import phenotype as pheno
from lossevo.space.graph import raw as raw_lib
from lossevo.space.graph.formula import expression_text, to_text
from lossevo.space.graph.genome import Genome
from lossevo.space.graph.raw import RawGenome
from lossevo.space.graph.sampling import Uniforms, check_raw
from lossevo.space.graph.slots import NUM_INPUTS

OP_CHANGE_MIN_R = 0.30
CONNECTION_MIN_R = 0.15
SWAP_P = 0.2
MAX_TRIES = 2500
NUM_SLOTS = 9
KINDS = ("op", "connection", "arity")


def propose(raw: RawGenome, u: Uniforms) -> tuple[RawGenome, str]:
    """One unchecked mutant of `raw` and the kind of change made."""
    r = u.next()
    active = raw_lib.active_node_slots(raw)
    slot = active[u.index(len(active))]
    n = raw[slot - NUM_INPUTS]
    if r >= OP_CHANGE_MIN_R:
        kind = "op"
        if n.arity == 1:
            n = n._replace(unary=u.choice_excluding(len(ops_lib.UNARY_OPS), (n.unary,)))
        else:
            n = n._replace(binary=u.choice_excluding(len(ops_lib.BINARY_OPS), (n.binary,)))
    else:
        edges = {n.arg1, n.arg2} if n.arity == 2 else {n.arg1}
        c = u.choice_excluding(NUM_SLOTS, edges)
        if r >= CONNECTION_MIN_R:
            kind = "connection"
            if n.arity == 1:
                n = n._replace(arg1=c)
            elif u.next() <= SWAP_P:
                n = n._replace(arg1=n.arg2, arg2=n.arg1)
            elif u.next() < 0.5:
                n = n._replace(arg1=c)
            else:
                n = n._replace(arg2=c)
        else:
            kind = "arity"
            if n.arity == 1:
                if u.next() <= 0.5:
                    n = n._replace(arity=2, arg2=c)
                else:
                    n = n._replace(arity=2, arg1=c, arg2=n.arg1)
            elif u.next() <= 0.5:
                n = n._replace(arity=1, arg2=-1)
            else:
                n = n._replace(arity=1, arg1=n.arg2, arg2=-1)
    child = list(raw)
    child[slot - NUM_INPUTS] = n
    return tuple(child), kind  # type: ignore[return-value]


class PopulationIndex:
    """Formula strings and normalised phenotypes of a population, for the similarity test.

    Args:
      genomes: the population.
      phenotypes: each member's stored phenotype (the one its integrity check returned);
        None entries, or None for all, use the member's own normalised curve
        (`binary_phenotype`), which is what the check stores for a random genome.
    """

    def __init__(self, genomes: Iterable[Genome] = (), phenotypes: Sequence[np.ndarray | None] | None = None):
        genomes = list(genomes)
        self.texts = {to_text(g) for g in genomes}
        stored = list(phenotypes) if phenotypes is not None else [None] * len(genomes)
        if len(stored) != len(genomes):
            raise ValueError(f"{len(genomes)} genomes but {len(stored)} phenotypes")
        rows = [pheno.binary_phenotype(g) if p is None else p for g, p in zip(genomes, stored, strict=True)]
        self.phenotypes = np.array(rows, np.float64).reshape(len(rows), pheno.GRID_SIZE)
        self._sq = (self.phenotypes**2).sum(axis=1)

    def is_similar(self, text: str, phenotype: np.ndarray) -> bool:
        if text in self.texts:
            return True
        if not len(self.phenotypes):
            return False
        p = np.asarray(phenotype, np.float64)
        # Squared distances by one matrix-vector product; near-threshold rows are then
        # confirmed with the exact norm, so the decision equals the reference's L2 <= 0.01 test.
        d2 = self._sq + p @ p - 2.0 * (self.phenotypes @ p)
        near = np.flatnonzero(d2 <= (2 * pheno.SIMILARITY_THRESHOLD) ** 2)
        return bool(near.size) and pheno.is_similar(text, phenotype, frozenset(), self.phenotypes[near])


@dataclasses.dataclass
class MutationResult:
    """A mutant (None when every try failed), its check, tries used, rejections by reason."""

    child: Genome | None
    check: pheno.CheckResult | None
    tries: int
    rejected: collections.Counter
    kind: str = ""


def try_mutation(
    raw: RawGenome, u: Uniforms, population: PopulationIndex | None, flip: bool = False
) -> tuple[RawGenome, str, tuple[int, ...], pheno.CheckResult]:
    """One mutation attempt with every check, the mutant carrying `flip` into the integrity
    check; result.reason says why it failed."""
    child, kind = propose(raw, u)
    expr, order, result = check_raw(child, flip)
    if result.ok and population is not None:
        if population.is_similar(expression_text(expr), result.phenotype):
            result = pheno.CheckResult(False, reason="similar")
    return child, kind, order, result


def mutate(
    parent: Genome,
    rng: np.random.Generator | Uniforms,
    population: PopulationIndex | Iterable[Genome] | None = None,
    max_tries: int = MAX_TRIES,
    rule: str = "code",
) -> MutationResult:
    """Mutates `parent` until a mutant passes every check, at most `max_tries` times.

    Args:
      parent: the genome to mutate (not changed).
      rng: a numpy Generator, or a `Uniforms` over one.
      population: the current population (or its `PopulationIndex`) for the similarity
        test; None skips that test.
      max_tries: the retry limit (2,500 in the papers).
      rule: the flip rule (`phenotype.FLIP_RULES`): "code" checks each mutant carrying the
        parent's flip, "unflipped" with no flip.
    """
    u = rng if isinstance(rng, Uniforms) else Uniforms(rng)
    if population is not None and not isinstance(population, PopulationIndex):
        population = PopulationIndex(population)
    flip = pheno.checked_flip(parent.flip, rule)
    raw = raw_lib.from_genome(parent, u._rng)
    rejected: collections.Counter = collections.Counter()
    for tries in range(1, max_tries + 1):
        child, kind, order, result = try_mutation(raw, u, population, flip)
        if result.ok:
            genome = raw_lib.to_genome(child, result.flip, order)
            return MutationResult(genome, result, tries, rejected, kind)
        rejected[result.reason] += 1
    return MutationResult(None, None, max_tries, rejected)
