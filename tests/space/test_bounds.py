"""The budgeted walk of nested values and the bounded quoting of bad values (issue 23 item 4)."""

import pytest

from lossevo.space.bounds import check_nesting
from lossevo.space.errors import QUOTE_LIMIT, GenomeError, quote
from tests.space.bombs import bomb, outcome_within


def test_quote_is_repr_cut_short():
    for value in ([1, 2.5, "a", (1,), (), {}, {"k": [None, True]}, b"x"], (1,), "x" * 10, {1: (2, 3)}):
        assert quote(value) == repr(value)
    long = list(range(1000))
    assert quote(long) == repr(long)[: QUOTE_LIMIT - 1] + "…"
    looped = [1]
    looped.append(looped)
    assert quote(looped) == repr(looped)
    assert quote(10**5000) == "<an integer of over 4,300 digits>"


def test_quoting_a_bomb_costs_only_the_quote():
    box = {}
    assert outcome_within(1.0, lambda: box.setdefault("q", quote(bomb()))) is None
    assert len(box["q"]) == QUOTE_LIMIT and box["q"].startswith("[" * 40 + "0, 0]")
    deep = bomb(0, 100_000, lambda c: [c])
    assert len(quote(deep)) == QUOTE_LIMIT and len(quote(deep, 5000)) <= 5000


def test_check_nesting_counts_a_shared_sub_list_at_every_place():
    small = bomb(depth=5)  # 63 nodes as a tree, 6 objects
    assert check_nesting(small, "f", max_nodes=63, max_depth=5) is small
    with pytest.raises(GenomeError, match=r"^f: more than 62 elements"):
        check_nesting(small, "f", max_nodes=62, max_depth=5)
    with pytest.raises(GenomeError, match=r"^f: nested deeper than 4 levels"):
        check_nesting(small, "f", max_nodes=100, max_depth=4)
    error = outcome_within(1.0, lambda: check_nesting(bomb(), "g", max_nodes=10**6, max_depth=100))
    assert isinstance(error, GenomeError) and error.field == "g"


def test_check_nesting_measures_depth_at_every_place_and_finds_cycles():
    leaf_list = [0]
    shallow_then_deep = [leaf_list, [[[leaf_list]]]]  # the shared list sits at depths 1 and 4
    check_nesting(shallow_then_deep, "f", max_nodes=100, max_depth=5)
    with pytest.raises(GenomeError, match="deeper than 4"):
        check_nesting(shallow_then_deep, "f", max_nodes=100, max_depth=4)
    looped = [0]
    looped.append([looped])
    with pytest.raises(GenomeError, match="contains itself"):
        check_nesting(looped, "f", max_nodes=100, max_depth=50)
    with pytest.raises(GenomeError, match="more than 10 elements"):
        check_nesting([0] * 10, "f", max_nodes=10, max_depth=5)
