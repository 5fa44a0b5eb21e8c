"""The search loop, one for every engine and executor: ask the engine, evaluate, journal
every ask and result, tell the engine, resume by replay.

    engine = run_search("runs/mine", config, initial_fitness, fitness)           # batches here
    engine = run_search("runs/ray", config, initial, fitness, RayExecutor(max_in_flight=8))

The synchronous search is the steady-state one with an executor that answers a whole batch
(`executors.LocalExecutor`). A fitness cache keyed by (fitness name, genome hash) answers a
loss met again from its first result (journaled as `cached`). Resuming replays the journal
into a fresh engine (`replay.replay`); candidates asked but not finished run again, no
finished evaluation repeats. The run directory is locked for the whole run.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from typing import Any

from lossevo.search import engines
from lossevo.search.config import SearchConfig, make_engine
from lossevo.search.executors import Executor, LocalExecutor
from lossevo.search.journal import (
    Journal,
    RecordType,
    ask_record,
    finished_record,
    fitness_cache,
    journal_path,
    run_header,
    started_record,
)
from lossevo.search.replay import replay
from lossevo.search.types import (
    Candidate,
    EvaluationError,
    EvaluationLostError,
    Fitness,
    FitnessResult,
)
from lossevo.seeds import evaluation_seed
from lossevo.store.errors import CorruptJournalError
from lossevo.store.lock import RunLock

ERROR_POLICIES = ("stop", "record")


def check_error_policy(on_error: str) -> None:
    if on_error not in ERROR_POLICIES:
        raise ValueError(f"on_error must be one of {', '.join(ERROR_POLICIES)}, got {on_error!r}")


def error_result(error: BaseException) -> FitnessResult:
    """The failed result of a lost evaluation, or of an evaluation error under "record"."""
    kind = "evaluation lost" if isinstance(error, EvaluationLostError) else "evaluation error"
    return FitnessResult(None, "failed", {"reason": f"{kind}: {error}"[:500]})


def config_differences(journaled: dict[str, Any], given: dict[str, Any], prefix: str = "") -> list[str]:
    """`field: journal A, command B` for every field that differs (nested dicts included)."""
    out = []
    for key in sorted(set(journaled) | set(given), key=str):
        a, b = journaled.get(key, "(absent)"), given.get(key, "(absent)")
        if isinstance(a, dict) and isinstance(b, dict):
            out += config_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: journal {a}, command {b}")
    return out


def open_run(journal: Journal, config: SearchConfig) -> None:
    """Writes the header of a new journal, or checks that the journal's run has `config`.
    A journal without a finished evaluation holds nothing to lose: another configuration (a
    corrected typo) starts it over."""
    given = config.to_json()
    records = journal.records
    if records:
        journaled = SearchConfig.from_json(
            records[0]["config"], records[0].get("schema_version", 1)
        ).to_json()
        if journaled != given and not any(r["type"] == RecordType.FINISHED.value for r in records):
            journal.reset()
        elif journaled != given:
            changed = "; ".join(config_differences(journaled, given))
            raise CorruptJournalError(f"{journal.path} holds a run with another configuration ({changed}); resume "
                                      "it with the same settings, or use another run directory")  # fmt: skip
    if not journal.records:
        journal.append(run_header(given))


def run_search(
    workdir: str,
    config: SearchConfig,
    initial_fitness: Fitness,
    fitness: Fitness,
    executor: Executor | None = None,
    on_iteration: Callable[[Any, dict], None] | None = None,
    on_result: Callable[[dict], None] | None = None,
    on_error: str = "stop",
    on_started: Callable[[dict], None] | None = None,
    on_resumed: Callable[[list[dict]], None] | None = None,
) -> Any:
    """Runs (or resumes) a search in `workdir`; returns the finished engine.

    Args:
      workdir: the run directory (locked for the run; `journal.jsonl` in it).
      config: the search (`SearchConfig`), validated first.
      initial_fitness: evaluates the initial stage (`init`); `fitness` evaluates the rest.
      executor: where evaluations run (default `LocalExecutor(config.batch_size)`).
      on_iteration: called with `(engine, row)` after each finished iteration.
      on_result: called with each new `finished` record (all stages, cache hits included).
      on_started: called with each new `started` record (a candidate sent to evaluation).
      on_resumed: called once, before any evaluation, with the journal's records as the one
        replay read them (empty for a new run): where a resumed run stands.
      on_error: an `EvaluationError` (not about the loss) stops the search ("stop"; fix
        it and run again to resume) or fails that evaluation's candidates ("record").
    """
    config.validate()
    check_error_policy(on_error)
    executor = executor or LocalExecutor(config.batch_size)
    with RunLock(workdir):
        listeners = {"finished": on_result, "started": on_started}

        def listener(record: dict[str, Any]) -> None:
            call = listeners.get(record["type"])
            if call is not None:
                call(record)

        journal = Journal(journal_path(workdir), listener)
        try:
            return _Loop(
                journal, config, initial_fitness, fitness, executor, on_iteration, on_error, on_resumed
            ).run()
        finally:
            journal.close()


class _Loop:
    def __init__(
        self, journal, config, initial_fitness, fitness, executor, on_iteration, on_error, on_resumed
    ):
        self.journal, self.config, self.executor = journal, config, executor
        self.initial_fitness, self.fitness = initial_fitness, fitness
        self.on_iteration, self.on_error, self.on_resumed = on_iteration, on_error, on_resumed
        self.futures: dict[cf.Future, tuple[list[Candidate], Fitness]] = {}
        self.reported = 0

    def fitness_for(self, c: Candidate) -> Fitness:
        field = engines.stage(self.config, c.stage).fitness  # which fitness scores the stage
        return self.initial_fitness if field == "initial_fitness" else self.fitness

    def report(self) -> None:
        if self.on_iteration is not None:
            for row in self.engine.history[self.reported :]:
                self.on_iteration(self.engine, row)
        self.reported = len(self.engine.history)

    def tell(self, c: Candidate, record: dict[str, Any]) -> None:
        self.journal.append(record)
        if record.get("status") == "ok" and not record.get("cached"):
            self.cache.setdefault((record["fitness_name"], record["hash"]), record)
        self.engine.tell([(c, record["fitness"])])

    def submit(self, candidates: list[Candidate], journaled: dict[int, dict]) -> None:
        """Answers cache hits at once and sends the rest, grouped by fitness function."""
        groups: dict[int, list[Candidate]] = {}
        for c in candidates:
            fn = self.fitness_for(c)
            hit = self.cache.get((fn.name, c.genome.hash_hex))
            if hit is not None:  # (a twin may have finished while this one waited to resume)
                self.tell(c, finished_record(c, fn.name, cached=hit))
            else:
                groups.setdefault(id(fn), []).append(c)
        for group in groups.values():
            fn = self.fitness_for(group[0])
            seeds = []
            for c in group:
                seed = (
                    journaled[c.id]["seed"] if c.id in journaled else evaluation_seed(self.config.seed, c.id)
                )
                if c.id not in journaled:
                    self.journal.append(started_record(c, seed, fn.name))
                seeds.append(seed)
            self.futures[self.executor.submit(fn, [c.genome for c in group], seeds)] = (group, fn)

    def collect(self, future: cf.Future) -> None:
        group, fn = self.futures.pop(future)
        try:
            results = future.result()
        except EvaluationLostError as e:  # lost with its worker: failed candidates
            results = [error_result(e)] * len(group)
        except EvaluationError as e:
            if self.on_error == "stop":
                raise
            results = [error_result(e)] * len(group)
        for c, result in sorted(zip(group, results, strict=True), key=lambda pair: pair[0].id):
            self.tell(c, finished_record(c, fn.name, result))

    def run(self) -> Any:
        open_run(self.journal, self.config)
        self.engine = make_engine(self.config)
        state = replay(self.journal.path, self.journal.records, self.engine, self.config.batch_size,
                       self.config.to_json())  # fmt: skip
        self.cache = fitness_cache(state.records)
        if self.on_resumed is not None:
            self.on_resumed(state.records)
        if self.journal.schema_version < 2:  # lossevo's first build: every ask made explicit
            self.journal.rewrite(state.records)
        self.submit(list(state.open.values()), state.started)  # asked before the stop: run again
        self.report()
        ex = self.executor
        while not self.engine.done:
            while self.in_flight() + ex.ask_size <= ex.max_in_flight:
                rows = len(self.engine.history)
                asked = self.engine.ask(ex.ask_size)
                if asked or len(self.engine.history) != rows:  # an empty ask that skipped iterations too
                    self.journal.append(ask_record(ex.ask_size, asked))
                self.submit(asked, {})
                self.report()
                if not asked:  # the stage waits for results, or the run is ending
                    break
            if not self.futures:
                if self.engine.done:
                    break
                raise RuntimeError("the engine asked nothing while not done")  # a bug, not a user error
            how = cf.ALL_COMPLETED if ex.wait_all else cf.FIRST_COMPLETED
            done, _ = cf.wait(list(self.futures), return_when=how)
            for future in sorted(done, key=lambda f: self.futures[f][0][0].id):
                self.collect(future)
            self.report()
        return self.engine

    def in_flight(self) -> int:
        return sum(len(group) for group, _ in self.futures.values())


__all__ = ["ERROR_POLICIES", "config_differences", "evaluation_seed", "open_run", "run_search"]
