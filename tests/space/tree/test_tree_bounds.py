"""A tree dict built from shared sub-lists (2^40 paths in 41 lists) is refused at once,
naming the expression, with a short message (issue 23 item 4); real trees still load."""

import json

import pytest

from lossevo.space import genome_from_dict
from lossevo.space.errors import GenomeError
from lossevo.space.tree import TreeGenome
from lossevo.space.tree import expr as tree_lib
from tests.space.bombs import bomb, outcome_within

NGL = [
    "sub",
    ["exp", ["sub", ["sub", 2.4092, "y_hat"], ["mul", "y_hat", "y"]]],
    ["cos", ["cos", ["sin", "y_hat"]]],
]


def _tree_dict(expression):
    return {"schema_version": 1, "kind": "tree", "expression": expression}


# Depth 20 took 2.5 s before the bound (2^20 nodes, each walked several times); 40 never ended.
@pytest.mark.parametrize("depth", [20, 40])
def test_a_shared_sub_list_tree_is_refused_within_a_second(depth):
    data = _tree_dict(["mul", "y_hat", bomb("y", depth, lambda c: ["add", c, c])])
    error = outcome_within(1.0, lambda: genome_from_dict(data))
    assert isinstance(error, GenomeError), error
    assert error.field == "expression" and "more than" in str(error) and len(str(error)) < 500


def test_a_self_containing_tree_is_refused():
    loop = ["sin", "y"]
    loop[1] = loop
    error = outcome_within(1.0, lambda: genome_from_dict(_tree_dict(["add", "y_hat", loop])))
    assert isinstance(error, GenomeError) and error.field == "expression" and len(str(error)) < 500


def test_size_and_height_limits():
    balanced = bomb("y_hat", 13, lambda c: ["add", c, json.loads(json.dumps(c))])  # 16,383 nodes, unshared
    with pytest.raises(GenomeError, match=f"more than {tree_lib.MAX_SIZE} nodes"):
        TreeGenome(["add", "y", balanced])
    chain = bomb("y_hat", tree_lib.MAX_HEIGHT - 1, lambda c: ["sin", c])
    assert TreeGenome(["add", "y", chain]).height == tree_lib.MAX_HEIGHT
    with pytest.raises(GenomeError, match="deeper than"):
        TreeGenome(["add", "y", ["sin", chain]])


def test_real_trees_still_load_shared_subtrees_included():
    tree = genome_from_dict(_tree_dict(NGL))
    assert tree.to_dict()["expression"] == NGL and tree.size == 13
    shared = ("mul", "y", "y_hat")  # one tuple at two places: a genome a crossover may build
    assert TreeGenome(("add", shared, shared)) == TreeGenome(
        ("add", ("mul", "y", "y_hat"), ("mul", "y", "y_hat"))
    )
    moderate = bomb("y", 8, lambda c: ["add", c, c])  # 511 nodes, shared: well within the size limit
    assert TreeGenome(["mul", "y_hat", moderate]).size == 513
