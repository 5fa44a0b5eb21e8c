"""Named losses from the papers, and the registry that finds them.

    >>> import lossevo
    >>> model.compile(optimizer="adam", loss=lossevo.losses.get("neuroloss1"))
    >>> model.compile(optimizer="adam", loss=lossevo.losses.InverseBesselLogarithm())

`get(name)` returns a ready Keras loss; `get_genome(name)` the genome; `names()` lists them.
NGL is registered twice: `ngl`, the plain Keras loss, and `ngl_tree`, the same function as
a tree genome of the GP space; `names()` lists both (`include_trees=False`: the graph
search space's losses and plain losses only).
"""

from __future__ import annotations

from typing import Any

import keras

from lossevo.losses import catalog
from lossevo.losses.evolved import EvolvedLoss, evolved_loss
from lossevo.losses.ngl import NGL_TREE, NextGenerationLoss, next_generation_loss
from lossevo.space.protocol import Genome

_ENTRIES = {e.name: e for e in catalog.ENTRIES}
_ALIASES = {alias: e.name for e in catalog.ENTRIES for alias in e.aliases}
_NOT_GENOMES = {"ngl": NextGenerationLoss}
_TREE_ENTRIES = {
    "ngl_tree": catalog.CatalogEntry("ngl_tree", NGL_TREE, 0.0, "003, eq. (1) and (B.1.5), as a tree genome"),
}
_GENOME_OF = {"ngl": "ngl_tree"}  # plain losses whose function a tree genome also encodes


def names(include_trees: bool = True) -> list[str]:
    """Every registered loss name (aliases not included), the tree genomes of the GP space
    (`ngl_tree`) unless `include_trees` is False."""
    return sorted([*_ENTRIES, *_NOT_GENOMES, *(_TREE_ENTRIES if include_trees else ())])


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise ValueError(f"a loss name must be a string, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _ENTRIES and key not in _NOT_GENOMES and key not in _TREE_ENTRIES:
        raise ValueError(
            f"unknown loss {name!r}; known losses: {', '.join(names(include_trees=True))} "
            f"(aliases: {', '.join(sorted(_ALIASES))})"
        )
    return key


def get_entry(name: str) -> catalog.CatalogEntry:
    """The catalog entry (genome, label smoothing, source) of a loss that is a genome: a
    graph-encodable loss, or a tree genome such as `ngl_tree`."""
    key = _canonical(name)
    if key in _NOT_GENOMES:
        hint = f", or get_genome({_GENOME_OF[key]!r}) for its tree genome" if key in _GENOME_OF else ""
        raise ValueError(f"{name!r} is not encodable in the graph search space; use get({name!r}){hint}")
    return _TREE_ENTRIES[key] if key in _TREE_ENTRIES else _ENTRIES[key]


def get_genome(name: str) -> Genome:
    """The genome of a named loss (a tree genome for tree entries such as `ngl_tree`)."""
    return get_entry(name).genome


def get(name: str, **kwargs: Any) -> keras.losses.Loss:
    """A Keras loss by name (case-insensitive). Keyword arguments go to the loss class."""
    key = _canonical(name)
    if key in _NOT_GENOMES:
        return _NOT_GENOMES[key](**kwargs)
    if key in _CLASSES:
        return _CLASSES[key](**kwargs)
    entry = get_entry(key)
    kwargs.setdefault("label_smoothing", entry.label_smoothing)
    kwargs.setdefault("name", key)
    return EvolvedLoss(entry.genome, **kwargs)


class _CatalogLoss(EvolvedLoss):
    """An `EvolvedLoss` whose genome is fixed by the catalog entry `entry_name`."""

    entry_name = ""

    def __init__(
        self,
        label_smoothing: float | None = None,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        from_logits: bool = False,
    ):
        entry = _ENTRIES[self.entry_name]
        if label_smoothing is None:
            label_smoothing = entry.label_smoothing
        super().__init__(
            entry.genome, label_smoothing, reduction, name or self.entry_name, dtype, from_logits
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("genome")
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> _CatalogLoss:
        return cls(**config)


@keras.saving.register_keras_serializable(package="lossevo")
class NeuroLoss1(_CatalogLoss):
    """NeuroLoss1: `-Σ (ln(|s|+ε) + s)`, `s = ŷ/sqrt(1+(ŷ/(y+ε))²)` (paper 002, Table 5)."""

    entry_name = "neuroloss1"


@keras.saving.register_keras_serializable(package="lossevo")
class NeuroLoss2(_CatalogLoss):
    """NeuroLoss2: `-Σ (log10(|s|+ε) + sin(s))`, `s = ŷ/sqrt(1+(ŷ/(y+ε))²)` (002, Table 5)."""

    entry_name = "neuroloss2"


@keras.saving.register_keras_serializable(package="lossevo")
class NeuroLoss3(_CatalogLoss):
    """NeuroLoss3: `-Σ (ln(|s|+ε) + min(y, ŷ/(y+ε)))` (002, Table 5)."""

    entry_name = "neuroloss3"


@keras.saving.register_keras_serializable(package="lossevo")
class InverseBesselLogarithm(_CatalogLoss):
    """A2, the inverse Bessel logarithm: `Σ y / (i0e(ln(ŷ+ε)) + ε)` (000, Table 4)."""

    entry_name = "a2"


@keras.saving.register_keras_serializable(package="lossevo")
class BesselLoss(_CatalogLoss):
    """Bessel Loss: `Σ (min(i0e(ŷ), y) + i0e(ŷ))` (002, §4.1)."""

    entry_name = "bessel"


@keras.saving.register_keras_serializable(package="lossevo")
class Baikal(_CatalogLoss):
    """Baikal loss: `-Σ (ln(ŷ+ε) - y/(ŷ+ε))` (the authors' code)."""

    entry_name = "baikal"


_CLASSES = {
    c.entry_name: c for c in (NeuroLoss1, NeuroLoss2, NeuroLoss3, InverseBesselLogarithm, BesselLoss, Baikal)
}

__all__ = [
    "NGL_TREE",
    "Baikal",
    "BesselLoss",
    "EvolvedLoss",
    "InverseBesselLogarithm",
    "NeuroLoss1",
    "NeuroLoss2",
    "NeuroLoss3",
    "NextGenerationLoss",
    "catalog",
    "evolved_loss",
    "get",
    "get_entry",
    "get_genome",
    "names",
    "next_generation_loss",
]
