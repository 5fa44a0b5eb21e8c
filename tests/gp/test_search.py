"""A GP run through the existing search loop, journal and resume (run_search unchanged; its
`make_engine` is swapped for a GP engine, as a `representation` switch would do)."""

import numpy as np
import pytest

from lossevo.evolution import FitnessResult, SearchConfig, read_journal, run_search
from lossevo.evolution import search as search_lib
from lossevo.evolution.rundir import best_candidates
from lossevo.gp import GeneticProgramming, TreeGenome, validity

CFG = SearchConfig(seed=3, population_size=6, initial_size=6, iterations=5, batch_size=4,
                   initial_fitness="stub_tree", fitness="stub_tree")  # fmt: skip


class TreeStub:
    """Deterministic fitness of a tree; NaN-free; counts evaluations; can die mid-run."""

    name = "stub_tree"

    def __init__(self, die_after: int | None = None):
        self.calls = 0
        self.die_after = die_after

    def evaluate(self, genomes, seeds):
        out = []
        for g in genomes:
            if self.die_after is not None and self.calls >= self.die_after:
                raise KeyboardInterrupt("killed")
            self.calls += 1
            v = validity.grid_values(g.expression)
            out.append(FitnessResult(float(1 / (1 + np.abs(v - 2).mean())), "ok"))
        return out


@pytest.fixture
def gp_engine(monkeypatch):
    def make_engine(config):
        return GeneticProgramming(
            np.random.default_rng(config.seed), population_size=config.population_size,
            generations=config.iterations,
        )  # fmt: skip

    monkeypatch.setattr(search_lib, "make_engine", make_engine)


def _finished(workdir):
    records, _ = read_journal(str(workdir / "journal.jsonl"))
    return [(r["candidate"], r["hash"], r["fitness"]) for r in records if r["type"] == "finished"]


def test_gp_search_journals_trees_and_resumes_exactly(tmp_path, gp_engine):
    stub = TreeStub()
    full = run_search(str(tmp_path / "full"), CFG, stub, stub)
    assert full.done and len(full.history) == 5
    reference = _finished(tmp_path / "full")
    records, _ = read_journal(str(tmp_path / "full" / "journal.jsonl"))
    started = [r for r in records if r["type"] == "started"]
    assert {r["stage"] for r in started} == {"initial", "evolve"}
    assert all(TreeGenome.from_dict(r["genome"]).hash_hex == r["hash"] for r in started)

    with pytest.raises(KeyboardInterrupt):
        run_search(str(tmp_path / "cut"), CFG, TreeStub(die_after=13), TreeStub(die_after=13))
    rest = TreeStub()
    resumed = run_search(str(tmp_path / "cut"), CFG, rest, rest)
    assert _finished(tmp_path / "cut") == reference
    assert rest.calls < stub.calls  # the journaled results were replayed, not re-evaluated
    assert resumed.history == full.history
    assert [m.genome for m in resumed.population] == [m.genome for m in full.population]

    best = best_candidates(str(tmp_path / "full"), 3, stages=("initial", "evolve"))
    assert all(isinstance(g, TreeGenome) for g, _ in best.values())
    assert max(f for _, f in best.values()) == pytest.approx(full.best().fitness)
