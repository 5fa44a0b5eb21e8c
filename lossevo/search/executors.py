"""Where the search loop's evaluations run. An executor takes a group of candidates for one
fitness function (a `FitnessFactory`, or a fitness object: `as_factory`) and returns a
future of their results; it also tells the loop how to ask:

- `LocalExecutor(batch_size)`: the synchronous search. The loop asks `batch_size`
  candidates, the executor evaluates them together in this process (one
  `fitness.evaluate` call per fitness function: a population-batched or isolated fitness
  trains them its way), and the loop tells the engine the whole batch before it asks again.
- `lossevo.search.process_executor.ProcessExecutor`: the same, in a worker process that is
  replaced every `recycle_every` tasks, with a time limit per task.
- `ThreadExecutor(n)` and `lossevo.search.ray_executor.RayExecutor`: the steady-state
  search (regularized evolution's asynchronous form). The loop keeps `max_in_flight`
  evaluations running, one candidate each, and asks for the next one whenever one finishes.

All are kept by name with their options in `lossevo.search.execution`; each is a context
manager (`close` frees what it holds).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from lossevo.search.types import Fitness, FitnessResult, as_factory


class Executor(Protocol):
    """`ask_size`: candidates per `engine.ask`; `max_in_flight`: candidates evaluating at
    once; `wait_all`: the loop waits for every running evaluation before it asks again."""

    ask_size: int
    max_in_flight: int
    wait_all: bool

    def submit(self, fitness: Any, genomes: Sequence[Any], seeds: Sequence[int]) -> cf.Future: ...

    def close(self) -> None: ...


class Built:
    """The fitness objects of an in-process executor, each factory built once."""

    def __init__(self):
        self._built: dict[Any, Fitness] = {}
        self._lock = threading.Lock()

    def __call__(self, fitness: Any) -> Fitness:
        factory = as_factory(fitness)
        with self._lock:
            if factory not in self._built:
                self._built[factory] = factory()
            return self._built[factory]


class Closing:
    """What every executor has by default: `with executor:` closes it; `isolated` says
    whether its evaluations run in a process it can kill (a time limit needs that);
    `capacity_warning` has nothing to say."""

    isolated = False

    def close(self) -> None:
        """Nothing to free."""

    def capacity_warning(self) -> str | None:
        return None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def evaluate(fitness: Fitness, genomes: Sequence[Any], seeds: Sequence[int]) -> list[FitnessResult]:
    """`fitness.evaluate`, checked to answer every candidate."""
    results = fitness.evaluate(list(genomes), list(seeds))
    if len(results) != len(genomes):
        raise RuntimeError(
            f"fitness {fitness.name!r} returned {len(results)} results for {len(genomes)} genomes"
        )
    return results


class LocalExecutor(Closing):
    """Evaluates a batch in this process when the loop waits for it (see module doc)."""

    wait_all = True

    @dataclasses.dataclass(frozen=True)
    class Options:
        """No options: `batch_size` comes from the search."""

    @classmethod
    def from_options(cls, batch_size: int, options: Options) -> LocalExecutor:
        return cls(batch_size)

    def __init__(self, batch_size: int = 1):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.ask_size = self.max_in_flight = batch_size
        self._built = Built()

    def fitness(self, fitness: Any) -> Fitness:
        """The fitness a batch is evaluated with: here, the factory's, built once."""
        return self._built(fitness)

    def submit(self, fitness: Any, genomes: Sequence[Any], seeds: Sequence[int]) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(evaluate(self.fitness(fitness), genomes, seeds))
        except BaseException as e:  # the loop re-raises it where it waits
            future.set_exception(e)
        return future


class ThreadExecutor(Closing):
    """Evaluations in threads of this process, for fitness functions that are safe to call
    from several threads and release the GIL or wait on something else (an
    `IsolatedFitness` per thread, a remote service)."""

    ask_size, wait_all = 1, False

    @dataclasses.dataclass(frozen=True)
    class Options:
        max_in_flight: int = 2  # threads

        def __post_init__(self):
            if self.max_in_flight < 1:
                raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight}")

    @classmethod
    def from_options(cls, batch_size: int, options: Options) -> ThreadExecutor:
        return cls(options.max_in_flight)

    def __init__(self, max_workers: int = 1):
        self.max_in_flight = max_workers
        self._pool = cf.ThreadPoolExecutor(max_workers)
        self._built = Built()

    def submit(self, fitness: Any, genomes: Sequence[Any], seeds: Sequence[int]) -> cf.Future:
        return self._pool.submit(lambda: evaluate(self._built(fitness), genomes, seeds))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
