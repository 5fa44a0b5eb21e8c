"""TreeGenome: validation naming the bad field, JSON round trip, hashing, tree helpers."""

import dataclasses
import json

import numpy as np
import pytest

from lossevo.losses import catalog
from lossevo.losses.ngl import NGL_TREE
from lossevo.space import GenomeError, genome_from_dict, genome_from_json
from lossevo.space.tree import TreeGenome, sample_trees
from lossevo.space.tree import expr as tree_lib

CE_LIKE = ("neg", ("mul", "y", ("log", "y_hat")))


def test_json_round_trip_and_form():
    d = NGL_TREE.to_dict()
    assert d["schema_version"] == 1 and d["kind"] == "tree"
    assert d["expression"][0] == "sub" and d["expression"][1][1][1][1] == 2.4092
    again = TreeGenome.from_json(json.dumps(d))
    assert again == NGL_TREE and again.to_dict() == d and again.hash_hex == NGL_TREE.hash_hex
    for g in sample_trees(20, np.random.default_rng(0)):
        back = genome_from_json(g.to_json())
        assert isinstance(back, TreeGenome) and back == g and back.hash_hex == g.hash_hex


def test_lists_and_ints_are_canonicalised():
    g = TreeGenome(["add", ["mul", 2, "y"], "y_hat"])
    assert g.expression == ("add", ("mul", 2.0, "y"), "y_hat")
    assert g == TreeGenome(("add", ("mul", 2.0, "y"), "y_hat"))
    assert isinstance(g.expression[1][1], float)
    assert hash(g) == hash(TreeGenome(g.expression))


def test_hash_is_stable_and_distinguishes_trees():
    # Pinned: journals and fitness caches key results by it, across processes and versions.
    assert TreeGenome(CE_LIKE).hash_hex == "59f11afac6db1291"
    assert NGL_TREE.hash_hex == "e66c670d871a497f"
    other = TreeGenome(("neg", ("mul", "y_hat", ("log", "y"))))
    assert TreeGenome(CE_LIKE).hash_hex != other.hash_hex
    assert len(TreeGenome(CE_LIKE).hash_hex) == 16
    assert TreeGenome(("add", "y", ("mul", 1.5, "y_hat"))) != TreeGenome(("add", "y", ("mul", 1.25, "y_hat")))


def test_immutable():
    g = TreeGenome(CE_LIKE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.expression = "y"


@pytest.mark.parametrize(
    "expression, field, message",
    [
        (["add", "y", ["tanh", "y_hat"]], r"expression\[2\]\[0\]", "unknown tree op 'tanh'"),
        (["add", "y", ["log", "y_hat", "y"]], r"expression\[2\]", "takes 1 argument"),
        (["add", "y", "z"], r"expression\[2\]", "unknown leaf 'z'"),
        (["add", "y", "exp"], r"expression\[2\]", "used as a leaf"),
        (["add", "y", ["mul", "y_hat", float("inf")]], r"expression\[2\]\[2\]", "finite"),
        (["add", "y", ["mul", "y_hat", True]], r"expression\[2\]\[2\]", "bool"),
        (["add", "y", []], r"expression\[2\]", "empty node"),
        (["add", "y", [3, "y_hat"]], r"expression\[2\]\[0\]", "op name"),
        (["add", "y", {"op": "log"}], r"expression\[2\]", "got dict"),
        (["mul", "y", ["log", "y"]], "expression", "y_hat must appear"),
        (["exp", 1.0], "expression", "y and y_hat must appear"),
    ],
)
def test_bad_trees_name_the_field(expression, field, message):
    with pytest.raises(GenomeError, match=rf"^{field}: .*{message}"):
        TreeGenome.from_dict({"schema_version": 1, "kind": "tree", "expression": expression})


def test_bad_documents_name_the_field():
    good = TreeGenome(CE_LIKE).to_dict()
    with pytest.raises(GenomeError, match=r"^schema_version: unsupported"):
        TreeGenome.from_dict({**good, "schema_version": 2})
    with pytest.raises(GenomeError, match=r"^kind: expected 'tree'"):
        TreeGenome.from_dict({**good, "kind": "graph"})
    with pytest.raises(GenomeError, match=r"^flip: unknown field"):
        TreeGenome.from_dict({**good, "flip": True})
    with pytest.raises(GenomeError, match=r"^expression: missing"):
        TreeGenome.from_dict({"schema_version": 1, "kind": "tree"})
    with pytest.raises(GenomeError, match=r"^<json>: not valid JSON"):
        TreeGenome.from_json("{")
    deep = "y"
    for _ in range(tree_lib.MAX_HEIGHT + 5):
        deep = ["sin", deep]
    with pytest.raises(GenomeError, match="deeper than"):
        TreeGenome(["add", "y_hat", deep])


def test_dispatch_by_kind():
    assert genome_from_dict(catalog.NEUROLOSS1.to_dict()) == catalog.NEUROLOSS1
    legacy = catalog.A2.to_dict()
    del legacy["kind"]  # genomes written before trees existed have no kind: graph
    assert genome_from_dict(legacy) == catalog.A2
    assert genome_from_dict(NGL_TREE.to_dict()) == NGL_TREE
    assert genome_from_json(NGL_TREE.to_json()) == NGL_TREE
    with pytest.raises(GenomeError, match=r"^kind: unknown genome kind 'forest'"):
        genome_from_dict({"schema_version": 1, "kind": "forest"})
    with pytest.raises(GenomeError, match=r"^<genome>"):
        genome_from_dict(["tree"])


def test_size_height_positions_and_replace():
    e = ("add", ("mul", "y", ("log", "y_hat")), 2.5)
    assert tree_lib.size(e) == 6 and tree_lib.height(e) == 3 and tree_lib.height("y") == 0
    paths = [p for p, _ in tree_lib.positions(e)]
    assert paths == [(), (1,), (1, 1), (1, 2), (1, 2, 1), (2,)]
    assert tree_lib.get_at(e, (1, 2, 1)) == "y_hat"
    assert tree_lib.replace_at(e, (1, 2), "y_hat") == ("add", ("mul", "y", "y_hat"), 2.5)
    assert tree_lib.replace_at(e, (), "y") == "y"
    assert tree_lib.leaves(e) == ["y", "y_hat", 2.5]
    assert NGL_TREE.size == 13 and NGL_TREE.height == 4
