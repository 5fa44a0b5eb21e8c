"""The search loop: ask the engine, evaluate in batches, journal every result, resume.

Resuming replays the journal into a fresh engine built with the same seed: the engine is
deterministic given its RNG and the results told, so it asks the same candidates again,
and every one with a `finished` record is told its journaled fitness without evaluating.
Candidates that were `started` but never `finished` (killed mid-evaluation) run again.
A fitness cache keyed by (fitness name, active-graph hash) avoids paying twice for the same
loss.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lossevo.evolution.engine import Candidate, RegularizedEvolution
from lossevo.evolution.journal import SCHEMA_VERSION, Journal, library_versions
from lossevo.evolution.lock import RunLock
from lossevo.evolution.types import (
    CorruptJournalError,
    EvaluationError,
    EvaluationLostError,
    Fitness,
    FitnessResult,
)

__all__ = [
    "EvaluationLostError",
    "Fitness",
    "FitnessResult",
    "SearchConfig",
    "evaluation_seed",
    "make_engine",
    "open_run",
    "run_search",
]


def evaluation_seed(run_seed: int, candidate_id: int) -> int:
    return int(np.random.SeedSequence([run_seed, candidate_id]).generate_state(1)[0])


@dataclasses.dataclass
class SearchConfig:
    seed: int = 0
    population_size: int = 100
    initial_size: int = 1000
    tournament_size: int = 20
    iterations: int = 2000
    max_mutation_tries: int = 2500
    max_redo: int = 7
    batch_size: int = 1
    initial_fitness: str = ""
    fitness: str = ""
    seeds: tuple[str, ...] = ()  # named losses seeding the initial population
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    representation: str = "graph"  # "tree": paper 003's GP (population_size=n, iterations=T)
    flip_rule: str = "code"  # the integrity check's flip rule (lossevo.genome.phenotype.FLIP_RULES)

    def validate(self) -> SearchConfig:
        """Raises `ValueError` naming the first bad field; returns `self`."""
        from lossevo.genome.phenotype import FLIP_RULES
        from lossevo.losses import get_genome

        positive = ("population_size", "initial_size", "tournament_size", "max_mutation_tries", "max_redo",
                    "batch_size")  # fmt: skip
        for name in positive:
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not isinstance(self.iterations, int) or self.iterations < 0:
            raise ValueError(f"iterations must be a non-negative integer, got {self.iterations!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.representation not in ("graph", "tree"):
            raise ValueError(f"representation must be 'graph' or 'tree', got {self.representation!r}")
        if self.flip_rule not in FLIP_RULES:
            raise ValueError(f"flip_rule must be one of {', '.join(FLIP_RULES)}, got {self.flip_rule!r}")
        if self.representation == "graph" and self.population_size > self.initial_size:
            raise ValueError(
                f"population_size ({self.population_size}) cannot exceed initial_size ({self.initial_size})"
            )
        room = self.population_size if self.representation == "tree" else self.initial_size
        if len(self.seeds) > room:
            what = "population_size" if self.representation == "tree" else "initial_size"
            raise ValueError(f"{len(self.seeds)} seed losses but {what} is {room}: every seed must fit")
        for name in self.seeds:
            genome = get_genome(name)  # ValueError listing the known names
            if genome.kind != self.representation:
                raise ValueError(
                    f"seed loss {name!r} is a {genome.kind} genome, not a {self.representation} one"
                )
        return self


def _config_json(config: SearchConfig) -> dict[str, Any]:
    d = dataclasses.asdict(config)
    d["seeds"] = list(d["seeds"])
    if d["representation"] == "tree":
        del d["flip_rule"]  # a graph-space setting
    else:
        del d["representation"]  # journals written before this field stay resumable
    return json.loads(json.dumps(d))


def make_engine(config: SearchConfig) -> RegularizedEvolution:
    """The engine of `config.representation`: regularized evolution over hidden-state graphs
    (papers 000/002), or genetic programming over expression trees (paper 003)."""
    from lossevo.losses import get_genome

    if config.representation == "tree":
        from lossevo.gp import GeneticProgramming

        return GeneticProgramming(
            np.random.default_rng(config.seed), population_size=config.population_size,
            generations=config.iterations, seeds=[get_genome(name) for name in config.seeds],
        )  # fmt: skip
    if config.representation != "graph":
        raise ValueError(f"representation must be 'graph' or 'tree', got {config.representation!r}")
    return RegularizedEvolution(
        np.random.default_rng(config.seed),
        population_size=config.population_size,
        initial_size=config.initial_size,
        tournament_size=config.tournament_size,
        iterations=config.iterations,
        max_mutation_tries=config.max_mutation_tries,
        max_redo=config.max_redo,
        seeds=[get_genome(name) for name in config.seeds],
        flip_rule=config.flip_rule,
    )


def run_search(
    workdir: str,
    config: SearchConfig,
    initial_fitness: Fitness,
    fitness: Fitness,
    on_iteration: Callable[[RegularizedEvolution, dict], None] | None = None,
    on_result: Callable[[dict], None] | None = None,
    on_error: str = "stop",
) -> RegularizedEvolution:
    """Runs (or resumes) a search in `workdir`; returns the finished engine.

    `on_iteration(engine, row)` follows each finished evolution iteration; `on_result(record)`
    each new `finished` journal record (every stage, cache hits included), for progress.
    `on_error` (`ERROR_POLICIES`): an `EvaluationError` (an error that is not about the loss)
    stops the search ("stop"; fix the cause and run again to resume), or fails the
    candidates of that evaluation and goes on ("record": the way out for a candidate that
    always raises). The run directory is locked for the whole run (`RunLock`).
    """
    config.validate()
    check_error_policy(on_error)
    with RunLock(workdir):
        journal = Journal(os.path.join(workdir, "journal.jsonl"), finished_listener(on_result))
        try:
            return _run(journal, config, initial_fitness, fitness, on_iteration, on_error)
        finally:
            journal.close()


ERROR_POLICIES = ("stop", "record")


def check_error_policy(on_error: str) -> None:
    if on_error not in ERROR_POLICIES:
        raise ValueError(f"on_error must be one of {', '.join(ERROR_POLICIES)}, got {on_error!r}")


def error_result(error: EvaluationError) -> FitnessResult:
    """The failed result an evaluation error becomes under `on_error="record"`."""
    return FitnessResult(None, "failed", {"reason": f"evaluation error: {error}"[:500]})


LOOPS = {"sync": "run_search (a local executor)", "steady_state": "run_search_async (--executor=ray)"}


def finished_listener(on_result: Callable[[dict], None] | None) -> Callable[[dict], None] | None:
    """A `Journal.on_append` that passes `finished` records to `on_result`."""
    if on_result is None:
        return None
    return lambda record: on_result(record) if record["type"] == "finished" else None


def config_differences(journaled: dict[str, Any], given: dict[str, Any], prefix: str = "") -> list[str]:
    """`field: journal A, command B` for every field that differs (nested `extra` included)."""
    out = []
    for key in sorted(set(journaled) | set(given), key=str):
        a, b = journaled.get(key, "(absent)"), given.get(key, "(absent)")
        if isinstance(a, dict) and isinstance(b, dict):
            out += config_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: journal {a}, command {b}")
    return out


def open_run(journal: Journal, config: SearchConfig, loop: str = "sync") -> None:
    """Writes the run header to a new journal, or checks that a journal's run has `config`
    and was made by the same search loop (`LOOPS`: their journals replay differently).

    A journal with no finished evaluation holds nothing to lose: another configuration
    (a corrected typo) starts it over."""
    header = {"type": "run", "schema_version": SCHEMA_VERSION, "config": _config_json(config),
              "versions": library_versions(), "time": time.time()}  # fmt: skip
    if loop != "sync":
        header["loop"] = loop  # absent: "sync" (journals written before there were two loops)
    records = journal.records
    if records and not any(r["type"] == "finished" for r in records):
        if records[0]["config"] != header["config"] or records[0].get("loop", "sync") != loop:
            journal.reset()
    if not journal.records:
        journal.append(header)
        return
    first = journal.records[0]
    if first["config"] != header["config"]:
        changed = "; ".join(config_differences(first["config"], header["config"]))
        raise CorruptJournalError(
            f"{journal.path} holds a run with another configuration ({changed}); resume it with the same "
            "flags, or use another run directory"
        )
    made_by = first.get("loop", "sync")
    if made_by != loop:
        raise CorruptJournalError(
            f"{journal.path}: this run was made by {LOOPS[made_by]} and can only be resumed by it, "
            f"not by {LOOPS[loop]}"
        )


def fitness_cache(records: Sequence[dict]) -> dict[tuple[str, str], dict]:
    """(fitness name, hash) -> the first evaluated `ok` record, from journal records."""
    cache: dict[tuple[str, str], dict] = {}
    for r in records:
        if r["type"] == "finished" and r["status"] == "ok" and not r.get("cached"):
            cache.setdefault((r["fitness_name"], r["hash"]), r)
    return cache


def started_record(c: Candidate, seed: int, fitness_name: str) -> dict:
    return {"type": "started", "candidate": c.id, "stage": c.stage, "iteration": c.iteration,
            "attempt": c.attempt, "parent": c.parent_id, "hash": c.genome.hash_hex,
            "genome": c.genome.to_dict(), "seed": seed, "fitness_name": fitness_name, "time": time.time()}  # fmt: skip


def finished_record(c: Candidate, fitness_name: str, result: FitnessResult | None = None,
                    cached: dict | None = None) -> dict:  # fmt: skip
    """The record of an evaluated candidate (`result`) or of a cache hit (`cached` record)."""
    rec = {"type": "finished", "candidate": c.id, "stage": c.stage, "hash": c.genome.hash_hex,
           "fitness_name": fitness_name}  # fmt: skip
    if cached is not None:
        rec.update(fitness=cached["fitness"], status="ok", cached=True)
    else:
        value = result.fitness if result.status == "ok" else None
        rec.update(fitness=value, status=result.status, info=result.info)
    rec["time"] = time.time()
    return rec


def check_replay(journal: Journal, record: dict, c: Candidate) -> None:
    """Raises unless the journaled `record` is about the candidate `c` asked on replay."""
    if record["candidate"] != c.id or record["hash"] != c.genome.hash_hex:
        raise CorruptJournalError(
            f"{journal.path}: candidate {record['candidate']} was {record['hash']} in the journal but "
            f"candidate {c.id} is {c.genome.hash_hex} on replay: the journal does not belong to this code/config"
        )


def _run(journal, config, initial_fitness, fitness, on_iteration, on_error):
    open_run(journal, config)
    finished = {r["candidate"]: r for r in journal.records if r["type"] == "finished"}
    started = {r["candidate"]: r for r in journal.records if r["type"] == "started"}
    cache = fitness_cache(journal.records)

    def fitness_for(c: Candidate) -> Fitness:
        return initial_fitness if c.stage == "init" else fitness

    engine = make_engine(config)
    history_len = 0
    while not engine.done:
        asked = engine.ask(config.batch_size)
        if not asked:
            raise RuntimeError("engine asked nothing while not done")  # a bug, not a user error
        results: dict[int, float | None] = {}
        todo: list[Candidate] = []
        for c in asked:
            fn = fitness_for(c)
            if c.id in started:
                check_replay(journal, started[c.id], c)
            record = finished.get(c.id)
            if record is not None:
                check_replay(journal, record, c)
                results[c.id] = record["fitness"]
            elif (fn.name, c.genome.hash_hex) in cache:
                hit = cache[(fn.name, c.genome.hash_hex)]
                journal.append(finished_record(c, fn.name, cached=hit))
                results[c.id] = hit["fitness"]
            else:
                todo.append(c)
        groups: dict[int, list[Candidate]] = {}  # one group per fitness object, even if both stages share it
        for c in todo:
            groups.setdefault(id(fitness_for(c)), []).append(c)
        for group in groups.values():
            fn = fitness_for(group[0])
            seeds = [evaluation_seed(config.seed, c.id) for c in group]
            for c, s in zip(group, seeds, strict=True):
                if c.id not in started:
                    journal.append(started_record(c, s, fn.name))
            try:
                evaluated = fn.evaluate([c.genome for c in group], seeds)
            except EvaluationError as e:
                if on_error == "stop":
                    raise
                evaluated = [error_result(e) for _ in group]
            for c, res in zip(group, evaluated, strict=True):
                rec = finished_record(c, fn.name, res)
                journal.append(rec)
                if res.status == "ok":
                    cache.setdefault((fn.name, c.genome.hash_hex), rec)
                results[c.id] = rec["fitness"]
        engine.tell([(c, results[c.id]) for c in asked])
        if on_iteration is not None:
            for row in engine.history[history_len:]:
                on_iteration(engine, row)
        history_len = len(engine.history)
    return engine
