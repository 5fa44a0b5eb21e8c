"""Runs a `SearchSetup` in a run directory, end to end: what `experiments/evolve.py` calls.

    from lossevo import configs, runs
    engine = runs.run_search_setup("runs/search", configs.get("small"))

It validates the setup (before anything is written), locks the run directory for the whole
run, starts the executor that `Execution` names (in this process, a recycled worker
process, threads, Ray tasks: `lossevo.search.execution`), runs or
resumes the search with progress lines and TensorBoard scalars, and writes the outputs
(`runs.outputs`). `Execution` holds what changes how the search runs but not its results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from typing import Any, TextIO

import tensorflow as tf

from lossevo.configs.setup import STUB, SearchSetup
from lossevo.runs.baselines import ce_baselines
from lossevo.runs.outputs import TENSORBOARD, check_output_paths, write_outputs
from lossevo.search import execution as executors
from lossevo.search.loop import ERROR_POLICIES, run_search
from lossevo.search.report import SearchReport, stage_sizes
from lossevo.search.types import check_time_limit
from lossevo.store.lock import RunLock


@dataclasses.dataclass(frozen=True)
class Execution:
    """How a search runs (not what it finds).

    Attributes:
      executor: a registered executor (`lossevo.search.execution`): "local" (`batch_size`
        at a time; in a recycled worker process, the "process" executor, when `isolate`),
        "process", "thread" or "ray" (steady state, Ray tasks), or one of yours.
      isolate: for "local": evaluate in a worker process recycled every `recycle_every`
        tasks (keeps memory flat; a crash fails one candidate); None: the surrogates do,
        the stub not.
      recycle_every: tasks per worker process.
      time_limit: seconds per evaluation task before its worker is killed and its
        candidates fail: "auto" (scaled to the surrogate's budget), a number, or None. It
        times the evaluation only, not a fresh worker's start; a number needs isolation
        (a thread in this process cannot be stopped), so it is refused without it.
      options: the executor's own options by name (for "ray": `ray_address`,
        `max_in_flight`, `gpus_per_task`); an option it lacks is an error.
      on_error: "stop" or "record" (`run_search`).
      tensorboard: write TensorBoard scalars under `tb/`.
    """

    executor: str = "local"
    isolate: bool | None = None
    recycle_every: int = 50
    time_limit: float | str | None = "auto"
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    on_error: str = "stop"
    tensorboard: bool = True

    def executor_name(self, setup: SearchSetup) -> str:
        """The executor that runs: "local" becomes "process" when it isolates."""
        isolate = STUB not in setup.fitness_names() if self.isolate is None else self.isolate
        return "process" if self.executor == "local" and isolate else self.executor

    def executor_options(self, setup: SearchSetup) -> Any:
        """The executor's `Options`: its own `options`, and those of this execution's and
        the setup's settings it takes (`recycle_every`, `time_limit`, `batched_k`)."""
        name = self.executor_name(setup)
        takes = {f.name for f in dataclasses.fields(executors.get(name).Options)}
        shared = {
            "recycle_every": self.recycle_every,
            "time_limit": self.time_limit,
            "batched_k": setup.batched_k,
        }
        return executors.options(name, **{k: v for k, v in shared.items() if k in takes}, **self.options)

    def validate(self, setup: SearchSetup) -> Execution:
        if self.on_error not in ERROR_POLICIES:
            raise ValueError(f"on_error must be one of {', '.join(ERROR_POLICIES)}, got {self.on_error!r}")
        kind = executors.get(self.executor_name(setup))  # an unknown name lists the executors
        if check_time_limit(self.time_limit) not in ("auto", None) and not kind.isolated:
            raise ValueError(
                "a time limit (--eval_timeout) needs evaluations in a worker process it can kill, and "
                "these run in this process (the stub's default): add --isolate, or drop the limit"
            )
        self.executor_options(setup)  # each executor's options check themselves
        return self

    def make_executor(self, setup: SearchSetup) -> Any:
        name = self.executor_name(setup)
        return executors.get(name).from_options(setup.search.batch_size, self.executor_options(setup))


class _Submitted:
    """A fitness evaluated through an executor, at once (CE's baselines)."""

    def __init__(self, executor: Any, factory: Any):
        self.executor, self.factory, self.name = executor, factory, factory.name

    def evaluate(self, genomes: list, seeds: list) -> list:
        return self.executor.submit(self.factory, genomes, seeds).result()


def _fitness(setup: SearchSetup, name: str, executor: Any, workdir: str, stream: TextIO | None = None) -> Any:
    """The factory of the fitness `name`; for the "ce_pair" objective, after CE's baselines
    are read or trained through the executor (`baselines`)."""
    ce = None
    if setup.objective == "ce_pair" and name != STUB:
        log = lambda text: print(text, file=stream or sys.stdout, flush=True)  # noqa: E731
        ce = ce_baselines(workdir, setup, name, lambda factory: _Submitted(executor, factory), log)
    return setup.factory(name, ce)


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
        report = SearchReport(stage_sizes(config), config.iterations, stream)
        writer, scalars = _scalars(workdir) if execution.tensorboard else (None, None)

        def on_iteration(engine: Any, row: dict[str, Any]) -> None:
            report.on_iteration(engine, row)
            if scalars is not None:
                scalars(engine, row)

        try:
            with execution.make_executor(setup) as executor:
                warning = executor.capacity_warning()
                if warning:
                    print(warning, file=stream or sys.stdout, flush=True)
                fitness = _fitness(setup, config.fitness, executor, workdir, stream)
                names = setup.fitness_names()
                initial = _fitness(setup, names[0], executor, workdir, stream) if len(names) > 1 else fitness
                engine = run_search(workdir, config, initial, fitness, executor, on_iteration=on_iteration,
                                    on_result=report.on_result, on_started=report.on_started,
                                    on_resumed=report.on_resumed, on_error=execution.on_error)  # fmt: skip
        finally:
            report.close()
            with contextlib.suppress(Exception):
                writer is not None and writer.flush()
        write_outputs(workdir, engine)
    return engine
