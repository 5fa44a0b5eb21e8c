"""What a search reports reads right (issue 23 item 5): a steady-state run's progress
figure against a monotone axis and its iteration lines with the count finished, a stage's
time from its first candidate sent (not its first result), a resumed run saying so, one
iteration drawn as a point, and the warning for more evaluations in flight than cores."""

from __future__ import annotations

import io
import random
import time

import pytest

from lossevo import fitness
from lossevo.figures import plot_progress
from lossevo.runs import load_run
from lossevo.search import SearchConfig, ThreadExecutor, run_search
from lossevo.search import report as report_module
from lossevo.search.ray_executor import oversubscribed
from lossevo.search.report import SearchReport, iteration_line, resumed_line

CFG = SearchConfig(seed=5, population_size=5, initial_size=10, tournament_size=3, iterations=30,
                   initial_fitness="stub", fitness="stub")  # fmt: skip


class Jittery:
    """HashFitness that sleeps a random while, so threads finish their children out of order."""

    name = "stub"

    def __init__(self):
        self.inner, self.rng = fitness.HashFitness(), random.Random(0)

    def evaluate(self, genomes, seeds):
        time.sleep(self.rng.random() * 0.03)
        return self.inner.evaluate(genomes, seeds)


@pytest.fixture(scope="module")
def steady_run(tmp_path_factory):
    """A steady-state run of four threads, its printed lines, and its journal replayed."""
    workdir = tmp_path_factory.mktemp("steady")
    stream = io.StringIO()
    report = SearchReport({"init": 10, "rescore": 5}, CFG.iterations, stream, bar=False)
    fn = Jittery()
    with ThreadExecutor(4) as ex:
        ex.max_in_flight = 4
        run_search(str(workdir), CFG, fn, fn, ex, on_iteration=report.on_iteration, on_result=report.on_result,
                   on_started=report.on_started)  # fmt: skip
    report.close()
    return workdir, stream.getvalue().splitlines(), load_run(str(workdir)).engine.history


def test_a_steady_state_run_is_drawn_against_a_monotone_axis(steady_run):
    _, _, history = steady_run
    numbers = [row["iteration"] + 1 for row in history]
    assert numbers != sorted(numbers), "the run finished its children out of order"
    ax = plot_progress(history).axes[0]
    for line in ax.get_lines():
        x = list(line.get_xdata())
        assert x == list(range(1, len(history) + 1))  # one point per iteration finished, in order
    assert ax.get_xlabel().startswith("iterations finished (steady state")


def test_a_steady_state_runs_iteration_lines_say_how_many_are_done(steady_run):
    _, lines, history = steady_run
    iters = [line for line in lines if line.startswith("iter ")]
    assert len(iters) == len(history) == CFG.iterations
    for done, (line, row) in enumerate(zip(iters, history, strict=True), start=1):
        assert line.startswith(f"iter {row['iteration'] + 1:5d}/30")
        assert line.endswith(f"({done} done)") == (row["iteration"] + 1 != done)
    assert any(line.endswith("done)") for line in iters)


def test_a_synchronous_run_keeps_its_iteration_axis_and_one_iteration_is_a_point(tmp_path):
    one = SearchConfig(**{**CFG.__dict__, "iterations": 1})
    engine = run_search(str(tmp_path), one, fitness.HashFitness(), fitness.HashFitness())
    ax = plot_progress(engine.history).axes[0]
    assert ax.get_xlabel() == "iteration"
    assert all(list(line.get_xdata()) == [1] and line.get_marker() == "o" for line in ax.get_lines())
    row = engine.history[0]
    assert not iteration_line(row, 1, 1).endswith("done)")


def test_a_stages_time_runs_from_its_first_candidate_sent(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(report_module.time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    report = SearchReport({"initial": 1}, 5, stream, bar=False)
    report.on_started({"type": "started", "stage": "initial", "candidate": 0})
    clock[0] += 56.0  # one 56 s evaluation (the tree run's summary said "0 s, 34654 evaluations/h")
    report.on_result({"type": "finished", "stage": "initial", "candidate": 0, "fitness": 0.5, "status": "ok"})
    (summary,) = [line for line in stream.getvalue().splitlines() if "stage:" in line]
    assert summary.endswith("; 56 s, 64 evaluations/h")
    report = SearchReport({"init": 2}, 5, io.StringIO(), bar=False)
    report.on_started({"type": "started", "stage": "init", "candidate": 0})
    clock[0] += 0.4
    report.on_result({"type": "finished", "stage": "init", "candidate": 0, "fitness": 0.5, "status": "ok"})
    assert report.counts["init"].summary("init").endswith("; 0.4 s")  # no rate from under a second


def test_a_resumed_run_says_what_was_already_done():
    done = [{"type": "run"}, *({"type": "finished", "stage": "init"} for _ in range(10)),
            *({"type": "finished", "stage": "rescore"} for _ in range(5)),
            {"type": "finished", "stage": "evolve"}, {"type": "started", "stage": "evolve"}]  # fmt: skip
    assert resumed_line(done) == ("resuming: 16 evaluations were already finished (init 10, rescore 5, "
                                  "evolve 1); the search goes on from where it stopped")  # fmt: skip
    stream = io.StringIO()
    SearchReport({"init": 10, "rescore": 5}, 5, stream, bar=False, done=iter(done))
    assert stream.getvalue().startswith("resuming: 16 evaluations")
    assert resumed_line([{"type": "run"}]) is None


def test_more_evaluations_in_flight_than_cores_are_warned_about():
    assert "8 evaluations in flight on 2 CPU cores" in oversubscribed(8, 2.0, 0)
    assert "--max_in_flight=1" in oversubscribed(8, 2.0, 0)
    assert oversubscribed(2, 2.0, 0) is None and oversubscribed(8, 2.0, 1) is None
    assert oversubscribed(8, 0, 0) is None  # a cluster that reports no CPUs: nothing to say
