"""The two genome kinds side by side: decoding JSON of either, and rendering either.

A genome dict carries `"kind"`: `"graph"` (the hidden-state graph, `lossevo.genome.Genome`;
also assumed when the field is absent, as in files written before trees existed) or
`"tree"` (`lossevo.gp.TreeGenome`). Journals, run directories and saved Keras models
decode genomes through `genome_from_dict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from lossevo.genome import formula as graph_formula
from lossevo.genome.genome import KIND as GRAPH_KIND
from lossevo.genome.genome import Genome, GenomeError, parse_json, quote
from lossevo.gp import formula as tree_formula
from lossevo.gp.tree import KIND as TREE_KIND
from lossevo.gp.tree import TreeGenome

AnyGenome = Genome | TreeGenome
KINDS: dict[str, type] = {GRAPH_KIND: Genome, TREE_KIND: TreeGenome}


def genome_from_dict(data: Any) -> AnyGenome:
    """A graph or tree genome from its JSON dict, by its `kind` (default "graph").

    Raises:
      GenomeError: for an unknown kind, or any problem the kind's `from_dict` finds.
    """
    if not isinstance(data, Mapping):
        raise GenomeError("<genome>", f"expected a JSON object, got {type(data).__name__}")
    kind = data.get("kind", GRAPH_KIND)
    if not isinstance(kind, str) or kind not in KINDS:
        raise GenomeError("kind", f"unknown genome kind {quote(kind)}; kinds are {', '.join(KINDS)}")
    return KINDS[kind].from_dict(data)


def genome_from_json(text: str | bytes) -> AnyGenome:
    return genome_from_dict(parse_json(text))


def as_genome(genome: AnyGenome | Mapping | str) -> AnyGenome:
    """A genome object from a genome, its JSON dict or its JSON string."""
    if isinstance(genome, Genome | TreeGenome):
        return genome
    if isinstance(genome, str | bytes):
        return genome_from_json(genome)
    if isinstance(genome, Mapping):
        return genome_from_dict(genome)
    raise GenomeError("<genome>", f"expected a genome, dict or JSON string, got {type(genome).__name__}")


def _formula(genome: AnyGenome):
    if isinstance(genome, TreeGenome):
        return tree_formula
    if isinstance(genome, Genome):
        return graph_formula
    raise TypeError(f"expected a Genome or TreeGenome, got {type(genome).__name__}")


def to_text(genome: AnyGenome) -> str:
    """The element-wise term of either kind (see each kind's `formula.to_text`)."""
    return _formula(genome).to_text(genome)


def to_paper(genome: AnyGenome) -> str:
    """Paper-style formula of either kind."""
    return _formula(genome).to_paper(genome)


def to_latex(genome: AnyGenome) -> str:
    """LaTeX of the whole loss, for either kind."""
    return _formula(genome).to_latex(genome)


def to_sympy(genome: AnyGenome, simplify: bool = False, eps: float | sp.Expr | None = None) -> sp.Expr:
    """SymPy form of the per-class term, for either kind."""
    return _formula(genome).to_sympy(genome, simplify=simplify, eps=eps)
