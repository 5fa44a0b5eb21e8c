"""Genetic programming as an ask/tell engine (paper 003 Alg. 1, docs/reference.md §12).

    engine = GeneticProgramming(np.random.default_rng(0), TreeSpace())
    while not engine.done:
        batch = engine.ask(8)                    # candidates to evaluate (any order)
        engine.tell([(c, evaluate(c)) for c in batch])

Same base as `RegularizedEvolution` (`lossevo.search.engine.Engine`: `ask`, `tell`,
`done`, `population`, `history`, `best`), so the search loop drives either.

1. `initial`: `population_size` (n = 16) random trees (ramped half-and-half, or given
   seeds) are evaluated; they form generation 0.
2. `evolve`, for each of `generations` (T = 100) generations: every member, in turn, makes
   one child (`TreeSpace.vary`): crossover with probability 0.7 with a partner drawn
   from the external archive with probability 0.5 (when it is not empty) or else uniformly
   from the other members; then subtree mutation with probability 0.3 and one-point
   mutation with probability 0.1. Children are evaluated; the best n of parents and
   children form the next generation ((μ+λ) selection); every one that was not selected
   enters the archive with probability 0.5 (the archive holds at most n; when full, a new
   entry replaces a uniformly drawn one).

Fitness is *higher is better*, like the rest of lossevo: validation accuracy, i.e. one minus
the paper's validation error, so the ranking is the paper's. For the paper's multi-dataset
mode see `lossevo.fitness.pair`, which encodes its (wins, improvement) pair as one
float that orders like the pair. A fitness of None or NaN is a failure: the child ranks
below every successful one and never enters the archive; a generation of failures only
keeps the parents, and the run goes on.

A child no operator changed is its parent: it is not evaluated again nor added to the pool
twice. Where the paper is silent, no tree is in a population twice (`unique`, the graph
search's similarity rule as the model): generation 0 redraws a duplicate tree, and the
selection keeps the best-ranked copy of a tree (the others neither survive nor enter the
archive). `unique=False` is lossevo's first build, which allowed copies. Ties in fitness keep the older individual (lower candidate id). The engine is
deterministic given its RNG and the results told, which makes a journal replay exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from lossevo.search.engine import Engine, Stage, population_stats
from lossevo.search.types import Candidate, Member, succeeded


class GeneticProgramming(Engine):
    """Paper 003's tree GP with (μ+λ) selection and a success-history archive.

    Args:
      rng: the only source of randomness.
      population_size: n (16).
      generations: T (100).
      archive_rate: `Cr_A`, the probability that a crossover partner comes from the
        archive (0.5).
      archive_keep: `p_A`, the probability that an individual not selected enters the
        archive (0.5).
      archive_size: `n_A` (default: `population_size`).
      seeds: known trees to include in generation 0 (e.g. the NGL tree).
      space: a search space that also varies (`vary(parent, partner, rng)`: crossover and
        mutation); `lossevo.space.TreeSpace()` holds the paper's limits, rates and tries.
      unique: refuse duplicate trees in a population (None: the space's `duplicates`
        option, "refuse" by default).
    """

    name = "gp"
    stages = (Stage("initial", "fitness", "population_size"), Stage("evolve", "fitness"))
    linked: ClassVar[dict[str, str]] = {"initial_size": "population_size"}  # generation 0 is the population

    @classmethod
    def validate_config(cls, config: Any) -> None:
        if len(config.seeds) > config.population_size:
            raise ValueError(f"{len(config.seeds)} seed losses but population_size is "
                             f"{config.population_size}: every seed must fit")  # fmt: skip

    @classmethod
    def from_config(cls, config: Any, space: Any, rng: np.random.Generator, seeds: Sequence[Any]):
        return cls(rng, space, config.population_size, config.iterations, seeds=seeds)

    def __init__(
        self,
        rng: np.random.Generator,
        space: Any,
        population_size: int = 16,
        generations: int = 100,
        archive_rate: float = 0.5,
        archive_keep: float = 0.5,
        archive_size: int | None = None,
        seeds: Sequence[Any] = (),
        unique: bool | None = None,
    ):
        if population_size < 1:
            raise ValueError(f"population_size must be at least 1, got {population_size}")
        for name, p in (("archive_rate", archive_rate), ("archive_keep", archive_keep)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {p}")
        super().__init__(rng, space, "initial")
        self.population_size = population_size
        self.generations = generations
        self.archive_rate = archive_rate
        self.archive_keep = archive_keep
        self.archive_size = population_size if archive_size is None else archive_size
        self.generation = 0  # generations of children finished
        self.archive: list[Member] = []
        self.initial: dict | None = None  # population statistics of generation 0
        self._failed: set[int] = set()  # candidate ids whose evaluation failed
        self._results: dict[int, tuple[Candidate, float | None]] = {}
        self.unique = getattr(space, "duplicates", "refuse") == "refuse" if unique is None else unique
        seeds = list(seeds)[:population_size]
        genomes = seeds + self.space.sample(population_size - len(seeds), rng)
        while self.unique and len({g.hash_hex for g in genomes}) < len(genomes):  # redraw the later copies
            seen: set[str] = set()
            kept = [g for g in genomes if not (g.hash_hex in seen or seen.add(g.hash_hex))]
            genomes = kept + self.space.sample(len(genomes) - len(kept), rng)
        self._queue = [self._candidate(g, "initial") for g in genomes]
        self._stage_size = len(genomes)

    @property
    def done(self) -> bool:
        return (
            self.stage == "evolve"
            and self.generation >= self.generations
            and not self._queue
            and not self._pending
        )

    def best(self) -> Member:
        return max(self.population, key=self._rank_key)

    def _tell_one(self, candidate: Candidate, fitness: float | None) -> None:
        self._results[candidate.id] = (candidate, fitness)

    def _after_tell(self) -> None:
        if len(self._results) == self._stage_size and not self._queue and not self._pending:
            if self.stage == "initial":
                self._finish_initial()
            else:
                self._finish_generation()
            # Breed the next generation now, so that `done` is exact after every `tell`;
            # a generation of unchanged copies finishes at once.
            while self.stage == "evolve" and not self._queue and self.generation < self.generations:
                self._start_generation()

    # -- stages ---------------------------------------------------------------------------
    def _member(self, candidate: Candidate, fitness: float | None) -> Member:
        if not succeeded(fitness):
            self._failed.add(candidate.id)
        return Member(candidate.genome, fitness if succeeded(fitness) else 0.0, 0, candidate.id)

    def _rank_key(self, m: Member) -> tuple:
        """Higher is better: successes above failures, then fitness, then the older."""
        return (m.candidate_id not in self._failed, m.fitness, -m.candidate_id)

    def _take_results(self) -> list[Member]:
        ordered = sorted(self._results.values(), key=lambda r: r[0].id)
        self._results = {}
        return [self._member(c, f) for c, f in ordered]

    def _finish_initial(self) -> None:
        self.population = sorted(self._take_results(), key=self._rank_key, reverse=True)
        self.initial = {**population_stats([m.fitness for m in self.population]), "failed": len(self._failed)}
        self.stage = "evolve"

    def _partner(self, parent: Member) -> Any:
        if self.archive and self.rng.random() < self.archive_rate:
            return self.archive[int(self.rng.integers(len(self.archive)))].genome
        others = [m for m in self.population if m is not parent] or [parent]
        return others[int(self.rng.integers(len(others)))].genome

    def _start_generation(self) -> None:
        g = self.generation
        for parent in self.population:
            partner = self._partner(parent)
            child, applied = self.space.vary(parent.genome, partner, self.rng)
            if applied:  # else the child is the parent itself: nothing new to evaluate
                self._queue.append(
                    self._candidate(child, "evolve", iteration=g, parent_id=parent.candidate_id)
                )
        self._stage_size = len(self._queue)
        if not self._queue:
            self._finish_generation()

    def _finish_generation(self) -> None:
        children = self._take_results()
        for m in self.population:
            m.age += 1
        pool = sorted([*self.population, *children], key=self._rank_key, reverse=True)
        if self.unique:  # the best-ranked copy of each tree
            seen: set[str] = set()
            pool = [m for m in pool if not (m.genome.hash_hex in seen or seen.add(m.genome.hash_hex))]
        self.population = pool[: self.population_size]
        for m in pool[self.population_size :]:
            if m.candidate_id not in self._failed and self.rng.random() < self.archive_keep:
                if len(self.archive) < self.archive_size:
                    self.archive.append(m)
                elif self.archive_size > 0:
                    self.archive[int(self.rng.integers(self.archive_size))] = m
        succeeded_children = [c for c in children if c.candidate_id not in self._failed]
        if not succeeded_children:
            self.skipped_iterations += 1
        child_ids = {c.candidate_id for c in children}
        self.history.append(
            {"iteration": self.generation, "generation": self.generation + 1,
             "fitness": max((c.fitness for c in succeeded_children), default=None),
             "children": len(children), "failed": len(children) - len(succeeded_children),
             "selected_children": sum(m.candidate_id in child_ids for m in self.population),
             "archive": len(self.archive), **population_stats([m.fitness for m in self.population])}
        )  # fmt: skip
        self.generation += 1
