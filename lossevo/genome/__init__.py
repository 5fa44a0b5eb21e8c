"""Genomes: the hidden-state graph search space, its checks, mutation and rendering.

The expression-tree genomes of the GP search live in `lossevo.gp`; `genome_from_dict` and
`genome_from_json` (from `lossevo.gp.kinds`, loaded on first use) decode either kind.
"""

from lossevo.genome.formula import to_latex, to_paper, to_sympy, to_text
from lossevo.genome.genome import SLOT_NAMES, Genome, GenomeError, Node, make
from lossevo.genome.ops import BINARY_OPS, EPSILON, UNARY_OPS
from lossevo.genome.phenotype import CheckResult, binary_phenotype, check

__all__ = [
    "BINARY_OPS",
    "EPSILON",
    "SLOT_NAMES",
    "UNARY_OPS",
    "CheckResult",
    "Genome",
    "GenomeError",
    "Node",
    "binary_phenotype",
    "check",
    "genome_from_dict",
    "genome_from_json",
    "make",
    "to_latex",
    "to_paper",
    "to_sympy",
    "to_text",
]


def __getattr__(name: str):
    if name in ("genome_from_dict", "genome_from_json"):
        from lossevo.gp import kinds

        return getattr(kinds, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
