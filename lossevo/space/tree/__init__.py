"""The expression-tree representation of paper 003 (the search that found NGL): the operator
table, the immutable `TreeGenome`, evaluation, the limits and value-range check
(`validity`), random growth, crossover and mutations (`variation`), renderings, and its
search space (`TreeSpace`). The engine is `lossevo.search.GeneticProgramming`.
"""

from lossevo.space.tree import growth, validity, variation
from lossevo.space.tree.formula import to_latex, to_paper, to_sympy, to_text
from lossevo.space.tree.genome import KIND, TreeGenome
from lossevo.space.tree.growth import random_tree, sample_trees
from lossevo.space.tree.ops import EPSILON, OPS
from lossevo.space.tree.space import TreeSpace
from lossevo.space.tree.validity import DEFAULT_LIMITS, Limits, TreeCheck, check
from lossevo.space.tree.variation import (
    Rates,
    make_child,
    mutate_tree,
    one_point_mutation,
    subtree_crossover,
    subtree_mutation,
)

__all__ = [
    "DEFAULT_LIMITS",
    "EPSILON",
    "KIND",
    "OPS",
    "Limits",
    "Rates",
    "TreeCheck",
    "TreeGenome",
    "TreeSpace",
    "check",
    "growth",
    "make_child",
    "mutate_tree",
    "one_point_mutation",
    "random_tree",
    "sample_trees",
    "subtree_crossover",
    "subtree_mutation",
    "to_latex",
    "to_paper",
    "to_sympy",
    "to_text",
    "validity",
    "variation",
]
