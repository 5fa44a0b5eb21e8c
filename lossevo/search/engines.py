"""The search engines by name, beside the representations that name them
(`lossevo.space.registry`: a representation says which engine searches it). Every question
about stages goes through the engine's own description (`Engine.stages`), so a new engine is
its file plus one `register` line, and nothing else in lossevo names an engine or a stage.

    engine_class(config).stages         # the stages of the engine that runs `config`
    stage_sizes(config)                 # {"init": 1000, "rescore": 100} for paper 002
    fitness_fields(config)              # ("initial_fitness", "fitness")
"""

from __future__ import annotations

from typing import Any

from lossevo.search.engine import Engine, Stage
from lossevo.search.gp import GeneticProgramming
from lossevo.search.regularized import RegularizedEvolution
from lossevo.space import registry

ENGINES: dict[str, type[Engine]] = {}


def register(engine: type[Engine]) -> type[Engine]:
    """Adds an engine class under its `name` (usable as a class decorator)."""
    if not engine.name or not engine.stages:
        raise ValueError(f"{engine.__name__} needs a `name` and its `stages` to be registered")
    ENGINES[engine.name] = engine
    return engine


register(RegularizedEvolution)
register(GeneticProgramming)


def get(name: str) -> type[Engine]:
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; engines: {', '.join(ENGINES)}")
    return ENGINES[name]


def engine_class(config: Any) -> type[Engine]:
    """The engine class of a `SearchConfig`'s representation."""
    kind = registry.get(config.representation)
    try:
        return get(kind.engine)
    except ValueError as e:
        raise ValueError(f"representation {config.representation!r}: {e}") from None


def stage_sizes(config: Any) -> dict[str, int]:
    """Evaluations per counted stage (those before evolution) of a `SearchConfig`."""
    return {s.name: getattr(config, s.size) for s in engine_class(config).stages if s.size is not None}


def fitness_fields(config: Any) -> tuple[str, ...]:
    """The `SearchConfig` fields naming the fitness functions the run uses, in stage order."""
    return tuple(dict.fromkeys(s.fitness for s in engine_class(config).stages))


def stage(config: Any, name: str) -> Stage:
    return engine_class(config).stage_named(name)


def stages_scored_by(field: str) -> tuple[str, ...]:
    """Every registered engine's stages that `field` ("fitness": the search's fitness) scores."""
    return tuple(dict.fromkeys(s.name for e in ENGINES.values() for s in e.stages if s.fitness == field))


def linked_changes(config: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` with the engine's linked fields following theirs (`Engine.linked`): for the
    GP engine, a new `population_size` is also generation 0's `initial_size`."""
    out = dict(changes)
    for field, follows in engine_class(config).linked.items():
        if follows in changes and field not in changes:
            out[field] = changes[follows]
    return out
