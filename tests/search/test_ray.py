"""The Ray executor on a real local Ray cluster (two CPU workers): a small steady-state
search, and a worker killed mid-evaluation that loses nothing."""

from __future__ import annotations

import os
import signal
import sys

import pytest

ray = pytest.importorskip("ray")

from lossevo import fitness  # noqa: E402
from lossevo.search import (  # noqa: E402
    SearchConfig,
    read_journal,
)
from lossevo.search.ray_executor import RayExecutor  # noqa: E402
from tests.search.steady import run_search_async  # noqa: E402

pytestmark = pytest.mark.ray

CFG = SearchConfig(seed=2, population_size=3, initial_size=5, tournament_size=2, iterations=3,
                   initial_fitness="stub", fitness="stub")  # fmt: skip


class KillOnce:
    """HashFitness whose worker process dies (SIGKILL) the first time it evaluates the
    genome with hash `victim`; a marker file remembers that it happened."""

    name = "stub"

    def __init__(self, victim: str, marker: str):
        self.victim, self.marker = victim, marker

    def evaluate(self, genomes, seeds):
        if genomes[0].hash_hex == self.victim and not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return fitness.HashFitness().evaluate(genomes, seeds)


@pytest.fixture(scope="module")
def executor():
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import tests/
    with RayExecutor(init_kwargs={"num_cpus": 2, "include_dashboard": False, "log_to_driver": False}) as ex:
        assert ray.cluster_resources()["CPU"] == 2
        yield ex
    assert not ray.is_initialized()


def _finished(path):
    return [r for r in read_journal(str(path / "journal.jsonl"))[0] if r["type"] == "finished"]


def test_a_small_search_on_ray_equals_the_same_search_in_threads(tmp_path, executor):
    from lossevo.search import ThreadExecutor

    fn = fitness.HashFitness()
    on_ray = run_search_async(str(tmp_path / "ray"), CFG, fn, fn, executor, max_in_flight=1)
    with ThreadExecutor(1) as threads:
        local = run_search_async(str(tmp_path / "local"), CFG, fn, fn, threads, max_in_flight=1)
    assert on_ray.done and len(on_ray.history) == CFG.iterations
    population = lambda e: [(m.candidate_id, m.genome.hash_hex, m.fitness) for m in e.population]  # noqa: E731
    assert population(on_ray) == population(local)
    records = _finished(tmp_path / "ray")
    pids = {r["info"]["worker_pid"] for r in records if not r.get("cached")}
    assert os.getpid() not in pids
    assert len(pids) == len([r for r in records if not r.get("cached")])  # one process per task


def test_a_worker_killed_mid_evaluation_loses_nothing(tmp_path, executor):
    import numpy as np

    from lossevo.space.graph.sampling import sample_population

    victim = sample_population(1, np.random.default_rng(0))[0]
    marker = tmp_path / "killed.pid"
    fn = KillOnce(victim.hash_hex, str(marker))
    future = executor.submit(fn, [victim], [3])  # the executor protocol: lists of genomes and seeds
    (result,) = future.result(timeout=300)
    assert marker.exists(), "the first attempt was killed"
    assert result.status == "ok" and result.info["worker_pid"] != int(marker.read_text())
    assert result.fitness == fitness.HashFitness().evaluate([victim], [3])[0].fitness

    # inside a search: two in flight, one of them killed once; every candidate finishes once
    (tmp_path / "run").mkdir()
    fn2 = KillOnce(_first_candidate_hash(CFG), str(tmp_path / "run" / "killed.pid"))
    engine = run_search_async(str(tmp_path / "run"), CFG, fn2, fn2, executor, max_in_flight=2)
    assert (tmp_path / "run" / "killed.pid").exists()
    records = _finished(tmp_path / "run")
    assert len({r["candidate"] for r in records}) == len(records)
    (rec,) = [r for r in records if r["candidate"] == 0]
    assert rec["status"] == "ok" and engine.done


def _first_candidate_hash(config):
    from lossevo.search.loop import make_engine

    return make_engine(config).ask(1)[0].genome.hash_hex


class Broken:
    name = "stub"

    def evaluate(self, genomes, seeds):
        raise FileNotFoundError("no cifar10 on this worker")


def test_an_error_inside_the_task_comes_back_as_itself(executor):
    import numpy as np

    from lossevo.space.graph.sampling import sample_population

    future = executor.submit(Broken(), sample_population(1, np.random.default_rng(1)), [0])
    with pytest.raises(FileNotFoundError, match="no cifar10 on this worker"):
        future.result(timeout=300)


def test_a_hung_task_is_cancelled_at_its_time_limit(tmp_path, executor):
    from lossevo.search.loop import make_engine

    victim = make_engine(CFG).ask(5)[2].genome.hash_hex  # only this initial genome hangs
    hang = fitness.StubFactory(hang=600.0, hang_prefix=victim)  # a factory: each task builds its fitness
    executor.time_limit = 45.0  # counted from submission: a fresh Ray worker imports TensorFlow first
    try:
        engine = run_search_async(str(tmp_path), CFG, hang, hang, executor, max_in_flight=2)
    finally:
        executor.time_limit = "auto"
    timed_out = [
        r for r in _finished(tmp_path) if "time limit of 45 s" in r.get("info", {}).get("reason", "")
    ]
    assert engine.done and [r["hash"] for r in timed_out] == [victim]
