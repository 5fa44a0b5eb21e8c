"""Where the search loop's evaluations run. An executor takes a group of candidates for one
fitness function and returns a future of their results; it also tells the loop how to ask:

- `LocalExecutor(batch_size)`: the synchronous search. The loop asks `batch_size`
  candidates, the executor evaluates them together in this process (one
  `fitness.evaluate` call per fitness function: a population-batched or isolated fitness
  trains them its way), and the loop tells the engine the whole batch before it asks again.
- `ThreadExecutor(n)` and `lossevo.search.ray_executor.RayExecutor`: the steady-state
  search (regularized evolution's asynchronous form). The loop keeps `max_in_flight`
  evaluations running, one candidate each, and asks for the next one whenever one finishes.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence
from typing import Any, Protocol

from lossevo.search.types import Fitness, FitnessResult


class Executor(Protocol):
    """`ask_size`: candidates per `engine.ask`; `max_in_flight`: candidates evaluating at
    once; `wait_all`: the loop waits for every running evaluation before it asks again."""

    ask_size: int
    max_in_flight: int
    wait_all: bool

    def submit(self, fitness: Fitness, genomes: Sequence[Any], seeds: Sequence[int]) -> cf.Future: ...


def evaluate(fitness: Fitness, genomes: Sequence[Any], seeds: Sequence[int]) -> list[FitnessResult]:
    """`fitness.evaluate`, checked to answer every candidate."""
    results = fitness.evaluate(list(genomes), list(seeds))
    if len(results) != len(genomes):
        raise RuntimeError(
            f"fitness {fitness.name!r} returned {len(results)} results for {len(genomes)} genomes"
        )
    return results


class LocalExecutor:
    """Evaluates a batch in this process when the loop waits for it (see module doc)."""

    wait_all = True

    def __init__(self, batch_size: int = 1):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.ask_size = self.max_in_flight = batch_size

    def submit(self, fitness: Fitness, genomes: Sequence[Any], seeds: Sequence[int]) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(evaluate(fitness, genomes, seeds))
        except BaseException as e:  # the loop re-raises it where it waits
            future.set_exception(e)
        return future


class ThreadExecutor:
    """Evaluations in threads of this process, for fitness functions that are safe to call
    from several threads and release the GIL or wait on something else (an
    `IsolatedFitness` per thread, a remote service)."""

    ask_size, wait_all = 1, False

    def __init__(self, max_workers: int = 1):
        self.max_in_flight = max_workers
        self._pool = cf.ThreadPoolExecutor(max_workers)

    def submit(self, fitness: Fitness, genomes: Sequence[Any], seeds: Sequence[int]) -> cf.Future:
        return self._pool.submit(evaluate, fitness, genomes, seeds)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ThreadExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
