"""Fitness evaluated in a worker process that is replaced every N candidates.

TensorFlow does not give back all the memory of models built in a loop, even after
`keras.backend.clear_session()` and `gc.collect()` (`benchmarks/bench_search.py` measured
about 13 MB per candidate, 3.4 GB after 200). A search of thousands of candidates
therefore evaluates in a separate process that exits after `recycle_every` candidates and
takes its memory with it:

    factory = SurrogateFactory("convnet", dataset="synthetic", scale=0.05)
    with WorkerPool(recycle_every=50) as pool:
        fitness = IsolatedFitness(factory, pool)
        results = fitness.evaluate(genomes, seeds)

The worker builds the fitness itself from `factory` (a picklable, hashable callable such
as `SurrogateFactory`), so the dataset is loaded in the worker and the parent never
imports a model. A worker that dies (segfault, out-of-memory kill) fails only the
candidate it was evaluating, recorded as `failed`; the next evaluation starts a new worker.
An exception raised while *building* the fitness (say, a dataset that is not available
offline) is a configuration error and is raised in the parent. Each result's `info` gets
the worker's pid and resident memory, so the journal shows the memory of a long search.
Several `IsolatedFitness` objects may share one pool (one worker process).

A hung evaluation must not hang the search: each task has a time limit (by default the
factory's `time_limit(n)`, scaled to its training budget). The limit times the evaluation
only: a fresh worker starts and builds its fitness before the clock runs (`WorkerPool`). A
task past its limit has its worker killed and its candidates recorded as failed
(`EvaluationTimeoutError`); the next task starts a fresh worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from lossevo.search.types import (
    EvaluationLostError,
    EvaluationTimeoutError,
    Fitness,
    FitnessResult,
    check_time_limit,
    tag_worker,
    task_time_limit,
)

_FITNESS: dict[Any, Fitness] = {}  # per worker process: the fitness objects built so far


def _watch_parent(parent_pid: int) -> None:
    """Worker initializer: exit when the parent is gone (killed with SIGKILL, say)."""

    def loop():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=loop, daemon=True).start()


def _prepare(factory: Callable[[], Fitness] | None) -> int:
    """A fresh worker's first task, before any timed one: it has imported lossevo once this
    returns, and built the fitness of `factory` (None: only started)."""
    if factory is not None and factory not in _FITNESS:
        _FITNESS[factory] = factory()
    return os.getpid()


def _evaluate_in_worker(
    factory: Callable[[], Fitness], genomes: list, seeds: list[int]
) -> list[FitnessResult]:
    fitness = _FITNESS.get(factory)
    if fitness is None:
        fitness = _FITNESS[factory] = factory()
    return tag_worker(fitness.evaluate(genomes, seeds))


class WorkerDiedError(EvaluationLostError):
    """The worker process ended while evaluating (crash, kill, out of memory)."""


class WorkerPool:
    """One spawned worker process, replaced after `recycle_every` tasks or when it dies.

    Tasks run one at a time: callers in several threads wait their turn (one worker gives
    no parallelism; give each thread its own pool for that). A task's time limit counts
    the task only: a fresh worker first starts (spawn, imports) and builds the task's
    fitness in an untimed preparation, given `start_timeout` seconds, and a preparation cut
    by it is tried once more with another fresh worker before the task fails.

    Args:
      recycle_every: tasks a worker runs before it exits and a fresh one starts
        (bounds the memory TensorFlow leaks per candidate; each start costs a few seconds
        of imports and dataset loading). Preparations are not counted.
      start_timeout: seconds a fresh worker may take to start and build a fitness.
    """

    def __init__(self, recycle_every: int = 50, start_timeout: float = 600.0):
        if recycle_every < 1:
            raise ValueError(f"recycle_every must be >= 1, got {recycle_every}")
        self.recycle_every = recycle_every
        self.start_timeout = start_timeout
        self._executor: cf.ProcessPoolExecutor | None = None
        self._tasks = 0  # timed tasks the current worker has run
        self._prepared: set[Any] = set()  # factories the current worker has built
        # One task at a time. Workers are retired here, not by ProcessPoolExecutor's
        # max_tasks_per_child, which would count the preparations and, with tasks queued
        # behind a retiring worker, may never start the next one (CPython gh-115634).
        self._lock = threading.Lock()

    def _pool(self) -> cf.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = cf.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
            self._tasks, self._prepared = 0, set()
        return self._executor

    def _prepare(self, factory: Callable[[], Fitness] | None) -> None:
        """Starts a worker if none runs and builds `factory`'s fitness in it, untimed by the
        task's limit; a preparation past `start_timeout` is retried once with a fresh worker."""
        for attempt in (1, 2):
            if self._executor is not None and factory in self._prepared:
                return
            try:
                self._pool().submit(_prepare, factory).result(timeout=self.start_timeout)
                self._prepared.add(factory)
                return
            except cf.TimeoutError:
                self._kill()
                if attempt == 2:
                    raise EvaluationTimeoutError(f"its worker did not start within {self.start_timeout:g} s, "
                                                 "twice; the worker was killed") from None  # fmt: skip

    def run(
        self, fn: Callable[..., Any], *args: Any, timeout: float | None = None, prepare: Any = None
    ) -> Any:
        """Runs `fn(*args)` in the worker, after an untimed preparation that starts a fresh
        worker and builds `prepare`'s fitness there (a factory, or None). Raises
        `WorkerDiedError` if the worker dies, and `EvaluationTimeoutError` (after killing the
        worker) if `fn` runs past `timeout` seconds."""
        with self._lock:
            if self._executor is not None and self._tasks >= self.recycle_every:
                self._shutdown()  # retired: this task gets a fresh worker
            try:
                self._prepare(prepare)
                future = self._pool().submit(fn, *args)
                self._tasks += 1
                return future.result(timeout=timeout)
            except BrokenProcessPool as e:
                self._shutdown()
                raise WorkerDiedError(str(e) or "the worker process ended abruptly") from e
            except cf.TimeoutError:
                self._kill()
                raise EvaluationTimeoutError(
                    f"the evaluation ran past its time limit of {timeout:g} s; its worker was killed"
                ) from None

    def _kill(self) -> None:
        """Ends the worker at once (a hung task cannot be cancelled), then the executor."""
        if self._executor is not None:
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.kill()
                process.join(timeout=30)
            self._shutdown()

    def _shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        with self._lock:
            self._shutdown()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class IsolatedFitness:
    """A `Fitness` that evaluates each candidate in a `WorkerPool`'s process.

    Args:
      factory: builds the fitness inside the worker; must be picklable and hashable (a
        frozen dataclass such as `SurrogateFactory`, or a module-level function) and have
        a `name` unless `name` is given.
      pool: the worker pool (default: a new one with `recycle_every`).
      name: the fitness name (journal and cache key; default `factory.name`).
      recycle_every: for the default pool (counted in tasks).
      batched_k: candidates per task (0 or 1: one, so a dying worker fails one candidate;
        K for a `SurrogateFitness(batched_k=K)`, which trains a task's candidates at once).
      time_limit: seconds a task may run before its worker is killed and its candidates
        fail: "auto" (the factory's `time_limit(candidates)`, or none if it has none), a
        number, or None (no limit).
    """

    def __init__(
        self,
        factory: Callable[[], Fitness],
        pool: WorkerPool | None = None,
        name: str | None = None,
        recycle_every: int = 50,
        batched_k: int = 0,
        time_limit: float | str | None = "auto",
    ):
        if not isinstance(factory, Hashable):
            raise TypeError(f"the fitness factory must be hashable (a frozen dataclass): {factory!r}")
        try:
            pickle.dumps(factory)
        except Exception as e:
            raise TypeError(
                f"the fitness factory must be picklable to reach the worker process (a module-level "
                f"function or a frozen dataclass, not a lambda or closure): {factory!r}: {e}"
            ) from e
        self.factory = factory
        self.name = name if name is not None else factory.name
        self.pool = pool if pool is not None else WorkerPool(recycle_every)
        self.batched_k = batched_k
        self.time_limit = check_time_limit(time_limit)

    def task_time_limit(self, candidates: int) -> float | None:
        """The time limit of a task of `candidates` candidates, in seconds (None: none):
        the search's one rule, `task_time_limit`."""
        return task_time_limit(self.time_limit, self.factory, candidates)

    def evaluate(self, genomes: Sequence[Any], seeds: Sequence[int]) -> list[FitnessResult]:
        if len(genomes) != len(seeds):
            raise ValueError(f"{len(genomes)} genomes but {len(seeds)} seeds")
        out = []
        size = max(1, self.batched_k)
        for i in range(0, len(genomes), size):
            chunk = list(genomes[i : i + size])
            chunk_seeds = [int(s) for s in seeds[i : i + len(chunk)]]
            try:
                out += self.pool.run(
                    _evaluate_in_worker,
                    self.factory,
                    chunk,
                    chunk_seeds,
                    timeout=self.task_time_limit(len(chunk)),
                    prepare=self.factory,
                )
            except WorkerDiedError as e:
                out += [FitnessResult(None, "failed", {"reason": f"worker process died: {e}"}) for _ in chunk]
            except EvaluationTimeoutError as e:
                out += [FitnessResult(None, "failed", {"reason": f"timed out: {e}"}) for _ in chunk]
        return out

    def close(self) -> None:
        self.pool.close()
