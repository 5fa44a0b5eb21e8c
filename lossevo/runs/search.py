"""Runs a `SearchSetup` in a run directory, end to end: what `experiments/evolve.py` calls.

    from lossevo import configs, runs
    engine = runs.run_search_setup("runs/search", configs.get("small"))

It validates the setup (before anything is written), locks the run directory for the whole
run, builds the fitness functions (in a recycled worker process, or as Ray tasks), runs or
resumes the search with progress lines and TensorBoard scalars, and writes the outputs
(`runs.outputs`). `Execution` holds what changes how the search runs but not its results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import sys
from typing import Any, TextIO

import tensorflow as tf

from lossevo.configs.setup import STUB, SearchSetup
from lossevo.fitness.isolated import IsolatedFitness, WorkerPool
from lossevo.runs.baselines import ce_baselines
from lossevo.runs.outputs import TENSORBOARD, check_output_paths, write_outputs
from lossevo.search.executors import LocalExecutor
from lossevo.search.journal import journal_path, read_journal
from lossevo.search.lock import RunLock
from lossevo.search.loop import ERROR_POLICIES, run_search
from lossevo.search.ray_executor import RayExecutor
from lossevo.search.report import SearchReport, stage_sizes

EXECUTORS = ("local", "ray")


@dataclasses.dataclass(frozen=True)
class Execution:
    """How a search runs (not what it finds).

    Attributes:
      isolate: evaluate in a worker process recycled every `recycle_every` tasks (keeps
        memory flat; a crash fails one candidate); None: the surrogates do, the stub not.
      recycle_every: tasks per worker process.
      time_limit: seconds per evaluation task before its worker is killed and its
        candidates fail: "auto" (scaled to the surrogate's budget), a number, or None. It
        times the evaluation only, not a fresh worker's start; a number needs isolation
        (a thread in this process cannot be stopped), so it is refused without it.
      executor: "local" (`batch_size` at a time) or "ray" (steady state, Ray tasks).
      ray_address, max_in_flight, gpus_per_task: for `executor="ray"`.
      on_error: "stop" or "record" (`run_search`).
      tensorboard: write TensorBoard scalars under `tb/`.
    """

    isolate: bool | None = None
    recycle_every: int = 50
    time_limit: float | str | None = "auto"
    executor: str = "local"
    ray_address: str | None = None
    max_in_flight: int = 2
    gpus_per_task: float | None = None
    on_error: str = "stop"
    tensorboard: bool = True

    def validate(self, setup: SearchSetup) -> Execution:
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.on_error not in ERROR_POLICIES:
            raise ValueError(f"on_error must be one of {', '.join(ERROR_POLICIES)}, got {self.on_error!r}")
        if self.recycle_every < 1 or self.max_in_flight < 1:
            raise ValueError("recycle_every and max_in_flight must be positive")
        if self.time_limit not in ("auto", None) and not float(self.time_limit) > 0:
            raise ValueError(f"time_limit must be positive, 'auto' or None, got {self.time_limit!r}")
        if self.time_limit not in ("auto", None) and not self.isolates(setup):
            raise ValueError(
                "a time limit (--eval_timeout) needs evaluations in a worker process it can kill, and "
                "these run in this process (the stub's default): add --isolate, or drop the limit"
            )
        if self.executor == "ray" and importlib.util.find_spec("ray") is None:
            raise ValueError(
                "--executor=ray needs Ray, which is not installed here: pip install 'lossevo[ray]'"
            )
        if self.executor == "ray" and setup.batched_k:
            raise ValueError(
                "batched_k cannot be used with the Ray executor: it runs one candidate per Ray task"
            )
        return self

    def isolates(self, setup: SearchSetup) -> bool:
        if self.executor == "ray":
            return True  # each Ray task builds its fitness from the factory
        if self.isolate is not None:
            return self.isolate
        return STUB not in setup.fitness_names()


def _fitness(setup: SearchSetup, name: str, pool: WorkerPool | None, execution: Execution, workdir: str,
             stream: TextIO | None = None) -> Any:  # fmt: skip
    """The fitness `name` as the search evaluates it (in the worker pool when there is one);
    for the "ce_pair" objective, after CE's baselines are read or trained (`baselines`)."""

    def built(factory: Any) -> Any:
        if pool is None:
            return factory()
        return IsolatedFitness(
            factory, pool, chunk_size=max(1, setup.batched_k), time_limit=execution.time_limit
        )

    ce = None
    if setup.objective == "ce_pair" and name != STUB:
        ce = ce_baselines(
            workdir, setup, name, built, lambda text: print(text, file=stream or sys.stdout, flush=True)
        )
    return built(setup.factory(name, ce))


def _scalars(workdir: str):
    writer = tf.summary.create_file_writer(os.path.join(workdir, TENSORBOARD))

    def on_iteration(engine: Any, row: dict[str, Any]) -> None:
        step = row["iteration"] + 1
        with writer.as_default():
            for key in ("best", "median", "mean", "min"):
                tf.summary.scalar(f"population/{key}", row[key], step=step)
            if row["fitness"] is not None:
                tf.summary.scalar("child/fitness", row["fitness"], step=step)

    return writer, on_iteration


def run_search_setup(
    workdir: str, setup: SearchSetup, execution: Execution = Execution(), stream: TextIO | None = None
) -> Any:
    """Runs (or resumes) `setup` in `workdir` and writes its outputs; returns the engine.

    Raises before writing anything: `ValueError` (a bad setup), `DatasetUnavailableError`.
    During the run: `RunDirectoryError` (another process holds the directory, a journal of
    another configuration, an unreadable journal), `EvaluationError` (an error that is not
    about the loss, under `on_error="stop"`; run again after the fix to resume).
    """
    setup.validate()
    execution.validate(setup)
    config = setup.journal_config()
    check_output_paths(workdir, execution.tensorboard)
    with RunLock(workdir):
        done, _ = read_journal(journal_path(workdir))
        report = SearchReport(stage_sizes(config), config.iterations, stream, done=done)
        writer, scalars = _scalars(workdir) if execution.tensorboard else (None, None)

        def on_iteration(engine: Any, row: dict[str, Any]) -> None:
            report.on_iteration(engine, row)
            if scalars is not None:
                scalars(engine, row)

        pool = WorkerPool(execution.recycle_every) if execution.isolates(setup) else None
        try:
            fitness = _fitness(setup, config.fitness, pool, execution, workdir, stream)
            names = setup.fitness_names()
            initial = (
                _fitness(setup, names[0], pool, execution, workdir, stream) if len(names) > 1 else fitness
            )
            callbacks = {
                "on_iteration": on_iteration,
                "on_result": report.on_result,
                "on_started": report.on_started,
                "on_error": execution.on_error,
            }
            if execution.executor == "ray":
                with RayExecutor(
                    execution.ray_address,
                    num_gpus=execution.gpus_per_task,
                    time_limit=execution.time_limit,
                    max_in_flight=execution.max_in_flight,
                ) as executor:
                    warning = executor.capacity_warning()
                    if warning:
                        print(warning, file=stream or sys.stdout, flush=True)
                    engine = run_search(workdir, config, initial, fitness, executor, **callbacks)  # fmt: skip
            else:
                engine = run_search(
                    workdir, config, initial, fitness, LocalExecutor(config.batch_size), **callbacks
                )
        finally:
            report.close()
            with contextlib.suppress(Exception):
                writer is not None and writer.flush()
            if pool is not None:
                pool.close()
        write_outputs(workdir, engine)
    return engine
