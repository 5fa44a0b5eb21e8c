"""Genomes: the hidden-state graph search space, its checks, mutation and rendering."""

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
    "make",
    "to_latex",
    "to_paper",
    "to_sympy",
    "to_text",
]
