"""Steady-state (asynchronous) search: results in completion order, exact replay on resume."""

from __future__ import annotations

import dataclasses
import random
import threading
import time

import pytest

from lossevo import fitness
from lossevo.search import (
    CorruptJournalError,
    EvaluationLostError,
    SearchConfig,
    ThreadExecutor,
    read_journal,
    run_search,
)
from tests.search.steady import run_search_async

CFG = SearchConfig(seed=5, population_size=5, initial_size=10, tournament_size=3, iterations=30,
                   initial_fitness="stub", fitness="stub")  # fmt: skip


class Counting:
    """HashFitness that counts evaluations and sleeps a random while (so threads finish
    out of order)."""

    def __init__(self, jitter: float = 0.0):
        self.inner, self.name, self.jitter = fitness.HashFitness(), "stub", jitter
        self.evaluated: list[str] = []
        self._lock = threading.Lock()

    def evaluate(self, genomes, seeds):
        if self.jitter:
            time.sleep(random.random() * self.jitter)
        with self._lock:
            self.evaluated.extend(g.hash_hex for g in genomes)
        return self.inner.evaluate(genomes, seeds)


def _records(path, kind="finished"):
    return [r for r in read_journal(str(path / "journal.jsonl"))[0] if r["type"] == kind]


def _population(engine):
    return [(m.candidate_id, m.genome.hash_hex, m.fitness, m.age) for m in engine.population]


def test_one_in_flight_equals_the_synchronous_search(tmp_path):
    sync = run_search(str(tmp_path / "sync"), CFG, fitness.HashFitness(), fitness.HashFitness())
    with ThreadExecutor(1) as ex:
        fn = fitness.HashFitness()
        steady = run_search_async(str(tmp_path / "async"), CFG, fn, fn, ex, max_in_flight=1)
    assert _population(steady) == _population(sync)
    key = ("candidate", "hash", "fitness", "status", "cached")
    strip = lambda rs: [tuple(r.get(k) for k in key) for r in rs]  # noqa: E731
    assert strip(_records(tmp_path / "async")) == strip(_records(tmp_path / "sync"))


def test_many_in_flight_finishes_with_every_iteration_and_no_repeats(tmp_path):
    fn = Counting(jitter=0.02)
    results = []
    with ThreadExecutor(4) as ex:
        engine = run_search_async(str(tmp_path), CFG, fn, fn, ex, max_in_flight=4, on_result=results.append)
    assert results == _records(tmp_path)  # every finished record, as it was journaled
    assert engine.done and len(engine.history) == CFG.iterations
    finished = _records(tmp_path)
    assert len({r["candidate"] for r in finished}) == len(finished)
    started = {r["candidate"] for r in _records(tmp_path, "started")}
    assert started == {r["candidate"] for r in finished if not r.get("cached")}
    assert len(fn.evaluated) == len(started)


@pytest.mark.parametrize("stop_after", [1, 7, 19])
def test_resume_replays_exactly_and_repeats_nothing(tmp_path, stop_after):
    class Stop(Exception):
        pass

    def stop(engine, row):
        if len(engine.history) >= stop_after:
            raise Stop

    first = Counting(jitter=0.01)
    with pytest.raises(Stop), ThreadExecutor(3) as ex:
        run_search_async(str(tmp_path), CFG, first, first, ex, max_in_flight=3, on_iteration=stop)
    done_before = {r["candidate"] for r in _records(tmp_path) if not r.get("cached")}
    hashes_before = {r["hash"] for r in _records(tmp_path) if r["status"] == "ok"}

    second = Counting(jitter=0.01)
    with ThreadExecutor(3) as ex:
        engine = run_search_async(str(tmp_path), CFG, second, second, ex, max_in_flight=3)
    assert engine.done and len(engine.history) == CFG.iterations
    finished = _records(tmp_path)
    assert len({r["candidate"] for r in finished}) == len(finished)  # nothing told twice
    assert not hashes_before & set(second.evaluated)  # no finished (ok) evaluation repeated
    assert done_before <= {r["candidate"] for r in finished}

    third = Counting()  # a finished run replays to the same engine and evaluates nothing
    with ThreadExecutor(3) as ex:
        again = run_search_async(str(tmp_path), CFG, third, third, ex, max_in_flight=3)
    assert third.evaluated == []
    assert _population(again) == _population(engine) and again.history == engine.history


def test_replay_of_a_foreign_journal_is_refused(tmp_path):
    fn = fitness.HashFitness()
    with ThreadExecutor(2) as ex:
        run_search_async(str(tmp_path), CFG, fn, fn, ex, max_in_flight=2)
    path = tmp_path / "journal.jsonl"
    lines = path.read_text().splitlines()
    i = next(i for i, line in enumerate(lines) if '"started"' in line)
    lines[i] = lines[i].replace('"hash":"', '"hash":"0', 1)
    assert lines[i] != path.read_text().splitlines()[i]
    path.write_text("\n".join(lines) + "\n")
    # A hash edited alone no longer matches its genome: refused as the journal is read, before
    # the replay (a foreign journal whose records agree: tests/search/test_journal_integrity.py).
    match = rf"line {i + 1}: the genome of candidate \d+ hashes to"
    with pytest.raises(CorruptJournalError, match=match), ThreadExecutor(2) as ex:
        run_search_async(str(tmp_path), CFG, fn, fn, ex, max_in_flight=2)


class Flaky:
    """HashFitness that raises `error` for genomes whose hash's second digit is below 8."""

    name = "stub"

    def __init__(self, error):
        self.error = error

    def evaluate(self, genomes, seeds):
        if self.error is not None and genomes[0].hash_hex[1] in "01234567":
            raise self.error
        return fitness.HashFitness().evaluate(genomes, seeds)


def test_a_lost_evaluation_is_a_failed_candidate(tmp_path):
    fn = Flaky(EvaluationLostError("WorkerCrashedError: the worker died"))
    with ThreadExecutor(2) as ex:
        engine = run_search_async(str(tmp_path), CFG, fn, fn, ex, max_in_flight=2)
    failed = [r for r in _records(tmp_path) if r["status"] == "failed"]
    lost = [r for r in failed if r["info"]["reason"] != "stub failure"]  # HashFitness fails some itself
    assert lost and all("evaluation lost: WorkerCrashedError" in r["info"]["reason"] for r in lost)
    assert engine.done


def test_any_other_error_stops_the_search_and_a_resume_evaluates_again(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar10"), ThreadExecutor(2) as ex:
        broken = Flaky(FileNotFoundError("no cifar10 here"))
        run_search_async(str(tmp_path), CFG, broken, broken, ex, max_in_flight=2)
    assert not [r for r in _records(tmp_path) if r["status"] == "failed"]
    fixed = Counting()
    with ThreadExecutor(2) as ex:
        engine = run_search_async(str(tmp_path), CFG, fixed, fixed, ex, max_in_flight=2)
    assert engine.done and fixed.evaluated
    assert not [r for r in _records(tmp_path) if r["status"] == "failed" and "reason" in r.get("info", {})
                and "cifar10" in r["info"]["reason"]]  # fmt: skip


@pytest.mark.parametrize("in_flight", [1, 3])
def test_skipped_iterations_replay_exactly(tmp_path, in_flight):
    # One mutation try: many iterations skip inside `ask`; with one in flight (deterministic)
    # the last ones skip when nothing else is left to ask, which only the journal's `ask`
    # record lets a replay reproduce at the same point.
    cfg = dataclasses.replace(CFG, seed=6, max_mutation_tries=1, iterations=40)  # seed 6: ends skipping
    seen = []
    fn = Counting(jitter=0.005)
    with ThreadExecutor(in_flight) as ex:
        engine = run_search_async(str(tmp_path), cfg, fn, fn, ex, max_in_flight=in_flight,
                                  on_iteration=lambda e, row: seen.append(row))  # fmt: skip
    assert engine.skipped_iterations > 0 and len(engine.history) == 40
    assert seen == engine.history  # every row reported, skipped ones included
    if in_flight == 1:
        assert _records(tmp_path, "ask"), "the run had an ask that returned nothing after skipping"
    again_fn = Counting()
    with ThreadExecutor(in_flight) as ex:
        again = run_search_async(str(tmp_path), cfg, again_fn, again_fn, ex, max_in_flight=in_flight)
    assert again_fn.evaluated == [] and again.history == engine.history
    assert _population(again) == _population(engine)


@pytest.mark.parametrize("first", ["threads", "local"])
def test_a_run_resumes_with_either_executor(tmp_path, first):
    class Stop(Exception):
        pass

    def stop(engine, row):
        if len(engine.history) >= 9:
            raise Stop

    fn = Counting()
    with pytest.raises(Stop), ThreadExecutor(2) as ex:
        if first == "threads":
            run_search_async(str(tmp_path), CFG, fn, fn, ex, max_in_flight=2, on_iteration=stop)
        else:
            run_search(str(tmp_path), CFG, fn, fn, on_iteration=stop)
    ok_before = {r["hash"] for r in _records(tmp_path) if r["status"] == "ok"}
    second = Counting()
    with ThreadExecutor(2) as ex:  # the other executor resumes it: every ask is journaled
        if first == "threads":
            engine = run_search(str(tmp_path), CFG, second, second)
        else:
            engine = run_search_async(str(tmp_path), CFG, second, second, ex, max_in_flight=2)
    assert engine.done and len(engine.history) == CFG.iterations
    assert ok_before and not ok_before & set(second.evaluated)  # no finished evaluation repeated
    finished = _records(tmp_path)
    assert len({r["candidate"] for r in finished}) == len(finished)
