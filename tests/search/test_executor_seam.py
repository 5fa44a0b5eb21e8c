"""One execution seam: executors kept by name with their own option types
(`lossevo.search.execution`), every one handed a `FitnessFactory`, one time-limit rule.
A new executor is its class plus one `register` line, run here through the whole
`runs.run_search_setup` with no change to library code."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses

import pytest

from lossevo import configs, fitness
from lossevo.runs import Execution, run_search_setup
from lossevo.search import execution, read_journal
from lossevo.search.executors import Closing, LocalExecutor, evaluate
from lossevo.search.process_executor import ProcessExecutor
from lossevo.search.ray_executor import START_ALLOWANCE, RayExecutor
from lossevo.search.types import Prebuilt, as_factory, check_time_limit, task_time_limit

STUB = dict(fitness="stub", initial_fitness="stub", population_size=3, initial_size=6, tournament_size=2,
            iterations=4, seed=3)  # fmt: skip


class EveryOther(Closing):
    """Evaluates in this process, `pairs` candidates per ask, and counts what it evaluated."""

    wait_all = True

    @dataclasses.dataclass(frozen=True)
    class Options:
        pairs: int = 2

    @classmethod
    def from_options(cls, batch_size, options):
        return cls(options.pairs)

    def __init__(self, pairs):
        self.ask_size = self.max_in_flight = pairs
        self.evaluated, self.names = 0, set()

    def submit(self, fitness_factory, genomes, seeds):
        future = cf.Future()
        factory = as_factory(fitness_factory)
        self.names.add(factory.name)
        future.set_result(evaluate(factory(), genomes, seeds))
        self.evaluated += len(genomes)
        EveryOther.last = self
        return future


@pytest.fixture
def every_other():
    execution.register("every_other", EveryOther)  # the one registry line
    yield
    execution.EXECUTORS.pop("every_other")


def test_a_new_executor_runs_a_search_from_its_registry_line(tmp_path, every_other):
    setup = configs.get("small").replace(**STUB)
    engine = run_search_setup(str(tmp_path), setup, Execution("every_other", options={"pairs": 3}))
    executor = EveryOther.last
    assert engine.done and executor.ask_size == 3 and executor.names == {"stub"}
    records = read_journal(str(tmp_path / "journal.jsonl"))[0]
    fresh = [r for r in records if r["type"] == "finished" and not r.get("cached")]
    assert executor.evaluated == len(fresh) > 0
    asks = {r["n"] for r in records if r["type"] == "ask"}
    assert asks == {3}  # the loop asked as the executor said
    with pytest.raises(
        ValueError, match=r"executor 'every_other' has no option max_in_flight; its options: pairs"
    ):
        Execution("every_other", options={"max_in_flight": 2}).validate(setup)


def test_the_registry_names_its_executors_and_their_options():
    assert list(execution.EXECUTORS)[:4] == ["local", "process", "thread", "ray"]
    with pytest.raises(ValueError, match="unknown executor 'gpu'; executors: local, process, thread, ray"):
        execution.get("gpu")
    process = execution.make_executor("process", batch_size=4, recycle_every=2, time_limit=30, batched_k=3)
    assert isinstance(process, ProcessExecutor) and process.ask_size == 4 and process.batched_k == 3
    process.close()
    assert isinstance(execution.make_executor("local", 5), LocalExecutor)
    with pytest.raises(ValueError, match="recycle_every must be >= 1"):
        execution.options("process", recycle_every=0)


def test_local_runs_in_a_worker_process_when_it_isolates():
    surrogates, stub = configs.get("small"), configs.get("small").replace(**STUB)
    assert Execution().executor_name(surrogates) == "process" and Execution().executor_name(stub) == "local"
    assert Execution(isolate=True).executor_name(stub) == "process"
    options = Execution(recycle_every=7, time_limit=9).executor_options(
        surrogates.replace(batched_k=4, batch_size=4)
    )
    assert (options.recycle_every, options.time_limit, options.batched_k) == (7, 9.0, 4)
    with pytest.raises(ValueError, match="needs evaluations in a worker process"):
        Execution(time_limit=3).validate(stub)


def test_one_time_limit_rule():
    factory = fitness.StubFactory(delay=0.5)
    assert task_time_limit("auto", factory, 2) == factory.time_limit(2) == 70.0
    assert task_time_limit(12, factory, 2) == 12.0 and task_time_limit(None, factory, 2) is None
    assert task_time_limit("auto", Prebuilt(fitness.HashFitness()), 1) is None  # no budget: no limit
    for bad in (0, -1, "soon", True):
        with pytest.raises(ValueError, match="time_limit must be positive"):
            check_time_limit(bad)
    assert fitness.IsolatedFitness(factory, time_limit="auto").task_time_limit(2) == 70.0
    ray = object.__new__(RayExecutor)  # its limit only: no Ray started
    ray.time_limit = "auto"
    assert ray._limit(factory) == factory.time_limit(1) + START_ALLOWANCE  # counted from submission
    ray.time_limit = 45.0
    assert ray._limit(factory) == 45.0


def test_a_built_fitness_is_a_factory_of_itself():
    built = fitness.HashFitness()
    assert as_factory(built)() is built and as_factory(built).name == built.name
    factory = fitness.StubFactory()
    assert as_factory(factory) is factory
