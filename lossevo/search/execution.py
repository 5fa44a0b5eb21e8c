"""The executors by name, each with its own option type: a new executor is its file plus
one `register` line, and a launcher or `runs.Execution` names it.

    executor = make_executor("process", batch_size=4, recycle_every=1, time_limit=30)
    with executor:
        run_search(workdir, config, initial, fitness, executor)

- "local": in this process, `batch_size` at a time (`LocalExecutor`);
- "process": the same in a recycled worker process, with a time limit (`ProcessExecutor`);
- "thread": steady state in threads (`ThreadExecutor`, option `max_in_flight`);
- "ray": steady state as Ray tasks (`RayExecutor`; Ray is imported when one starts).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lossevo.search.executors import LocalExecutor, ThreadExecutor
from lossevo.search.process_executor import ProcessExecutor
from lossevo.search.ray_executor import RayExecutor

EXECUTORS: dict[str, Any] = {}


def register(name: str, executor: Any) -> Any:
    """Adds an executor class: it has an `Options` dataclass and `from_options(batch_size, options)`."""
    if not dataclasses.is_dataclass(getattr(executor, "Options", None)) or not hasattr(
        executor, "from_options"
    ):
        raise ValueError(
            f"executor {name!r} needs an Options dataclass and from_options(batch_size, options)"
        )
    EXECUTORS[name] = executor
    return executor


register("local", LocalExecutor)
register("process", ProcessExecutor)
register("thread", ThreadExecutor)
register("ray", RayExecutor)


def get(name: str) -> Any:
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; executors: {', '.join(EXECUTORS)}")
    return EXECUTORS[name]


def options(name: str, **values: Any) -> Any:
    """The executor's options from keyword values; an option it does not have is an error
    naming the ones it has."""
    kind = get(name).Options
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"executor {name!r} has no option {', '.join(unknown)}; its options: "
                         f"{', '.join(sorted(known)) or 'none'}")  # fmt: skip
    return kind(**values)


def make_executor(name: str, batch_size: int = 1, **values: Any) -> Any:
    """The executor `name` with its options (`options`); use it as a context manager."""
    return get(name).from_options(batch_size, options(name, **values))
