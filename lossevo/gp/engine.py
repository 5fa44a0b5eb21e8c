"""Genetic programming as an ask/tell engine (paper 003 Alg. 1, SPEC §12).

    engine = GeneticProgramming(rng=np.random.default_rng(0))
    while not engine.done:
        batch = engine.ask(8)                    # candidates to evaluate (any order)
        engine.tell([(c, evaluate(c)) for c in batch])

Same surface as `RegularizedEvolution` (`ask`, `tell`, `done`, `population`, `history`,
`best`, `Candidate` and `Member` objects), so the search loop can drive either.

1. `initial`: `population_size` (n = 16) random trees (ramped half-and-half, or given
   seeds) are evaluated; they form generation 0.
2. `evolve`, for each of `generations` (T = 100) generations: every member, in turn, makes
   one child (`variation.make_child`): crossover with probability 0.7 with a partner drawn
   from the external archive with probability 0.5 (when it is not empty) or else uniformly
   from the other members; then subtree mutation with probability 0.3 and one-point
   mutation with probability 0.1. Children are evaluated; the best n of parents and
   children form the next generation ((μ+λ) selection); every one that was not selected
   enters the archive with probability 0.5 (the archive holds at most n; when full, a new
   entry replaces a uniformly drawn one).

Fitness is *higher is better*, like the rest of lossevo: validation accuracy, i.e. one minus
the paper's validation error, so the ranking is the paper's. For the paper's multi-dataset
mode see `lossevo.gp.fitness_modes`, which encodes its (wins, improvement) pair as one
float that orders like the pair. A fitness of None or NaN is a failure: the child ranks
below every successful one and never enters the archive; a generation of failures only
keeps the parents, and the run goes on.

A child no operator changed is its parent: it is not evaluated again nor added to the pool
twice. Ties in fitness keep the older individual (lower candidate id). The engine is
deterministic given its RNG and the results told, which makes a journal replay exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lossevo.evolution.engine import Candidate, Member, succeeded
from lossevo.gp import growth, variation
from lossevo.gp.tree import TreeGenome
from lossevo.gp.validity import DEFAULT_LIMITS, Limits
from lossevo.gp.variation import DEFAULT_RATES, Rates


def _stats(values: Sequence[float]) -> dict[str, float]:
    a = np.asarray(values, np.float64)
    return {
        "best": float(a.max()),
        "mean": float(a.mean()),
        "median": float(np.median(a)),
        "min": float(a.min()),
    }


class GeneticProgramming:
    """Paper 003's tree GP with (μ+λ) selection and a success-history archive.

    Args:
      rng: the only source of randomness.
      population_size: n (16).
      generations: T (100).
      rates: crossover, subtree-mutation and one-point-mutation rates (0.7, 0.3, 0.1).
      archive_rate: `Cr_A`, the probability that a crossover partner comes from the
        archive (0.5).
      archive_keep: `p_A`, the probability that an individual not selected enters the
        archive (0.5).
      archive_size: `n_A` (default: `population_size`).
      limits: tree limits and the value-range check (min height 2, max size 100).
      seeds: known trees to include in generation 0 (e.g. the NGL tree).
      sample: draws random trees, `sample(n, rng)` (default: ramped half-and-half under
        `limits`).
      max_variation_tries: draws per child before it is replaced by a random tree.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        population_size: int = 16,
        generations: int = 100,
        rates: Rates = DEFAULT_RATES,
        archive_rate: float = 0.5,
        archive_keep: float = 0.5,
        archive_size: int | None = None,
        limits: Limits = DEFAULT_LIMITS,
        seeds: Sequence[TreeGenome] = (),
        sample: Callable[[int, np.random.Generator], list[TreeGenome]] | None = None,
        max_variation_tries: int = variation.MAX_TRIES,
    ):
        if population_size < 1:
            raise ValueError(f"population_size must be at least 1, got {population_size}")
        for name, p in (("archive_rate", archive_rate), ("archive_keep", archive_keep)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {p}")
        self.rng = rng
        self.population_size = population_size
        self.generations = generations
        self.rates = rates
        self.archive_rate = archive_rate
        self.archive_keep = archive_keep
        self.archive_size = population_size if archive_size is None else archive_size
        self.limits = limits
        self.max_variation_tries = max_variation_tries
        self.stage = "initial"
        self.generation = 0  # generations of children finished
        self.population: list[Member] = []
        self.archive: list[Member] = []
        self.history: list[dict] = []  # one row per finished generation
        self.initial: dict | None = None  # population statistics of generation 0
        self.skipped_iterations = 0  # generations in which no child succeeded
        self._failed: set[int] = set()  # candidate ids whose evaluation failed
        self._next_id = 0
        self._queue: list[Candidate] = []
        self._pending: list[Candidate] = []
        self._results: dict[int, tuple[Candidate, float | None]] = {}
        self._stage_size = 0
        sample = sample or (lambda k, r: growth.sample_trees(k, r, limits))
        seeds = list(seeds)[:population_size]
        genomes = seeds + sample(population_size - len(seeds), rng)
        self._queue = [self._candidate(g, "initial") for g in genomes]
        self._stage_size = len(genomes)

    # -- ask / tell ---------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return (
            self.stage == "evolve"
            and self.generation >= self.generations
            and not self._queue
            and not self._pending
        )

    def ask(self, n: int = 1) -> list[Candidate]:
        """Up to `n` candidates; none while the generation waits for results, or when done."""
        batch, self._queue = self._queue[:n], self._queue[n:]
        self._pending.extend(batch)
        return batch

    def tell(self, results: Sequence[tuple[Candidate, float | None]]) -> None:
        """Results of asked candidates, in any order."""
        for candidate, fitness in results:
            if candidate not in self._pending:
                raise ValueError(f"candidate {candidate.id} was not asked or was already told")
            self._pending.remove(candidate)
            self._results[candidate.id] = (candidate, None if fitness is None else float(fitness))
        if len(self._results) == self._stage_size and not self._queue and not self._pending:
            if self.stage == "initial":
                self._finish_initial()
            else:
                self._finish_generation()
            # Breed the next generation now, so that `done` is exact after every `tell`;
            # a generation of unchanged copies finishes at once.
            while self.stage == "evolve" and not self._queue and self.generation < self.generations:
                self._start_generation()

    def best(self) -> Member:
        return max(self.population, key=self._rank_key)

    # -- stages ---------------------------------------------------------------------------
    def _candidate(self, genome: TreeGenome, stage: str, **kw) -> Candidate:
        c = Candidate(self._next_id, genome, stage, **kw)
        self._next_id += 1
        return c

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
        self.initial = {**_stats([m.fitness for m in self.population]), "failed": len(self._failed)}
        self.stage = "evolve"

    def _partner(self, parent: Member) -> TreeGenome:
        if self.archive and self.rng.random() < self.archive_rate:
            return self.archive[int(self.rng.integers(len(self.archive)))].genome
        others = [m for m in self.population if m is not parent] or [parent]
        return others[int(self.rng.integers(len(others)))].genome

    def _start_generation(self) -> None:
        g = self.generation
        for parent in self.population:
            partner = self._partner(parent)
            child, applied = variation.make_child(
                parent.genome, partner, self.rng, self.rates, self.limits, self.max_variation_tries
            )
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
        self.population = pool[: self.population_size]
        for m in pool[self.population_size :]:
            if m.candidate_id not in self._failed and self.rng.random() < self.archive_keep:
                if len(self.archive) < self.archive_size:
                    self.archive.append(m)
                elif self.archive_size > 0:
                    self.archive[int(self.rng.integers(self.archive_size))] = m
        succeeded = [c for c in children if c.candidate_id not in self._failed]
        if not succeeded:
            self.skipped_iterations += 1
        child_ids = {c.candidate_id for c in children}
        self.history.append(
            {"iteration": self.generation, "generation": self.generation + 1,
             "fitness": max((c.fitness for c in succeeded), default=None),
             "children": len(children), "failed": len(children) - len(succeeded),
             "selected_children": sum(m.candidate_id in child_ids for m in self.population),
             "archive": len(self.archive), **_stats([m.fitness for m in self.population])}
        )  # fmt: skip
        self.generation += 1
