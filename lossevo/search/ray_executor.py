"""Evaluations as Ray tasks: the steady-state search (`run_search` with this executor) across
the GPUs of one machine or a cluster (optional dependency: `pip install "lossevo[ray]"`).

    with RayExecutor(address=None, max_in_flight=8) as executor:  # None: a local Ray; "auto", "ray://…"
        run_search(workdir, config, initial, fitness, executor)

- One process per task (`max_calls=1`): each evaluation runs in a fresh Ray worker
  process, so the memory TensorFlow keeps after building a model goes with it.
- GPU-aware: `num_gpus` per task (default: one GPU per task when the cluster has GPUs,
  none otherwise; a fraction such as 0.25 packs four evaluations on a GPU, with TensorFlow's
  memory growth switched on so they can share it).
- Retried when a worker dies (`max_retries`, Ray's system-failure retries: a killed or
  crashed process, a lost node). An exception *inside* the evaluation is not retried: it
  reaches the search, which stops on it (`EvaluationError`: not about the loss). When the
  retries are spent, the search records the candidate as failed and goes on.
- A time limit per task (`time_limit`, default the factory's `time_limit(1)`): a task past
  it is cancelled (its worker killed) and the candidate recorded as failed.

Each task builds its fitness from a `FitnessFactory` (a `SurrogateFactory`, say), so only
plain values travel and the dataset loads in the worker; a fitness object given as it is
travels pickled (`Prebuilt`).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any

from lossevo.search.executors import Closing
from lossevo.search.types import (
    EvaluationLostError,
    EvaluationTimeoutError,
    Fitness,
    FitnessResult,
    as_factory,
    check_time_limit,
    tag_worker,
    task_time_limit,
)

START_ALLOWANCE = 120.0  # seconds: a fresh Ray worker starts and imports TensorFlow before the task runs
QUIET_ENV = ("LOSSEVO_QUIET_TF", "TF_CPP_MIN_LOG_LEVEL")  # `lossevo._quiet`: TensorFlow's start-up lines


def _ray():
    try:
        import ray
    except ImportError as e:
        raise ImportError('RayExecutor needs Ray: pip install "lossevo[ray]"') from e
    return ray


def _task(factory: Any, genome: Any, seed: int, gpus: float) -> list[FitnessResult]:
    if gpus:
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    return tag_worker(factory().evaluate([genome], [seed]))


def oversubscribed(max_in_flight: int, cpus: float, gpus_per_task: float) -> str | None:
    """A warning when evaluations on CPUs outnumber the cores they share (each TensorFlow
    evaluation uses every core it sees, so more of them at once run slower in all: 8 in
    flight on 2 cores ran at half the local run's rate); None when they fit or use GPUs."""
    if gpus_per_task or not cpus or max_in_flight <= cpus:
        return None
    return (f"warning: {max_in_flight} evaluations in flight on {cpus:g} CPU cores and no GPU: they compete "
            f"for the cores and each runs slower; --max_in_flight={max(1, int(cpus) // 2)} is usually "
            "faster here")  # fmt: skip


def _translate(error: BaseException) -> BaseException:
    """Ray's errors: the evaluation's own exception, or `EvaluationLostError` for a lost worker."""
    exceptions = _ray().exceptions
    if isinstance(error, exceptions.RayTaskError):  # raised inside the task
        cause = error.as_instanceof_cause()
        return cause if isinstance(cause, BaseException) else error
    if isinstance(error, exceptions.RayError):  # worker crashed, node died, OOM-killed, ...
        lost = EvaluationLostError(f"{type(error).__name__}: {error}"[:500])
        lost.__cause__ = error
        return lost
    return error


class RayExecutor(Closing):
    """Runs evaluations as Ray tasks (see module doc).

    Args:
      address: `ray.init` address; None starts a local Ray (unless one is running already).
      num_gpus: GPUs per task; None: 1 if the cluster has GPUs, else 0.
      num_cpus: CPUs per task (Ray schedules as many tasks at once as resources allow).
      max_retries: re-runs of a task whose worker died.
      init_kwargs: more `ray.init` arguments (e.g. `num_cpus` for a local Ray).
      time_limit: seconds a task may run before it is cancelled, counted from its
        submission: "auto" (the factory's `time_limit(1)` plus `START_ALLOWANCE` for the
        fresh worker's start and TensorFlow's import; none without one), a number, or None.
      max_in_flight: evaluations (tasks) the search keeps running at once.
    """

    ask_size, wait_all, isolated = 1, False, True

    @dataclasses.dataclass(frozen=True)
    class Options:
        """`ray_address` (None: a local Ray), `max_in_flight`, `gpus_per_task` (None: 1 if
        the cluster has GPUs), `time_limit`; `batched_k` must be 0 (one candidate per task)."""

        ray_address: str | None = None
        max_in_flight: int = 2
        gpus_per_task: float | None = None
        time_limit: float | str | None = "auto"
        batched_k: int = 0

        def __post_init__(self):
            if importlib.util.find_spec("ray") is None:
                raise ValueError(
                    "--executor=ray needs Ray, which is not installed here: pip install 'lossevo[ray]'"
                )
            if self.batched_k:
                raise ValueError(
                    "batched_k cannot be used with the Ray executor: it runs one candidate per Ray task"
                )
            if self.max_in_flight < 1:
                raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight}")
            check_time_limit(self.time_limit)

    @classmethod
    def from_options(cls, batch_size: int, options: Options) -> RayExecutor:
        return cls(options.ray_address, num_gpus=options.gpus_per_task, time_limit=options.time_limit,
                   max_in_flight=options.max_in_flight)  # fmt: skip

    def __init__(
        self,
        address: str | None = None,
        num_gpus: float | None = None,
        num_cpus: float = 1,
        max_retries: int = 3,
        init_kwargs: dict[str, Any] | None = None,
        time_limit: float | str | None = "auto",
        max_in_flight: int = 2,
    ):
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self.max_in_flight = max_in_flight
        ray = _ray()
        self._owns = not ray.is_initialized()
        if self._owns:
            kwargs = dict(init_kwargs or {})
            quiet = {k: os.environ[k] for k in QUIET_ENV if k in os.environ}  # to a cluster's workers too
            if quiet and "runtime_env" not in kwargs:
                kwargs["runtime_env"] = {"env_vars": quiet}
            ray.init(address=address, **kwargs)
        if num_gpus is None:
            num_gpus = 1 if ray.cluster_resources().get("GPU", 0) else 0
        self.num_gpus, self.num_cpus, self.max_retries = num_gpus, num_cpus, max_retries
        self.time_limit = check_time_limit(time_limit)
        self._remote = ray.remote(max_calls=1)(_task).options(
            num_cpus=num_cpus, num_gpus=num_gpus, max_retries=max_retries, retry_exceptions=False
        )

    def submit(self, fitness: Fitness, genomes: Sequence[Any], seeds: Sequence[int]) -> cf.Future:
        """The evaluation's future. A task whose worker or node was lost beyond the retries
        resolves to `EvaluationLostError` (the search records a failed candidate); an
        exception raised by the evaluation itself is passed on as it is."""
        if len(genomes) != 1:
            raise ValueError(f"a Ray task evaluates one candidate, got {len(genomes)}")
        factory = as_factory(fitness)
        ref = self._remote.remote(factory, genomes[0], int(seeds[0]), self.num_gpus)
        ray_future = ref.future()
        future: cf.Future = cf.Future()
        limit = self._limit(factory)
        timer = threading.Timer(limit, lambda: _ray().cancel(ref, force=True)) if limit else None

        def done(f: cf.Future) -> None:
            if timer is not None:
                timer.cancel()
            error = f.exception()
            if error is None:
                future.set_result(f.result())
            elif timer is not None and isinstance(error, _ray().exceptions.TaskCancelledError):
                future.set_exception(
                    EvaluationTimeoutError(f"the evaluation ran past its time limit of {limit:g} s")
                )
            else:
                future.set_exception(_translate(error))

        ray_future.add_done_callback(done)
        if timer is not None:
            timer.daemon = True
            timer.start()
        return future

    def capacity_warning(self) -> str | None:
        """`oversubscribed` for this executor on its cluster's CPUs."""
        return oversubscribed(self.max_in_flight, _ray().cluster_resources().get("CPU", 0), self.num_gpus)

    def _limit(self, factory: Any) -> float | None:
        """The task's limit, counted from submission (Ray does not say when a task starts):
        an "auto" limit gets `START_ALLOWANCE` on top for a fresh worker's start."""
        limit = task_time_limit(self.time_limit, factory, 1)
        return limit + START_ALLOWANCE if limit is not None and self.time_limit == "auto" else limit

    def close(self) -> None:
        if self._owns:
            _ray().shutdown()
            self._owns = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
