"""The types the search's parts share: candidates, results, the fitness protocol, errors.

This module imports nothing else from lossevo but the store's errors (which it re-exports),
so engines, fitness functions, executors and the search loop can all import it without
import cycles.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from lossevo.store.errors import CorruptJournalError as CorruptJournalError
from lossevo.store.errors import RunDirectoryBusy as RunDirectoryBusy
from lossevo.store.errors import RunDirectoryError as RunDirectoryError


@runtime_checkable
class GenomeLike(Protocol):
    """What the search needs of a genome of any representation."""

    @property
    def kind(self) -> str: ...

    @property
    def hash_hex(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclasses.dataclass
class Candidate:
    """One evaluation to run. `stage` is the engine's ("init", "rescore", "evolve", "initial");
    `stored` is what the search space kept with a mutant (see `Member`)."""

    id: int
    genome: GenomeLike
    stage: str
    iteration: int = -1  # evolve: the iteration (or generation) this child belongs to
    attempt: int = 0  # evolve: 0..max_redo-1
    parent_id: int | None = None
    stored: Any = dataclasses.field(default=None, repr=False, compare=False)


@dataclasses.dataclass
class Member:
    """A population member. `stored` is what the search space kept with it when it was made
    (the graph space: the binary phenotype its integrity check stored, which its similarity
    test compares); None: nothing."""

    genome: GenomeLike
    fitness: float
    age: int
    candidate_id: int
    stored: Any = dataclasses.field(default=None, repr=False, compare=False)


@dataclasses.dataclass
class FitnessResult:
    """`fitness` is None unless `status` is "ok"; `status` is "ok", "rejected" (early
    stopping) or "failed" (NaN/Inf, a lost or timed-out evaluation); `info` is free-form."""

    fitness: float | None
    status: str = "ok"
    info: dict[str, Any] = dataclasses.field(default_factory=dict)


class Fitness(Protocol):
    """A fitness function: a name (the journal's and the cache's key) and `evaluate`."""

    name: str

    def evaluate(self, genomes: Sequence[GenomeLike], seeds: Sequence[int]) -> list[FitnessResult]: ...


class EvaluationLostError(RuntimeError):
    """An evaluation was lost with the process or machine running it (a crash, an
    out-of-memory kill, a lost node, a time limit). Search loops record the candidate as
    `failed` and go on."""


class EvaluationTimeoutError(EvaluationLostError):
    """An evaluation ran past its time limit; its worker was killed."""


class EvaluationError(RuntimeError):
    """An evaluation raised an error that is not about the loss (an unknown name, a missing
    file, a shape error in the pipeline, a bug). It stops the search: every candidate would
    fail the same way. Fix the cause and run the same command again to resume."""


def succeeded(fitness: float | None) -> bool:
    """A fitness that counts: not None (rejected) and not NaN (failed)."""
    return fitness is not None and fitness == fitness


def error_text(error: BaseException, limit: int = 500) -> str:
    """`Type: message` on one line. TensorFlow's multi-line messages (a graph stack trace
    and the op) keep their first line and their last informative one."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    skip = ("File ", "Detected at node", "[[", "Stack trace", "in user code", "Traceback", "^")
    useful = [line for line in lines[1:] if not line.startswith(skip)]
    text = lines[0] if lines else ""
    if useful:
        text = f"{text} {useful[-1]}" if text.endswith(":") else f"{text} … {useful[-1]}"
    text = f"{type(error).__name__}: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB (Linux `/proc`; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def tag_worker(results: list[FitnessResult]) -> list[FitnessResult]:
    """Adds this process's pid and resident memory to each result's `info`."""
    for result in results:
        result.info = {**result.info, "worker_pid": os.getpid(), "worker_rss_mb": round(rss_mb(), 1)}
    return results


class FitnessFactory(Protocol):
    """Builds a fitness where it runs (in this process, a worker process or a Ray task):
    picklable and hashable for those that leave the process (a frozen dataclass such as
    `SurrogateFactory`), with the `name` of what it builds and, optionally,
    `time_limit(candidates)`: the seconds a task of that many candidates may take."""

    name: str

    def __call__(self) -> Fitness: ...


@dataclasses.dataclass(frozen=True, eq=False)
class Prebuilt:
    """A fitness object that is already built, as a factory: executors in this process use
    it as it is; one that leaves the process pickles it."""

    fitness: Any

    @property
    def name(self) -> str:
        return self.fitness.name

    def __call__(self) -> Any:
        return self.fitness


def as_factory(fitness: Any) -> Any:
    """A `FitnessFactory` for what a search was given: a built fitness (it has `evaluate`)
    becomes `Prebuilt`; a factory stays as it is. Every executor receives one."""
    return Prebuilt(fitness) if hasattr(fitness, "evaluate") else fitness


def check_time_limit(time_limit: Any) -> Any:
    """The one validation of a time-limit setting: "auto", None or positive seconds."""
    if time_limit in ("auto", None):
        return time_limit
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise ValueError(f"time_limit must be positive, 'auto' or None, got {time_limit!r}")
    return float(time_limit)


def task_time_limit(time_limit: Any, factory: Any, candidates: int) -> float | None:
    """The one rule for a task's time limit, in seconds (None: none): a number as given;
    "auto" the factory's `time_limit(candidates)` (scaled to its training budget), or none
    when it has none."""
    if time_limit != "auto":
        return None if time_limit is None else float(time_limit)
    limit = getattr(factory, "time_limit", None)
    return None if limit is None else float(limit(candidates))
