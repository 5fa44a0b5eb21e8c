"""The steady-state search in tests: `run_search` with an executor keeping `max_in_flight`
evaluations running (the first build's `run_search_async`)."""

from lossevo.search import run_search


def run_search_async(workdir, config, initial, fitness_fn, executor, max_in_flight, **kwargs):
    executor.max_in_flight = max_in_flight
    return run_search(workdir, config, initial, fitness_fn, executor, **kwargs)
