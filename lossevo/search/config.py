"""A search's configuration, as its journal records it, and the engine it builds.

`SearchConfig` holds what decides a search's results apart from the fitness functions
themselves: sizes, seed, the representation (a registered genome kind) and its options
(`space`, e.g. the graph space's `flip_rule`), the fitness names, and `extra` settings the
caller records (the dataset, the training scale). `make_engine` builds the engine the
representation names (`lossevo.search.engines`), over its search space.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from lossevo.losses import get_genome
from lossevo.search import engines
from lossevo.space import registry

GRAPH_BUDGET = (("population_size", 100), ("initial_size", 1000), ("iterations", 2000))  # for unknown kinds


@dataclasses.dataclass
class SearchConfig:
    """Attributes:
    seed: seed of the whole run.
    population_size, initial_size, tournament_size, iterations: the engine's sizes (for
      the GP engine: n, generation 0's size, unused, T).
    max_mutation_tries: mutants tried per mutation (graphs: 2,500).
    max_redo: evaluations per iteration when children are rejected (7).
    batch_size: candidates asked and evaluated at once by the local executor.
    initial_fitness, fitness: names of the fitness functions (journal and cache keys).
    seeds: named losses (`lossevo.losses`) put in the initial population.
    extra: settings recorded with the run (dataset, scale, ...).
    representation: a registered genome kind ("graph", "tree", or one of yours).
    space: options of the representation's search space (graphs: `flip_rule`).

    `population_size`, `initial_size` and `iterations` left None take the representation's
    budget: graphs 100, 1,000 and 2,000 (paper 002), trees n = 16, 16 and T = 100 (paper 003).
    """

    seed: int = 0
    population_size: int | None = None  # None: the representation's budget (see below)
    initial_size: int | None = None
    tournament_size: int = 20
    iterations: int | None = None
    max_mutation_tries: int = 2500
    max_redo: int = 7
    batch_size: int = 1
    initial_fitness: str = ""
    fitness: str = ""
    seeds: tuple[str, ...] = ()
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    representation: str = "graph"
    space: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        budget = dict(GRAPH_BUDGET)
        if self.representation in registry.kinds():
            budget.update(registry.get(self.representation).budget)
        for name, value in budget.items():
            if getattr(self, name) is None:
                setattr(self, name, value)

    def validate(self) -> SearchConfig:
        """Raises `ValueError` naming the first bad field; returns `self`."""
        positive = ("population_size", "initial_size", "tournament_size", "max_mutation_tries", "max_redo",
                    "batch_size")  # fmt: skip
        for name in positive:
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not isinstance(self.iterations, int) or self.iterations < 0:
            raise ValueError(f"iterations must be a non-negative integer, got {self.iterations!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        representation = registry.get(self.representation)  # ValueError listing the kinds
        representation.make_space(self)  # the space checks its options
        engines.engine_class(self).validate_config(self)
        for name in self.seeds:
            kind = get_genome(name).kind  # ValueError listing the known names
            if kind != self.representation:
                raise ValueError(f"seed loss {name!r} is a {kind} genome, not a {self.representation} one")
        return self

    def to_json(self) -> dict[str, Any]:
        """The configuration as a journal header records it (JSON values only)."""
        d = dataclasses.asdict(self)
        d["seeds"] = list(d["seeds"])
        return json.loads(json.dumps(d))

    @classmethod
    def from_json(cls, data: dict[str, Any], schema_version: int = 2) -> SearchConfig:
        """A configuration from a journal header's `config`. Version-1 headers (lossevo's
        first build) lack `representation` for graphs; their graph searches checked mutants
        with the flip rule that ignores the parent's flip, and their tree searches checked
        each class term's range and allowed duplicate trees: they resume as they began."""
        data = dict(data)
        if schema_version < 2:
            data.setdefault("representation", "graph")
            first_build = {"graph": {"flip_rule": data.pop("flip_rule", "unflipped")},
                           "tree": {"range_rule": "term", "duplicates": "allow"}}  # fmt: skip
            data.setdefault("space", first_build.get(data["representation"], {}))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown configuration fields {unknown}")
        return cls(**{**data, "seeds": tuple(data.get("seeds", ()))})


def make_engine(config: SearchConfig) -> Any:
    """The engine `config.representation` names (`engines.engine_class`), over its search
    space, seeded by `config.seed`."""
    engine = engines.engine_class(config)
    space = registry.get(config.representation).make_space(config)
    seeds = [get_genome(name) for name in config.seeds]
    return engine.from_config(config, space, np.random.default_rng(config.seed), seeds)
