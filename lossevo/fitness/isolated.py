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
factory's `time_limit(n)`, scaled to its training budget). A task past its limit has its
worker killed and its candidates recorded as failed (`EvaluationTimeoutError`); the next
task starts a fresh worker.
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
    tag_worker,
)

_FITNESS: dict[Any, Fitness] = {}  # per worker process: the fitness objects built so far


def _watch_parent(parent_pid: int) -> None:
    """Worker initializer: exit when the parent is gone (killed with SIGKILL, say)."""

    def loop():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=loop, daemon=True).start()


def _started() -> int:
    """A no-op task: a fresh worker has imported lossevo once it returns."""
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
    no parallelism; give each thread its own pool for that).

    Args:
      recycle_every: tasks a worker runs before it exits and a fresh one starts
        (bounds the memory TensorFlow leaks per candidate; each start costs a few seconds
        of imports and dataset loading).
    """

    def __init__(self, recycle_every: int = 50):
        if recycle_every < 1:
            raise ValueError(f"recycle_every must be >= 1, got {recycle_every}")
        self.recycle_every = recycle_every
        self._executor: cf.ProcessPoolExecutor | None = None
        # One task at a time: with tasks queued behind a retiring worker, CPython 3.11's
        # ProcessPoolExecutor(max_tasks_per_child) may never start the next one (gh-115634).
        self._lock = threading.Lock()

    def _pool(self) -> cf.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = cf.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
                max_tasks_per_child=self.recycle_every,
            )
        return self._executor

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """Runs `fn(*args)` in the worker. Raises `WorkerDiedError` if the worker dies, and
        `EvaluationTimeoutError` (after killing the worker) if it runs past `timeout` seconds;
        a fresh worker's start-up (its imports) is not counted."""
        with self._lock:
            try:
                if timeout is not None and self._executor is None:
                    self._pool().submit(_started).result()
                return self._pool().submit(fn, *args).result(timeout=timeout)
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
      chunk_size: candidates per task (1: a dying worker fails one candidate; K for a
        `BatchedSurrogateFitness` of population K, which trains a task's candidates at once).
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
        chunk_size: int = 1,
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
        self.chunk_size = chunk_size
        if time_limit != "auto" and time_limit is not None and not float(time_limit) > 0:
            raise ValueError(f"time_limit must be positive, 'auto' or None, got {time_limit!r}")
        self.time_limit = time_limit

    def task_time_limit(self, candidates: int) -> float | None:
        """The time limit of a task of `candidates` candidates, in seconds (None: none)."""
        if self.time_limit != "auto":
            return None if self.time_limit is None else float(self.time_limit)
        limit = getattr(self.factory, "time_limit", None)
        return None if limit is None else float(limit(candidates))

    def evaluate(self, genomes: Sequence[Any], seeds: Sequence[int]) -> list[FitnessResult]:
        if len(genomes) != len(seeds):
            raise ValueError(f"{len(genomes)} genomes but {len(seeds)} seeds")
        out = []
        for i in range(0, len(genomes), self.chunk_size):
            chunk = list(genomes[i : i + self.chunk_size])
            chunk_seeds = [int(s) for s in seeds[i : i + len(chunk)]]
            try:
                out += self.pool.run(
                    _evaluate_in_worker,
                    self.factory,
                    chunk,
                    chunk_seeds,
                    timeout=self.task_time_limit(len(chunk)),
                )
            except WorkerDiedError as e:
                out += [FitnessResult(None, "failed", {"reason": f"worker process died: {e}"}) for _ in chunk]
            except EvaluationTimeoutError as e:
                out += [FitnessResult(None, "failed", {"reason": f"timed out: {e}"}) for _ in chunk]
        return out

    def close(self) -> None:
        self.pool.close()
