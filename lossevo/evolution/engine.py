"""Regularized evolution as an ask/tell engine (SPEC §5), with explicit state and RNG.

    engine = RegularizedEvolution(rng=np.random.default_rng(0))
    while not engine.done:
        batch = engine.ask(8)                    # candidates to evaluate (any order)
        engine.tell([(c, evaluate(c)) for c in batch])

Stages:
1. `init`: `initial_size` random genomes (or given seeds) scored with the cheap fitness.
2. `rescore`: the best `population_size` re-scored with the surrogate fitness; they form
   generation one (age 0).
3. `evolve`: each iteration draws a tournament of `tournament_size` *with replacement*,
   the fittest wins, and is mutated (up to 2,500 tries; none valid skips the iteration).
   A `None` result (early-stopped as degenerate) re-mutates the same parent, up to 7 times
   in all. Then every member ages by one; a successful child (age 0) replaces the worst of
   the oldest members; on total failure nothing is replaced.

A fitness of `None` means "rejected by early stopping"; NaN means the evaluation failed
(diverged, crashed) and counts like `None`: a whole generation of NaN does not stop the
run. The engine is deterministic given its RNG and the sequence of results told, which is
what makes a journal replay (resume) exact.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

from lossevo.genome.genome import Genome
from lossevo.genome.mutation import PopulationIndex, mutate
from lossevo.genome.sampling import sample_population


@dataclasses.dataclass
class Candidate:
    """One evaluation to run. `stage` is "init", "rescore" or "evolve"."""

    id: int
    genome: Genome
    stage: str
    iteration: int = -1  # evolve: the iteration this child belongs to
    attempt: int = 0  # evolve: 0..max_redo-1
    parent_id: int | None = None


@dataclasses.dataclass
class Member:
    """A population member. `phenotype` is the binary phenotype its integrity check stored
    (mutants; SPEC §3), which the similarity test compares; None: its own normalised curve."""

    genome: Genome
    fitness: float
    age: int
    candidate_id: int
    phenotype: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)


def succeeded(fitness: float | None) -> bool:
    """A fitness that counts: not None (rejected) and not NaN (failed)."""
    return fitness is not None and not (isinstance(fitness, float) and math.isnan(fitness))


@dataclasses.dataclass
class _Iteration:
    parent: Member
    attempts: int = 0


class RegularizedEvolution:
    """The papers' regularized evolution (see module doc).

    Args:
      rng: the only source of randomness.
      population_size: 100 in the papers.
      initial_size: random genomes scored in the first stage (1,000).
      tournament_size: 20, drawn with replacement.
      iterations: evolution iterations to run (2,000 in paper 002).
      max_mutation_tries: 2,500.
      max_redo: evaluations per iteration when results are `None` (7).
      seeds: known genomes to include in the initial population (e.g. named losses).
      sample: draws random genomes, `sample(n, rng)` (default: SPEC §2 initialisation).
      mutate: makes a mutant, `mutate(parent, rng, population_genomes)`, or returns None
        when it finds no valid one (default: SPEC §4 mutation with the similarity test).
        With `sample=lossevo.gp.sample_trees` and `mutate=lossevo.gp.mutate_tree` the
        engine runs regularized evolution on expression trees.
      flip_rule: the integrity check's flip rule for the default mutation
        (`lossevo.genome.phenotype.FLIP_RULES`; "code", the authors' rule).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        population_size: int = 100,
        initial_size: int = 1000,
        tournament_size: int = 20,
        iterations: int = 2000,
        max_mutation_tries: int = 2500,
        max_redo: int = 7,
        seeds: Sequence[Genome] = (),
        sample: Callable[[int, np.random.Generator], list[Genome]] = sample_population,
        mutate: Callable[[Genome, np.random.Generator, list[Genome]], Genome | None] | None = None,
        flip_rule: str = "code",
    ):
        if population_size > initial_size:
            raise ValueError("population_size cannot exceed initial_size")
        self.rng = rng
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.iterations = iterations
        self.max_mutation_tries = max_mutation_tries
        self.max_redo = max_redo
        self._mutate = mutate
        self.flip_rule = flip_rule
        self._phenotypes: dict[int, np.ndarray] = {}  # asked mutants' stored phenotypes
        self.stage = "init"
        self.population: list[Member] = []
        self.history: list[dict] = []  # one row per finished iteration
        self.skipped_iterations = 0
        self._next_id = 0
        self._next_iteration = 0
        self._pending: list[Candidate] = []  # asked, not yet told
        self._queue: list[Candidate] = []  # ready to be asked
        self._results: dict[int, tuple[Candidate, float | None]] = {}
        self._open: dict[int, _Iteration] = {}
        seeds = list(seeds)[:initial_size]
        genomes = seeds + sample(initial_size - len(seeds), rng)
        self._queue = [self._candidate(g, "init") for g in genomes]
        self._stage_size = len(genomes)

    # -- ask / tell ---------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.stage == "evolve" and self._next_iteration >= self.iterations and not self._open

    def ask(self, n: int = 1) -> list[Candidate]:
        """Up to `n` candidates to evaluate; fewer (maybe none) when the stage must wait for
        results, or none when the run is done."""
        while self.stage == "evolve" and len(self._queue) < n and self._next_iteration < self.iterations:
            self._start_iteration()
        batch, self._queue = self._queue[:n], self._queue[n:]
        self._pending.extend(batch)
        return batch

    def tell(self, results: Sequence[tuple[Candidate, float | None]]) -> None:
        """Results of asked candidates, in any order."""
        for candidate, fitness in results:
            if candidate not in self._pending:
                raise ValueError(f"candidate {candidate.id} was not asked or was already told")
            self._pending.remove(candidate)
            fitness = None if fitness is None else float(fitness)
            if candidate.stage == "evolve":
                self._tell_child(candidate, fitness)
            else:
                self._results[candidate.id] = (candidate, fitness)
        self._advance_stage()

    # -- stages ---------------------------------------------------------------------------
    def _candidate(self, genome: Genome, stage: str, **kw) -> Candidate:
        c = Candidate(self._next_id, genome, stage, **kw)
        self._next_id += 1
        return c

    def _advance_stage(self) -> None:
        if self.stage == "init" and len(self._results) == self._stage_size:
            ranked = sorted(self._results.values(), key=lambda r: (-_score(r[1]), r[0].id))
            best = ranked[: self.population_size]
            self._results = {}
            self._queue = [self._candidate(c.genome, "rescore", parent_id=c.id) for c, _ in best]
            self._stage_size = len(self._queue)
            self.stage = "rescore"
        elif self.stage == "rescore" and len(self._results) == self._stage_size:
            ordered = sorted(self._results.values(), key=lambda r: r[0].id)
            self.population = [Member(c.genome, _score(f), 0, c.id) for c, f in ordered]
            self._results = {}
            self.stage = "evolve"

    def _tournament(self) -> Member:
        idx = self.rng.integers(0, len(self.population), self.tournament_size)
        fits = np.array([self.population[i].fitness for i in idx])
        return self.population[int(idx[int(np.argmax(fits))])]

    def _start_iteration(self) -> None:
        iteration = self._next_iteration
        self._next_iteration += 1
        parent = self._tournament()
        self._open[iteration] = _Iteration(parent)
        if not self._mutate_into_queue(iteration):
            self._finish_iteration(iteration, None, None)

    def _mutate_into_queue(self, iteration: int) -> bool:
        state = self._open[iteration]
        phenotype = None
        if self._mutate is not None:
            child = self._mutate(state.parent.genome, self.rng, [m.genome for m in self.population])
        else:
            index = PopulationIndex(
                [m.genome for m in self.population], [m.phenotype for m in self.population]
            )
            result = mutate(state.parent.genome, self.rng, index, self.max_mutation_tries, self.flip_rule)
            child, phenotype = result.child, result.check and result.check.phenotype
        if child is None:
            return False
        candidate = self._candidate(child, "evolve", iteration=iteration, attempt=state.attempts,
                                    parent_id=state.parent.candidate_id)  # fmt: skip
        if phenotype is not None:
            self._phenotypes[candidate.id] = phenotype
        self._queue.append(candidate)
        state.attempts += 1
        return True

    def _tell_child(self, candidate: Candidate, fitness: float | None) -> None:
        state = self._open[candidate.iteration]
        phenotype = self._phenotypes.pop(candidate.id, None)
        if succeeded(fitness):
            self._finish_iteration(candidate.iteration, candidate, fitness, phenotype)
            return
        if state.attempts >= self.max_redo or not self._mutate_into_queue(candidate.iteration):
            self._finish_iteration(candidate.iteration, candidate, None)

    def _finish_iteration(
        self,
        iteration: int,
        child: Candidate | None,
        fitness: float | None,
        phenotype: np.ndarray | None = None,
    ) -> None:
        del self._open[iteration]
        for m in self.population:
            m.age += 1
        replaced = None
        if child is not None and fitness is not None:
            oldest = max(m.age for m in self.population)
            candidates = [i for i, m in enumerate(self.population) if m.age == oldest]
            worst = min(candidates, key=lambda i: self.population[i].fitness)
            replaced = self.population[worst].candidate_id
            self.population[worst] = Member(child.genome, fitness, 0, child.id, phenotype)
        elif child is None:
            self.skipped_iterations += 1
        fits = np.array([m.fitness for m in self.population])
        self.history.append(
            {"iteration": iteration, "child": None if child is None else child.id, "fitness": fitness,
             "replaced": replaced, "best": float(fits.max()), "mean": float(fits.mean()),
             "median": float(np.median(fits)), "min": float(fits.min())}
        )  # fmt: skip

    def best(self) -> Member:
        return max(self.population, key=lambda m: m.fitness)


def _score(fitness: float | None) -> float:
    """Fitness for ranking: failures rank lowest (the authors' code scores them 0)."""
    return float(fitness) if succeeded(fitness) else 0.0
