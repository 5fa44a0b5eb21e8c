"""The hidden-state graph representation (papers 000 and 002): genome, op tables, the
integrity check and similarity (`phenotype`), initialisation (`sampling`), mutation,
renderings (`formula`), the authors' pickles (`legacy`) and its search space (`GraphSpace`).
"""

from lossevo.space.errors import GenomeError
from lossevo.space.graph import formula, legacy, mutation, ops, phenotype, raw, sampling
from lossevo.space.graph.formula import to_latex, to_paper, to_sympy, to_text
from lossevo.space.graph.genome import KIND, Genome, Node, make
from lossevo.space.graph.ops import BINARY_OPS, EPSILON, UNARY_OPS
from lossevo.space.graph.phenotype import CheckResult, binary_phenotype, check
from lossevo.space.graph.slots import SLOT_NAMES
from lossevo.space.graph.space import GraphSpace

__all__ = [
    "BINARY_OPS",
    "EPSILON",
    "KIND",
    "SLOT_NAMES",
    "UNARY_OPS",
    "CheckResult",
    "Genome",
    "GenomeError",
    "GraphSpace",
    "Node",
    "binary_phenotype",
    "check",
    "formula",
    "legacy",
    "make",
    "mutation",
    "ops",
    "phenotype",
    "raw",
    "sampling",
    "to_latex",
    "to_paper",
    "to_sympy",
    "to_text",
]
