"""`IsolatedFitness`: evaluation in a recycled worker process (memory containment)."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from lossevo import data, fitness
from lossevo.fitness import HashFitness, IsolatedFitness, SurrogateFactory, SurrogateFitness, WorkerPool
from lossevo.space.graph.sampling import sample_population

GENOMES = sample_population(5, np.random.default_rng(3))


@dataclasses.dataclass(frozen=True)
class StubFactory:
    """A picklable factory of `HashFitness`, crashing the worker on one genome."""

    name: str = "stub"
    crash_on: str = ""  # hash of the genome whose evaluation kills the worker
    fail_build: bool = False

    def __call__(self):
        if self.fail_build:
            raise FileNotFoundError("no such dataset: nowhere.npz")
        inner = HashFitness(self.name)
        crash_on = self.crash_on

        class Crashing:
            name = inner.name

            def evaluate(self, genomes, seeds):
                if any(g.hash_hex == crash_on for g in genomes):
                    os.kill(os.getpid(), signal.SIGKILL)
                return inner.evaluate(genomes, seeds)

        return Crashing()


@pytest.mark.slow
def test_results_equal_in_process_and_workers_are_recycled():
    with WorkerPool(recycle_every=2) as pool:
        fitness = IsolatedFitness(StubFactory(), pool)
        results = fitness.evaluate(GENOMES, range(5))
    expected = HashFitness("stub").evaluate(GENOMES, range(5))
    assert [(r.fitness, r.status) for r in results] == [(r.fitness, r.status) for r in expected]
    pids = [r.info["worker_pid"] for r in results]
    assert os.getpid() not in pids
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]  # a new worker every 2 candidates
    assert all(r.info["worker_rss_mb"] > 0 for r in results)
    assert fitness.name == "stub"


@pytest.mark.slow
def test_chunks_of_candidates_per_task():
    with WorkerPool(recycle_every=1) as pool:  # a new worker per task
        results = IsolatedFitness(StubFactory(), pool, batched_k=2).evaluate(GENOMES, range(5))
    expected = HashFitness("stub").evaluate(GENOMES, range(5))
    assert [r.fitness for r in results] == [r.fitness for r in expected]
    pids = [r.info["worker_pid"] for r in results]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    with pytest.raises(ValueError, match="seeds"):
        IsolatedFitness(StubFactory(), pool).evaluate(GENOMES, [0])


@pytest.mark.slow
def test_callers_in_several_threads_take_turns():
    from concurrent.futures import ThreadPoolExecutor

    with WorkerPool(recycle_every=2) as pool:  # workers retire while other threads wait
        fitness = IsolatedFitness(StubFactory(), pool)
        with ThreadPoolExecutor(3) as threads:
            futures = [threads.submit(fitness.evaluate, [g], [i]) for i, g in enumerate(GENOMES)]
            results = [f.result(timeout=300)[0] for f in futures]
    expected = HashFitness("stub").evaluate(GENOMES, range(5))
    assert [r.fitness for r in results] == [r.fitness for r in expected]
    assert len({r.info["worker_pid"] for r in results}) == 3  # 5 tasks, 2 per worker


@pytest.mark.slow
def test_a_dying_worker_fails_only_its_candidate():
    fitness = IsolatedFitness(StubFactory(crash_on=GENOMES[1].hash_hex), recycle_every=10)
    try:
        results = fitness.evaluate(GENOMES[:3], [0, 1, 2])
    finally:
        fitness.close()
    assert results[1].status == "failed" and results[1].fitness is None
    assert "worker process died" in results[1].info["reason"]
    expected = HashFitness("stub").evaluate([GENOMES[0], GENOMES[2]], [0, 2])
    assert [results[0].fitness, results[2].fitness] == [e.fitness for e in expected]
    assert results[0].info["worker_pid"] != results[2].info["worker_pid"]


@pytest.mark.slow
def test_a_fitness_that_cannot_be_built_is_an_error_in_the_parent():
    fitness = IsolatedFitness(StubFactory(fail_build=True), recycle_every=1)
    try:
        with pytest.raises(FileNotFoundError, match=r"nowhere\.npz"):
            fitness.evaluate(GENOMES[:1], [0])
    finally:
        fitness.close()


def test_factories_must_reach_the_worker():
    with pytest.raises(TypeError, match="picklable"):
        IsolatedFitness(lambda: HashFitness(), name="x")
    with pytest.raises(TypeError, match="hashable"):
        IsolatedFitness([HashFitness], name="x")
    with pytest.raises(ValueError, match="recycle_every"):
        WorkerPool(recycle_every=0)


@pytest.mark.slow
def test_surrogate_in_a_worker_equals_in_process():
    kwargs = {"num_train": 256, "num_validation": 64, "num_test": 8}
    factory = SurrogateFactory.make("convnet", "synthetic", kwargs, scale=0.002, threshold_scale=0.0)
    assert factory == SurrogateFactory.make("convnet", "synthetic", dict(reversed(kwargs.items())),
                                            scale=0.002, threshold_scale=0.0)  # fmt: skip
    assert hash(factory) and factory.name == "convnet_standard"
    local = SurrogateFitness("convnet", data.load("synthetic", **kwargs), scale=0.002, threshold_scale=0.0)
    isolated = IsolatedFitness(factory, recycle_every=5)
    try:
        got = isolated.evaluate(GENOMES[:2], [7, 8])
    finally:
        isolated.close()
    want = local.evaluate(GENOMES[:2], [7, 8])
    for g, w in zip(got, want, strict=True):
        assert g.status == w.status == "ok"
        assert g.fitness == pytest.approx(w.fitness, abs=1e-6)
        assert g.info["stages"] == w.info["stages"]
    with pytest.raises(ValueError, match="known: convnet"):
        SurrogateFactory.make("resnet50", "synthetic")


@pytest.mark.slow
def test_worker_exits_when_the_parent_is_killed(tmp_path):
    pidfile = tmp_path / "worker.pid"
    script = textwrap.dedent(f"""
        import dataclasses, os, time
        from lossevo.fitness import IsolatedFitness
        from lossevo.space.graph.sampling import sample_population
        import numpy as np

        @dataclasses.dataclass(frozen=True)
        class Slow:
            name: str = "slow"
            def __call__(self):
                return self
            def evaluate(self, genomes, seeds):
                open({str(pidfile)!r}, "w").write(str(os.getpid()))
                time.sleep(120)

        if __name__ == "__main__":
            IsolatedFitness(Slow()).evaluate(sample_population(1, np.random.default_rng(0)), [0])
    """)
    path = tmp_path / "parent.py"
    path.write_text(script)
    parent = subprocess.Popen([sys.executable, str(path)], cwd=tmp_path)
    try:
        deadline = time.time() + 120
        while not pidfile.exists() or not pidfile.read_text():
            assert time.time() < deadline, "the worker never started"
            assert parent.poll() is None, "the parent exited early"
            time.sleep(0.2)
        worker = int(pidfile.read_text())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 15
        while _alive(worker):
            assert time.time() < deadline, "the worker outlived its parent"
            time.sleep(0.2)
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "State:\tZ" not in f.read()
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_a_time_limit_times_the_evaluation_not_the_workers_start():
    """With a fresh worker per task, each start (spawn, imports: seconds) comes before the
    clock runs: a 0.05 s stub never reaches a 3 s limit (it did every time, the start and
    the task's own fitness construction being charged to it)."""
    with WorkerPool(recycle_every=1) as pool:
        results = IsolatedFitness(fitness.StubFactory(delay=0.05), pool, time_limit=3).evaluate(
            GENOMES[:4], range(4)
        )
    assert [r.status for r in results] != ["failed"] * 4
    assert not any("timed out" in r.info.get("reason", "") for r in results)
    assert len({r.info["worker_pid"] for r in results if "worker_pid" in r.info}) == 4  # one worker per task


@dataclasses.dataclass(frozen=True)
class SlowFirstBuild:
    """Builds `HashFitness`, hanging for a minute the first time (while `marker` is absent
    and when it is a folder)."""

    marker: str
    name: str = "stub"

    def __call__(self):
        if not os.path.isfile(self.marker):
            if not os.path.exists(self.marker):
                open(self.marker, "w").close()
            time.sleep(60)
        return HashFitness(self.name)


@pytest.mark.slow
def test_a_worker_cut_while_starting_is_started_again_once(tmp_path):
    factory = SlowFirstBuild(str(tmp_path / "built_once"))
    with WorkerPool(recycle_every=5, start_timeout=8) as pool:
        start = time.monotonic()
        (result,) = IsolatedFitness(factory, pool, time_limit=2).evaluate(GENOMES[:1], [0])
        assert result.status == HashFitness("stub").evaluate(GENOMES[:1], [0])[0].status
        assert "reason" not in result.info or "timed out" not in result.info["reason"]
        assert 8 <= time.monotonic() - start < 50  # the first start was cut, the second one built it
    never = SlowFirstBuild(str(tmp_path / "never"))
    os.makedirs(never.marker)  # `exists` yet not a file: each build hangs past the start's limit
    with WorkerPool(recycle_every=5, start_timeout=2) as pool:
        (result,) = IsolatedFitness(never, pool, time_limit=2).evaluate(GENOMES[:1], [0])
    assert result.status == "failed" and "did not start within 2 s, twice" in result.info["reason"]
