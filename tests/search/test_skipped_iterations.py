"""`skipped_iterations` counts every iteration the report prints as "child skipped": no
valid mutant, or every child failed (issue 23 item 5), in a run and after a resume."""

from __future__ import annotations

import pytest

from lossevo import fitness
from lossevo.runs import load_run
from lossevo.search import SearchConfig, read_journal, run_search
from lossevo.search.report import iteration_line
from lossevo.search.types import FitnessResult

# Three mutation tries: some iterations find no valid mutant; two evaluations per iteration
# with most children failing: many iterations end with every child failed.
CFG = SearchConfig(seed=0, population_size=5, initial_size=10, tournament_size=3, iterations=30,
                   initial_fitness="stub", fitness="stub", max_redo=2, max_mutation_tries=3)  # fmt: skip


class Flaky:
    """HashFitness whose evolve-stage results fail when the hash's second digit is below a."""

    name = "stub"

    def __init__(self):
        self.inner = fitness.HashFitness()

    def evaluate(self, genomes, seeds):
        out = self.inner.evaluate(genomes, seeds)
        failed = FitnessResult(None, "failed", {"reason": "flaky stub"})
        return [failed if int(g.hash_hex[1], 16) < 10 else r for g, r in zip(genomes, out, strict=True)]


class Stop(Exception):
    pass


def _skipped_in_journal(workdir) -> int:
    """Iterations minus those with a successful child: an iteration ends at its first
    success and re-mutates only after a failure, so each success is one iteration's."""
    records = read_journal(str(workdir / "journal.jsonl"))[0]
    ok = {r["candidate"] for r in records
          if r["type"] == "finished" and r["stage"] == "evolve" and r["fitness"] is not None}  # fmt: skip
    return CFG.iterations - len(ok)


def _lines(rows) -> int:
    return sum("skipped" in iteration_line(row, CFG.iterations) for row in rows)


def test_every_skipped_line_is_counted(tmp_path):
    rows = []
    engine = run_search(str(tmp_path), CFG, fitness.HashFitness(), Flaky(),
                        on_iteration=lambda e, row: rows.append(row))  # fmt: skip
    assert engine.done and len(rows) == CFG.iterations
    no_mutant = [r for r in engine.history if r["child"] is None]
    all_failed = [r for r in engine.history if r["child"] is not None and r["fitness"] is None]
    assert no_mutant and all_failed, "the run exercises both ways of skipping"
    assert engine.skipped_iterations == len(no_mutant) + len(all_failed)
    assert engine.skipped_iterations == _lines(rows) == _skipped_in_journal(tmp_path)
    assert engine.skipped_iterations < CFG.iterations  # some children succeeded


@pytest.mark.parametrize("stop_after", [7, 19])
def test_the_count_survives_a_resume_by_replay(tmp_path, stop_after):
    reference = run_search(str(tmp_path / "whole"), CFG, fitness.HashFitness(), Flaky())

    def stop(engine, row):
        if len(engine.history) >= stop_after:
            raise Stop

    with pytest.raises(Stop):
        run_search(str(tmp_path / "cut"), CFG, fitness.HashFitness(), Flaky(), on_iteration=stop)
    replayed = load_run(str(tmp_path / "cut")).engine  # replay only: nothing evaluated
    assert replayed.skipped_iterations == sum(r["fitness"] is None for r in replayed.history)
    assert replayed.skipped_iterations == _lines(replayed.history)
    rows = []
    resumed = run_search(str(tmp_path / "cut"), CFG, fitness.HashFitness(), Flaky(),
                         on_iteration=lambda e, row: rows.append(row))  # fmt: skip
    assert resumed.history == reference.history and len(rows) == CFG.iterations
    assert resumed.skipped_iterations == reference.skipped_iterations == _lines(rows)
    assert resumed.skipped_iterations == _skipped_in_journal(tmp_path / "cut")
    assert load_run(str(tmp_path / "cut")).engine.skipped_iterations == resumed.skipped_iterations
