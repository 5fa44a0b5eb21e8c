"""Asynchronous (steady-state) regularized evolution: keep `max_in_flight` evaluations
running, and whenever one finishes, tell the engine and ask for the next candidate.

This is the asynchronous form of regularized evolution (Real et al. 2019): no worker
waits for a generation. Which candidate is asked next depends on which results came back
first, so two live runs differ; what is exact is the *resume*. The journal records every
ask (`started`, or `finished` with `cached` for a cache hit, or `ask` for an ask that
returned nothing after skipping iterations) and every tell (`finished`) in the order they
happened, and replaying those events into a fresh engine built from the
same seed rebuilds the same engine state; the candidates that were started but not
finished are submitted again, and no finished evaluation is repeated. The records are
those of `run_search`, so `rundir`, `figures` and `evaluate` read either kind of run; the
header names the loop, and a run resumes only with the loop that made it.

An evaluation whose worker was lost (`EvaluationLostError`: Ray's retries spent) is a
failed candidate; any other exception stops the search, to be resumed once fixed.

    with RayExecutor() as executor:                 # or ThreadExecutor(4)
        engine = run_search_async(workdir, config, initial_fitness, fitness, executor, 8)
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from collections.abc import Callable
from typing import Any, Protocol

from lossevo.evolution.engine import Candidate, RegularizedEvolution
from lossevo.evolution.journal import CorruptJournalError, Journal
from lossevo.evolution.lock import RunLock
from lossevo.evolution.search import (
    EvaluationLostError,
    Fitness,
    FitnessResult,
    SearchConfig,
    check_error_policy,
    check_replay,
    error_result,
    evaluation_seed,
    finished_listener,
    finished_record,
    fitness_cache,
    make_engine,
    open_run,
    started_record,
)
from lossevo.evolution.types import EvaluationError


class Executor(Protocol):
    """Runs one evaluation somewhere; the future resolves to its `FitnessResult`."""

    def submit(self, fitness: Fitness, genome: Any, seed: int) -> cf.Future: ...


def _evaluate(fitness: Fitness, genome: Any, seed: int) -> FitnessResult:
    return fitness.evaluate([genome], [seed])[0]


class ThreadExecutor:
    """Evaluations in threads of this process, for fitness functions that are safe to call
    from several threads and release the GIL or wait on something else (a remote service).
    An `IsolatedFitness` runs one evaluation at a time per `WorkerPool`."""

    def __init__(self, max_workers: int = 1):
        self._pool = cf.ThreadPoolExecutor(max_workers)

    def submit(self, fitness: Fitness, genome: Any, seed: int) -> cf.Future:
        return self._pool.submit(_evaluate, fitness, genome, seed)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ThreadExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_search_async(
    workdir: str,
    config: SearchConfig,
    initial_fitness: Fitness,
    fitness: Fitness,
    executor: Executor,
    max_in_flight: int,
    on_iteration: Callable[[RegularizedEvolution, dict], None] | None = None,
    on_result: Callable[[dict], None] | None = None,
    on_error: str = "stop",
) -> RegularizedEvolution:
    """Runs (or resumes) a steady-state search in `workdir`; returns the finished engine.

    `config.batch_size` is not used: `max_in_flight` evaluations run at once. The callbacks,
    `on_error` and the run-directory lock are those of `run_search`.
    """
    if max_in_flight < 1:
        raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
    config.validate()
    check_error_policy(on_error)
    with RunLock(workdir):
        journal = Journal(os.path.join(workdir, "journal.jsonl"), finished_listener(on_result))
        try:
            return _run(
                journal, config, initial_fitness, fitness, executor, max_in_flight, on_iteration, on_error
            )
        finally:
            journal.close()


def _replay(journal: Journal, engine: RegularizedEvolution) -> dict[int, Candidate]:
    """Feeds the journal's asks and tells to `engine`; returns the candidates still open."""
    open_: dict[int, Candidate] = {}
    for record in journal.records[1:]:
        if record["type"] == "ask":  # an ask that returned nothing but skipped iterations
            if engine.ask(1):
                raise CorruptJournalError(
                    f"{journal.path}: the engine asks a candidate where the run asked none"
                )
            continue
        if record["type"] not in ("started", "finished"):
            continue
        c = open_.pop(record["candidate"], None) if record["type"] == "finished" else None
        if c is None:
            asked = engine.ask(1)
            if not asked:
                raise CorruptJournalError(
                    f"{journal.path}: candidate {record['candidate']} is journaled but the engine has "
                    "nothing to ask on replay: the journal does not belong to this code/config"
                )
            c = asked[0]
            check_replay(journal, record, c)
        if record["type"] == "started":
            open_[c.id] = c
        else:
            engine.tell([(c, record["fitness"])])
    return open_


def _run(journal, config, initial_fitness, fitness, executor, max_in_flight, on_iteration, on_error):
    open_run(journal, config, loop="steady_state")
    cache = fitness_cache(journal.records)
    engine = make_engine(config)
    history_len = 0

    def report():
        nonlocal history_len
        if on_iteration is not None:
            for row in engine.history[history_len:]:
                on_iteration(engine, row)
        history_len = len(engine.history)

    def fitness_for(c: Candidate) -> Fitness:
        return initial_fitness if c.stage == "init" else fitness

    def submit(c: Candidate, journaled: bool) -> None:
        """Evaluates `c`, or tells a cached result for its loss at once."""
        fn = fitness_for(c)
        hit = cache.get((fn.name, c.genome.hash_hex))
        if hit is not None:  # (a twin may have finished while this one waited to resume)
            journal.append(finished_record(c, fn.name, cached=hit))
            engine.tell([(c, hit["fitness"])])
            return
        seed = evaluation_seed(config.seed, c.id)
        if not journaled:
            journal.append(started_record(c, seed, fn.name))
        futures[executor.submit(fn, c.genome, seed)] = c

    futures: dict[cf.Future, Candidate] = {}
    for c in _replay(journal, engine).values():  # started, never finished: run again
        submit(c, journaled=True)
    report()
    while not engine.done:
        while len(futures) < max_in_flight:
            rows = len(engine.history)
            asked = engine.ask(1)
            if not asked:  # the stage waits for results, or the run is ending
                if len(engine.history) != rows:  # ... after skipping iterations: replay must too
                    journal.append({"type": "ask", "candidate": None, "time": time.time()})
                    report()
                break
            submit(asked[0], journaled=False)
            report()
        if not futures:
            if engine.done:
                break
            raise RuntimeError("engine asked nothing while not done")  # a bug, not a user error
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: futures[f].id):
            c = futures.pop(future)
            fn = fitness_for(c)
            try:
                result = future.result()
            except EvaluationLostError as e:  # lost with its worker, retries spent: a failed candidate
                result = FitnessResult(None, "failed", {"reason": f"evaluation lost: {e}"[:500]})
            except EvaluationError as e:
                if on_error == "stop":
                    raise
                result = error_result(e)
            rec = finished_record(c, fn.name, result)
            journal.append(rec)
            if result.status == "ok":
                cache.setdefault((fn.name, c.genome.hash_hex), rec)
            engine.tell([(c, rec["fitness"])])
        report()
    return engine
