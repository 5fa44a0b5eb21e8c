"""Engines declare their stages (`Engine.stages`) and are kept by name
(`lossevo.search.engines`): nothing outside the engines names an engine or a stage, and a
new engine is its class plus one `register` line, run here end to end with no change to
library code."""

from __future__ import annotations

import ast
import io
import pathlib

import pytest

from lossevo import configs
from lossevo.fitness import HashFitness
from lossevo.runs import load_run
from lossevo.search import SearchConfig, engines, run_search
from lossevo.search.engine import Engine, Stage
from lossevo.search.report import SearchReport, stage_sizes
from lossevo.search.types import Member, succeeded
from lossevo.space import registry
from lossevo.space.graph import GraphSpace

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENGINE_FILES = {"search/engine.py", "search/engines.py", "search/regularized.py", "search/gp.py"}


def _named(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """String constants equal to one of `names`, outside docstrings and outside the
    `engine=` by which a representation names the engine that searches it."""
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.keyword) and node.arg == "engine":
            skip.add(id(node.value))
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "engine":
            skip.add(id(node.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and n.value in names and id(n) not in skip]  # fmt: skip


def test_no_code_outside_the_engines_names_an_engine_or_a_stage():
    names = {*engines.ENGINES, *(s.name for e in engines.ENGINES.values() for s in e.stages)}
    assert {"regularized", "gp", "init", "rescore", "evolve", "initial"} <= names
    offenders = []
    files = [*(ROOT / "lossevo").rglob("*.py"), *(ROOT / "experiments").glob("*.py")]
    for path in files:
        rel = path.relative_to(ROOT / "lossevo").as_posix() if "lossevo" in path.parts else path.name
        if rel in ENGINE_FILES:
            continue
        offenders += [f"{path.relative_to(ROOT)}:{line} {value!r}" for line, value in _named(ast.parse(path.read_text()), names)]  # fmt: skip
    assert not offenders, "engine or stage names outside the engines:\n" + "\n".join(offenders)


def test_the_built_in_engines_describe_their_stages():
    graph, tree = (
        SearchConfig(population_size=5, initial_size=9),
        SearchConfig(representation="tree", population_size=6),
    )
    assert stage_sizes(graph) == {"init": 9, "rescore": 5} and stage_sizes(tree) == {"initial": 6}
    assert engines.fitness_fields(graph) == ("initial_fitness", "fitness")
    assert engines.fitness_fields(tree) == ("fitness",)
    assert configs.get("small_tree").fitness_names() == (configs.get("small_tree").search.fitness,)
    assert engines.linked_changes(tree, {"population_size": 8}) == {"population_size": 8, "initial_size": 8}
    assert engines.linked_changes(graph, {"population_size": 8}) == {"population_size": 8}
    with pytest.raises(ValueError, match="unknown engine 'nope'; engines: regularized, gp"):
        engines.get("nope")
    with pytest.raises(ValueError, match="has no stage 'draw'"):
        engines.stage(graph, "draw")


def test_setup_overrides_follow_the_engines_links_and_batched_k():
    tree = configs.get("small_tree").override(population_size=7)
    assert (tree.search.population_size, tree.search.initial_size) == (7, 7)
    graph = configs.get("small").override(batched_k=6, population_size=3)
    assert (
        graph.search.batch_size == 6 and graph.search.initial_size == configs.get("small").search.initial_size
    )


class RandomSampling(Engine):
    """`initial_size` random genomes, each scored once: a one-stage engine."""

    name = "random_sampling"
    stages = (Stage("draw", "initial_fitness", "initial_size"),)

    @classmethod
    def from_config(cls, config, space, rng, seeds):
        return cls(rng, space, config.initial_size)

    def __init__(self, rng, space, n):
        super().__init__(rng, space, "draw")
        self.n, self.asked, self.told = n, 0, 0

    @property
    def done(self):
        return self.told == self.n

    def _fill(self, n):
        while len(self._queue) < n and self.asked < self.n:
            self._queue.append(self._candidate(self.space.sample(1, self.rng)[0], "draw"))
            self.asked += 1

    def _tell_one(self, candidate, fitness):
        self.told += 1
        if succeeded(fitness):
            self.population.append(Member(candidate.genome, fitness, 0, candidate.id))


@pytest.fixture
def random_sampling():
    engines.register(RandomSampling)  # the one registry line
    registry.register(registry.Representation("sampled_graph", registry.get("graph").from_dict,
                                              lambda config: GraphSpace(), engine="random_sampling"))  # fmt: skip
    yield
    registry.unregister("sampled_graph")
    engines.ENGINES.pop("random_sampling")


def test_a_new_engine_runs_a_search_reports_and_replays(tmp_path, random_sampling):
    config = SearchConfig(seed=2, population_size=1, initial_size=7, iterations=0, batch_size=3,
                          initial_fitness="stub", fitness="unused", representation="sampled_graph").validate()  # fmt: skip
    stream = io.StringIO()
    report = SearchReport(stage_sizes(config), 0, stream, bar=False)
    engine = run_search(str(tmp_path), config, HashFitness(), None, on_result=report.on_result,
                        on_started=report.on_started)  # fmt: skip
    report.close()
    assert isinstance(engine, RandomSampling) and engine.done and engine.told == 7
    lines = stream.getvalue().splitlines()
    assert sum(line.startswith("draw     candidate") for line in lines) == 7
    assert any(line.startswith("draw stage: 7 evaluated") for line in lines)
    replayed = load_run(str(tmp_path)).engine
    assert [m.candidate_id for m in replayed.population] == [m.candidate_id for m in engine.population]
