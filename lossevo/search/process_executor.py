"""Process isolation as an executor: the synchronous search, each task evaluated in a
worker process that is replaced every `recycle_every` tasks (TensorFlow keeps memory after
every model it builds; the worker takes it along when it exits), with a time limit per
task that times the evaluation only (`lossevo.fitness.isolated.WorkerPool`).

    with ProcessExecutor(batch_size=4, recycle_every=50, time_limit="auto") as executor:
        run_search(workdir, config, SurrogateFactory(...), SurrogateFactory(...), executor)

A task is `batched_k` candidates (K for a fitness that trains K at once; 0: one). Factories must
be picklable and hashable (`FitnessFactory`); several share the one worker.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lossevo.fitness.isolated import IsolatedFitness, WorkerPool
from lossevo.search.executors import LocalExecutor
from lossevo.search.types import as_factory, check_time_limit


class ProcessExecutor(LocalExecutor):
    """The local executor's batches, evaluated in a recycled worker process (module doc):
    `LocalExecutor` with the fitness of each factory isolated.

    Args:
      batch_size: candidates asked and evaluated at once.
      recycle_every: tasks per worker process.
      time_limit: seconds per task: "auto" (the factory's `time_limit(n)`), a number, or None.
      batched_k: candidates trained at once, a task's size (0: one).
    """

    wait_all, isolated = True, True

    @dataclasses.dataclass(frozen=True)
    class Options:
        """`batched_k`: candidates trained at once (0: one), which is a task's size."""

        recycle_every: int = 50
        time_limit: float | str | None = "auto"
        batched_k: int = 0

        def __post_init__(self):
            if self.recycle_every < 1 or self.batched_k < 0:
                raise ValueError(f"recycle_every must be >= 1 and batched_k >= 0, got {self.recycle_every}, "
                                 f"{self.batched_k}")  # fmt: skip
            check_time_limit(self.time_limit)

    @classmethod
    def from_options(cls, batch_size: int, options: Options) -> ProcessExecutor:
        return cls(batch_size, options.recycle_every, options.time_limit, options.batched_k)

    def __init__(self, batch_size: int = 1, recycle_every: int = 50, time_limit: float | str | None = "auto",
                 batched_k: int = 0):  # fmt: skip
        super().__init__(batch_size)
        self.time_limit, self.batched_k = check_time_limit(time_limit), batched_k
        self.pool = WorkerPool(recycle_every)
        self._isolated: dict[Any, IsolatedFitness] = {}

    def fitness(self, fitness: Any) -> IsolatedFitness:
        """The isolated fitness of a factory (one per factory, all on the one worker)."""
        factory = as_factory(fitness)
        if factory not in self._isolated:
            self._isolated[factory] = IsolatedFitness(factory, self.pool, batched_k=self.batched_k,
                                                      time_limit=self.time_limit)  # fmt: skip
        return self._isolated[factory]

    def close(self) -> None:
        self.pool.close()
