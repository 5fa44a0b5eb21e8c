"""The ask/tell bookkeeping every search engine shares (evosax's base strategy).

An engine holds an explicit numpy Generator, a search space (`lossevo.space.protocol`) and
its state; it hands out `Candidate`s with `ask(n)` and takes their fitness with
`tell(results)`, in any order. Subclasses fill in `_fill(n)` (queue candidates before an
ask), `_tell_one(candidate, fitness)`, `_after_tell()` and `done`. An engine is
deterministic given its RNG and the results told, which makes a journal replay exact.

An engine class also describes itself to the rest of lossevo, so that nothing outside the
engines names an engine or a stage (`lossevo.search.engines` keeps them by `name`):
`stages` (each stage's name, which configuration field sizes it, which fitness scores
it), `validate_config(config)`, `from_config(config, space, rng, seeds)`, and `linked`
(configuration fields that follow another when only that one is set).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from lossevo.search.types import Candidate, Member


@dataclasses.dataclass(frozen=True)
class Stage:
    """A stage of an engine's run.

    Attributes:
      name: as candidates and journal records carry it.
      fitness: the `SearchConfig` field naming the fitness that scores it
        ("initial_fitness" or "fitness").
      size: the `SearchConfig` field giving its number of evaluations, for a stage the
        report counts one evaluation at a time; None for evolution (counted in iterations).
    """

    name: str
    fitness: str
    size: str | None = None


class Engine:
    """Base of the engines (see module doc).

    Attributes:
      rng: the only source of randomness.
      space: the search space (`sample`, `mutate`, ...).
      stage: the current stage's name.
      population: the members.
      history: one row per finished iteration (or generation).
      skipped_iterations: iterations in which no child succeeded.
    """

    name: ClassVar[str] = ""
    stages: ClassVar[tuple[Stage, ...]] = ()
    linked: ClassVar[dict[str, str]] = {}  # field -> the field it follows when only that one is set

    @classmethod
    def stage_named(cls, name: str) -> Stage:
        for stage in cls.stages:
            if stage.name == name:
                return stage
        raise ValueError(f"engine {cls.name!r} has no stage {name!r}; its stages: "
                         f"{', '.join(s.name for s in cls.stages)}")  # fmt: skip

    @classmethod
    def validate_config(cls, config: Any) -> None:
        """Raises `ValueError` naming a `SearchConfig` field this engine cannot run with."""

    @classmethod
    def from_config(cls, config: Any, space: Any, rng: np.random.Generator, seeds: Sequence[Any]) -> Engine:
        """The engine of a validated `SearchConfig`, over `space`, with `seeds` first."""
        raise NotImplementedError

    def __init__(self, rng: np.random.Generator, space: Any, stage: str):
        self.rng, self.space, self.stage = rng, space, stage
        self.population: list[Member] = []
        self.history: list[dict[str, Any]] = []
        self.skipped_iterations = 0
        self._next_id = 0
        self._queue: list[Candidate] = []  # ready to be asked
        self._pending: list[Candidate] = []  # asked, not yet told

    @property
    def done(self) -> bool:
        raise NotImplementedError

    def ask(self, n: int = 1) -> list[Candidate]:
        """Up to `n` candidates to evaluate; fewer (maybe none) when the stage must wait for
        results, or none when the run is done."""
        self._fill(n)
        batch, self._queue = self._queue[:n], self._queue[n:]
        self._pending.extend(batch)
        return batch

    def tell(self, results: Sequence[tuple[Candidate, float | None]]) -> None:
        """Results of asked candidates, in any order; None or NaN is a failed candidate."""
        for candidate, fitness in results:
            if candidate not in self._pending:
                raise ValueError(f"candidate {candidate.id} was not asked or was already told")
            self._pending.remove(candidate)
            self._tell_one(candidate, None if fitness is None else float(fitness))
        self._after_tell()

    def best(self) -> Member:
        return max(self.population, key=lambda m: m.fitness)

    # -- for subclasses -------------------------------------------------------------------
    def _candidate(self, genome: Any, stage: str, **kw: Any) -> Candidate:
        c = Candidate(self._next_id, genome, stage, **kw)
        self._next_id += 1
        return c

    def _fill(self, n: int) -> None:
        """Queue candidates before an ask of `n` (default: nothing)."""

    def _tell_one(self, candidate: Candidate, fitness: float | None) -> None:
        raise NotImplementedError

    def _after_tell(self) -> None:
        """After each `tell` (advance a stage)."""


def population_stats(values: Sequence[float]) -> dict[str, float]:
    """Best, mean, median and min of the population's fitness (a history row's columns)."""
    a = np.asarray(values, np.float64)
    return {
        "best": float(a.max()),
        "mean": float(a.mean()),
        "median": float(np.median(a)),
        "min": float(a.min()),
    }
