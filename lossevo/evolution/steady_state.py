"""Deprecated: the steady-state search is `lossevo.search.run_search` with a thread or Ray
executor (`lossevo.search.executors`, `lossevo.search.ray_executor`)."""

import warnings

from lossevo.search.executors import ThreadExecutor
from lossevo.search.loop import run_search

warnings.warn("lossevo.evolution.steady_state moved to lossevo.search (run_search with an executor)",
              DeprecationWarning, stacklevel=2)  # fmt: skip


def run_search_async(workdir, config, initial_fitness, fitness, executor, max_in_flight, **kwargs):
    """`run_search(workdir, config, initial_fitness, fitness, executor, ...)` with the executor
    keeping `max_in_flight` evaluations running."""
    executor.max_in_flight = max_in_flight
    return run_search(workdir, config, initial_fitness, fitness, executor, **kwargs)


__all__ = ["ThreadExecutor", "run_search_async"]
