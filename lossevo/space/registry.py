"""Genome representations by kind: decode any genome's JSON, build its search space.

    register(Representation("graph", GraphGenome.from_dict, GraphSpace, engine="regularized"))
    genome = genome_from_dict({"schema_version": 1, "kind": "tree", "expression": [...]})

A representation names its kind (the JSON's "kind"), how to decode a genome, how to build
its search space from a search's configuration, and which engine searches it
("regularized": regularized evolution, docs/reference.md §5; "gp": paper 003's genetic programming).
Genome dicts without a kind are graphs (files written before trees existed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from lossevo.space.envelope import parse_json
from lossevo.space.errors import GenomeError, quote
from lossevo.space.protocol import Genome, SearchSpace

DEFAULT_KIND = "graph"


@dataclasses.dataclass(frozen=True)
class Representation:
    """A genome kind: `from_dict(data) -> Genome`, `make_space(config) -> SearchSpace` (the
    search's `SearchConfig`), the engine that searches it ("regularized" or "gp"), and
    whether the interpreted loss encodes it (`batched`: K candidates trained at once), and
    the search sizes a search of this kind starts with unless told otherwise (`budget`:
    `SearchConfig` field -> value, e.g. paper 003's n = 16 and T = 100 for trees)."""

    kind: str
    from_dict: Callable[[Any], Genome]
    make_space: Callable[[Any], SearchSpace]
    engine: str = "regularized"
    batched: bool = False
    description: str = ""
    budget: tuple[tuple[str, int], ...] = ()


_REGISTRY: dict[str, Representation] = {}


def register(representation: Representation, replace: bool = False) -> Representation:
    """Adds a representation; registering a kind twice is an error unless `replace`."""
    if representation.kind in _REGISTRY and not replace and _REGISTRY[representation.kind] != representation:
        raise ValueError(f"genome kind {representation.kind!r} is already registered")
    _REGISTRY[representation.kind] = representation
    return representation


def unregister(kind: str) -> None:
    """Removes a representation (a user's, say, registered for one experiment or test)."""
    _REGISTRY.pop(kind, None)


def kinds() -> list[str]:
    return list(_REGISTRY)


def get(kind: str) -> Representation:
    """The representation of `kind`; an unknown kind lists the known ones."""
    if not isinstance(kind, str) or kind not in _REGISTRY:
        raise ValueError(f"unknown genome kind {quote(kind)}; kinds are {', '.join(_REGISTRY)}")
    return _REGISTRY[kind]


def genome_from_dict(data: Any) -> Genome:
    """A genome of any registered kind from its JSON dict, by its "kind" (default graph).

    Raises:
      GenomeError: an unknown kind, or any problem the kind's `from_dict` finds.
    """
    if not isinstance(data, Mapping):
        raise GenomeError("<genome>", f"expected a JSON object, got {type(data).__name__}")
    kind = data.get("kind", DEFAULT_KIND)
    if not isinstance(kind, str) or kind not in _REGISTRY:
        raise GenomeError("kind", f"unknown genome kind {quote(kind)}; kinds are {', '.join(_REGISTRY)}")
    return _REGISTRY[kind].from_dict(data)


def genome_from_json(text: str | bytes) -> Genome:
    return genome_from_dict(parse_json(text))


def as_genome(genome: Genome | Mapping | str | bytes) -> Genome:
    """A genome from a genome, its JSON dict or its JSON text."""
    if isinstance(genome, str | bytes):
        return genome_from_json(genome)
    if isinstance(genome, Mapping):
        return genome_from_dict(genome)
    if isinstance(genome, Genome):
        return genome
    raise GenomeError("<genome>", f"expected a genome, dict or JSON string, got {type(genome).__name__}")
