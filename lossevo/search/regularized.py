"""Regularized evolution as an ask/tell engine (docs/reference.md §5), with explicit state and RNG.

    engine = RegularizedEvolution(np.random.default_rng(0), GraphSpace())  # hidden-state graphs
    while not engine.done:
        batch = engine.ask(8)                    # candidates to evaluate (any order)
        engine.tell([(c, evaluate(c)) for c in batch])

Stages:
1. `init`: `initial_size` random genomes (or given seeds) scored with the initial fitness.
2. `rescore`: the best `population_size` re-scored with the surrogate fitness; they form
   generation one (age 0).
3. `evolve`: each iteration draws a tournament of `tournament_size` *with replacement*,
   the fittest wins, and the search space mutates it (for graphs: up to 2,500 tries; none
   valid skips the iteration). A `None` result (early-stopped as degenerate) re-mutates
   the same parent, up to 7 times in all. Then every member ages by one; a successful
   child (age 0) replaces the worst of the oldest members; on total failure nothing is
   replaced. An iteration without a successful child — no valid mutant, or every child
   failed — is skipped: its history row has fitness None and `skipped_iterations` counts it.

A fitness of `None` means "rejected by early stopping"; NaN means the evaluation failed
(diverged, crashed) and counts like `None`: a whole generation of NaN does not stop the
run. The search space is any `lossevo.space.protocol.SearchSpace` (for example `GraphSpace`;
`TreeSpace` runs regularized evolution over trees).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossevo.search.engine import Engine, Stage, population_stats
from lossevo.search.types import Candidate, Member, succeeded
from lossevo.space.protocol import SearchSpace


@dataclasses.dataclass
class _Iteration:
    parent: Member
    attempts: int = 0


def _score(fitness: float | None) -> float:
    """Fitness for ranking: failures rank lowest (the authors' code scores them 0)."""
    return float(fitness) if succeeded(fitness) else 0.0


class RegularizedEvolution(Engine):
    """The papers' regularized evolution (see module doc).

    Args:
      rng: the only source of randomness.
      population_size: 100 in the papers.
      initial_size: random genomes scored in the first stage (1,000).
      tournament_size: 20, drawn with replacement.
      iterations: evolution iterations to run (2,000 in paper 002).
      max_redo: evaluations per iteration when results are `None` (7).
      seeds: known genomes to include in the initial population (e.g. named losses).
      space: the search space (`lossevo.space.GraphSpace()`: docs/reference.md §2–4 with the authors'
        flip rule and 2,500 mutation tries; any `SearchSpace`).
    """

    name = "regularized"
    stages = (Stage("init", "initial_fitness", "initial_size"), Stage("rescore", "fitness", "population_size"),
              Stage("evolve", "fitness"))  # fmt: skip

    @classmethod
    def validate_config(cls, config: Any) -> None:
        if config.population_size > config.initial_size:
            raise ValueError(f"population_size ({config.population_size}) cannot exceed initial_size "
                             f"({config.initial_size})")  # fmt: skip
        if len(config.seeds) > config.initial_size:
            raise ValueError(f"{len(config.seeds)} seed losses but initial_size is {config.initial_size}: "
                             "every seed must fit")  # fmt: skip

    @classmethod
    def from_config(cls, config: Any, space: Any, rng: np.random.Generator, seeds: Sequence[Any]):
        return cls(rng, space, config.population_size, config.initial_size, config.tournament_size,
                   config.iterations, config.max_redo, seeds=seeds)  # fmt: skip

    def __init__(
        self,
        rng: np.random.Generator,
        space: SearchSpace,
        population_size: int = 100,
        initial_size: int = 1000,
        tournament_size: int = 20,
        iterations: int = 2000,
        max_redo: int = 7,
        seeds: Sequence[Any] = (),
    ):
        if population_size > initial_size:
            raise ValueError("population_size cannot exceed initial_size")
        super().__init__(rng, space, "init")
        self.population_size, self.tournament_size = population_size, tournament_size
        self.iterations, self.max_redo = iterations, max_redo
        self._next_iteration = 0
        self._results: dict[int, tuple[Candidate, float | None]] = {}
        self._open: dict[int, _Iteration] = {}
        seeds = list(seeds)[:initial_size]
        genomes = seeds + self.space.sample(initial_size - len(seeds), rng)
        self._queue = [self._candidate(g, "init") for g in genomes]
        self._stage_size = len(genomes)

    @property
    def done(self) -> bool:
        return self.stage == "evolve" and self._next_iteration >= self.iterations and not self._open

    def _fill(self, n: int) -> None:
        while self.stage == "evolve" and len(self._queue) < n and self._next_iteration < self.iterations:
            self._start_iteration()

    def _tell_one(self, candidate: Candidate, fitness: float | None) -> None:
        if candidate.stage == "evolve":
            self._tell_child(candidate, fitness)
        else:
            self._results[candidate.id] = (candidate, fitness)

    def _after_tell(self) -> None:
        if self.stage == "init" and len(self._results) == self._stage_size:
            ranked = sorted(self._results.values(), key=lambda r: (-_score(r[1]), r[0].id))
            self._results = {}
            self._queue = [
                self._candidate(c.genome, "rescore", parent_id=c.id)
                for c, _ in ranked[: self.population_size]
            ]
            self._stage_size = len(self._queue)
            self.stage = "rescore"
        elif self.stage == "rescore" and len(self._results) == self._stage_size:
            ordered = sorted(self._results.values(), key=lambda r: r[0].id)
            self.population = [Member(c.genome, _score(f), 0, c.id) for c, f in ordered]
            self._results = {}
            self.stage = "evolve"

    # -- iterations -----------------------------------------------------------------------
    def _tournament(self) -> Member:
        idx = self.rng.integers(0, len(self.population), self.tournament_size)
        fits = np.array([self.population[i].fitness for i in idx])
        return self.population[int(idx[int(np.argmax(fits))])]

    def _start_iteration(self) -> None:
        iteration = self._next_iteration
        self._next_iteration += 1
        self._open[iteration] = _Iteration(self._tournament())
        if not self._mutate_into_queue(iteration):
            self._finish_iteration(iteration, None, None)

    def _mutate_into_queue(self, iteration: int) -> bool:
        state = self._open[iteration]
        mutant = self.space.mutate(state.parent.genome, self.rng, self.population)
        if mutant is None:
            return False
        self._queue.append(
            self._candidate(mutant.genome, "evolve", iteration=iteration, attempt=state.attempts,
                            parent_id=state.parent.candidate_id, stored=mutant.stored)
        )  # fmt: skip
        state.attempts += 1
        return True

    def _tell_child(self, candidate: Candidate, fitness: float | None) -> None:
        state = self._open[candidate.iteration]
        if succeeded(fitness):
            self._finish_iteration(candidate.iteration, candidate, fitness)
        elif state.attempts >= self.max_redo or not self._mutate_into_queue(candidate.iteration):
            self._finish_iteration(candidate.iteration, candidate, None)

    def _finish_iteration(self, iteration: int, child: Candidate | None, fitness: float | None) -> None:
        del self._open[iteration]
        for m in self.population:
            m.age += 1
        replaced = None
        if child is not None and fitness is not None:
            oldest = max(m.age for m in self.population)
            candidates = [i for i, m in enumerate(self.population) if m.age == oldest]
            worst = min(candidates, key=lambda i: self.population[i].fitness)
            replaced = self.population[worst].candidate_id
            self.population[worst] = Member(child.genome, fitness, 0, child.id, child.stored)
        else:  # no valid mutant, or every child failed: the report's "child skipped" line
            self.skipped_iterations += 1
        self.history.append(
            {"iteration": iteration, "child": None if child is None else child.id, "fitness": fitness,
             "replaced": replaced, **population_stats([m.fitness for m in self.population])}
        )  # fmt: skip
