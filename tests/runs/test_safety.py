"""A run directory belongs to one run, errors that are not about the loss stop the search,
and a hung evaluation is cut: the library side (the launchers' side is in
`test_launcher_safety.py`)."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from lossevo import fitness
from lossevo.search import SearchConfig, run_search
from lossevo.search.types import EvaluationError, RunDirectoryBusy, RunDirectoryError
from lossevo.store.lock import RunLock

CFG = SearchConfig(seed=2, population_size=3, initial_size=6, tournament_size=2, iterations=3,
                   initial_fitness="stub", fitness="stub")  # fmt: skip
HOLD = "import sys, time; from lossevo.store.lock import RunLock; RunLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)"


def _records(workdir, kind="finished"):
    with open(os.path.join(workdir, "journal.jsonl")) as f:
        return [r for r in map(json.loads, f) if r["type"] == kind]


def test_run_lock_is_exclusive_across_processes_and_reentrant_within_one(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunDirectoryBusy, match=rf"in use by another run \(pid {holder.pid}\)"):
            RunLock(str(tmp_path)).acquire()
        with pytest.raises(RunDirectoryBusy):
            run_search(str(tmp_path), CFG, fitness.HashFitness(), fitness.HashFitness())
        assert not (tmp_path / "journal.jsonl").exists()  # refused before anything was written
    finally:
        holder.kill()
        holder.wait()
    with RunLock(str(tmp_path)), RunLock(str(tmp_path)):  # the kernel dropped the killed holder's lock
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
    run_search(str(tmp_path), CFG, fitness.HashFitness(), fitness.HashFitness())  # released again


@pytest.mark.parametrize("where", ["/proc/self", "/proc/lossevo_no_such_dir"])
def test_unwritable_run_directory_is_one_clear_error(where):
    with pytest.raises(RunDirectoryError, match=r"^/proc/(self|lossevo_no_such_dir): (the run directory is not "
                       r"writable|cannot create the run directory)"):  # fmt: skip
        RunLock(where).acquire()


def test_journal_that_is_a_directory(tmp_path):
    (tmp_path / "journal.jsonl").mkdir()
    with pytest.raises(RunDirectoryError, match=r"journal\.jsonl is a directory, not a journal file"):
        run_search(str(tmp_path), CFG, fitness.HashFitness(), fitness.HashFitness())


def test_a_journal_without_finished_evaluations_starts_over_with_a_new_configuration(tmp_path):
    class Broken:
        name = "stub"

        def evaluate(self, genomes, seeds):
            raise EvaluationError("FileNotFoundError: no such image folder")

    with pytest.raises(EvaluationError):
        run_search(str(tmp_path), CFG, Broken(), Broken())
    assert _records(tmp_path, "started") and not _records(tmp_path)
    fixed = dataclasses.replace(CFG, population_size=4)  # the corrected command differs: nothing to lose
    run_search(str(tmp_path), fixed, fitness.HashFitness(), fitness.HashFitness())
    header = _records(tmp_path, "run")
    assert len(header) == 1 and header[0]["config"]["population_size"] == 4


class FailsOn:
    """HashFitness raising an error that is not about the loss for one genome hash."""

    name = "stub"

    def __init__(self, bad):
        self.bad, self.calls = bad, 0

    def evaluate(self, genomes, seeds):
        self.calls += 1
        if genomes[0].hash_hex == self.bad:
            raise EvaluationError("InvalidArgumentError: Incompatible shapes: [32,10] vs. [32,5]")
        return fitness.HashFitness().evaluate(genomes, seeds)


def test_an_evaluation_error_stops_the_search_and_resumes_after_the_fix(tmp_path):
    first = run_search(str(tmp_path / "ref"), CFG, fitness.HashFitness(), fitness.HashFitness())
    bad = _records(tmp_path / "ref")[3]["hash"]
    with pytest.raises(EvaluationError, match="Incompatible shapes"):
        run_search(str(tmp_path / "run"), CFG, FailsOn(bad), FailsOn(bad))
    done = _records(tmp_path / "run")
    assert len(done) == 3 and not [r for r in done if r["status"] == "failed"]  # nothing recorded for it
    again = run_search(str(tmp_path / "run"), CFG, fitness.HashFitness(), fitness.HashFitness())
    assert [m.fitness for m in again.population] == [m.fitness for m in first.population]
    # The way out for a candidate that always raises: record it as failed and go on.
    recorded = run_search(str(tmp_path / "record"), CFG, FailsOn(bad), FailsOn(bad), on_error="record")
    failed = [r for r in _records(tmp_path / "record") if r["status"] == "failed"]
    assert recorded.done and any(
        "evaluation error: InvalidArgumentError" in r["info"]["reason"] for r in failed
    )


def test_seed_losses_must_fit_the_initial_population():
    with pytest.raises(ValueError, match="5 seed losses but initial_size is 2: every seed must fit"):
        dataclasses.replace(CFG, initial_size=2, population_size=2,
                            seeds=("cross_entropy", "a2", "b0", "c0", "m0")).validate()  # fmt: skip
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        dataclasses.replace(CFG, seeds=("nope",)).validate()
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        dataclasses.replace(CFG, seed=-1).validate()


@pytest.mark.slow
def test_a_hung_evaluation_is_cut_at_its_time_limit():
    factory = fitness.StubFactory(hang=120.0)  # hashes starting with "1" hang for two minutes
    with fitness.WorkerPool() as pool:
        fit = fitness.IsolatedFitness(factory, pool, time_limit=3)
        import numpy as np

        from lossevo.space.graph.sampling import sample_population

        genomes = sample_population(40, np.random.default_rng(0))
        hung = next(g for g in genomes if g.hash_hex.startswith("1"))
        fine = next(g for g in genomes if g.hash_hex[0] not in "01f")
        (cut,) = fit.evaluate([hung], [0])
        assert cut.status == "failed" and "time limit of 3 s" in cut.info["reason"]
        (after,) = fit.evaluate([fine], [0])  # a fresh worker takes the next task
        assert after.status == "ok"
    assert fitness.IsolatedFitness(factory, time_limit="auto").task_time_limit(2) == 60.0
    with pytest.raises(ValueError, match="time_limit must be positive"):
        fitness.IsolatedFitness(factory, time_limit=0)
