"""Random growth, variation and the validity checks, as properties over many seeds."""

import numpy as np
import pytest

from lossevo.losses.ngl import NGL_TREE
from lossevo.space import tree as gp
from lossevo.space.tree import expr as tree_lib
from lossevo.space.tree import growth, validity, variation

LIMITS = gp.DEFAULT_LIMITS


def _valid(expr, limits=LIMITS):
    present = set(tree_lib.leaves(expr))
    return (
        tree_lib.size(expr) <= limits.max_size
        and tree_lib.height(expr) >= limits.min_height
        and {"y", "y_hat"} <= present
        and bool(validity.check_expression(expr, limits))
    )


def test_value_range_and_shape_checks():
    check = validity.check_expression
    assert check(NGL_TREE.expression).ok
    assert check(("exp", ("sub", "y_hat", "y"))).ok  # values in [1/e, e]
    # The loss, not each class's term: y·ln ŷ is 0 for the wrong class, its loss is not.
    assert check(("mul", "y", ("log", "y_hat"))).ok
    assert check(("mul", "y", ("log", "y_hat")), gp.Limits(range_rule="term")).reason == "out_of_range"
    assert check(("div", "y_hat", ("mul", "y", "y"))).reason == "out_of_range"  # ~5e7 at p = 0
    assert check(("exp", ("mul", 20.0, ("add", "y", "y_hat")))).reason == "out_of_range"  # e^40
    assert check(("exp", ("exp", ("exp", ("add", "y", "y_hat"))))).reason == "non_finite"
    assert check(("add", "y", "y_hat")).reason == "too_short"
    assert check(("exp", ("exp", "y"))).reason == "missing_input"
    big = ("add", "y", "y_hat")
    while tree_lib.size(big) <= LIMITS.max_size:
        big = ("add", big, 1.0)
    assert check(("exp", ("neg", big))).reason == "too_large"
    # The range is a parameter; the grid includes ŷ = 0 and ŷ = 1 exactly.
    v = validity.grid_values(NGL_TREE.expression)
    assert (
        v.shape == (2, validity.GRID_SIZE)
        and validity.GRID_Y_HAT[0, 0] == 0
        and validity.GRID_Y_HAT[0, -1] == 1
    )
    loss = validity.loss_values(NGL_TREE.expression)  # NGL's loss lies in [4.77, 6.95] on the grid
    assert check(NGL_TREE.expression, gp.Limits(value_range=(7.0, 1e6))).reason == "out_of_range"
    assert check(NGL_TREE.expression, gp.Limits(value_range=(1.0, 6.9))).reason == "out_of_range"
    assert 4.7 < loss.min() < loss.max() < 7.0
    with pytest.raises(ValueError, match="value_range"):
        gp.Limits(value_range=(1.0, 0.5))


@pytest.mark.parametrize("method", ["grow", "full"])
def test_generate_heights(method):
    rng = np.random.default_rng(0)
    for _ in range(300):
        e = growth.generate(rng, 2, 5, method)
        h = tree_lib.height(e)
        assert 2 <= h <= 5
        if method == "full":  # every leaf at the same depth
            depths = {len(p) for p, sub in tree_lib.positions(e) if not tree_lib.is_node(sub)}
            assert depths == {h}


def test_random_trees_respect_limits_and_rules_over_many_seeds():
    heights, sizes = set(), set()
    for seed in range(40):
        for g in gp.sample_trees(10, np.random.default_rng(seed)):
            assert _valid(g.expression), gp.to_text(g)
            assert g.height <= LIMITS.init_max_height
            heights.add(g.height)
            sizes.add(g.size)
            for leaf in tree_lib.leaves(g.expression):
                if isinstance(leaf, float):
                    assert 0.0 <= leaf <= 5.0 and round(leaf, 4) == leaf
    assert heights == set(range(2, LIMITS.init_max_height + 1))  # ramped over every height
    assert len(sizes) > 20
    small = gp.Limits(max_size=12, init_max_height=4)
    assert all(g.size <= 12 for g in gp.sample_trees(50, np.random.default_rng(1), small))


def test_growth_and_variation_are_deterministic_given_the_rng():
    a = gp.sample_trees(16, np.random.default_rng(5))
    assert a == gp.sample_trees(16, np.random.default_rng(5))
    assert a != gp.sample_trees(16, np.random.default_rng(6))
    kids = [variation.make_child(a[i], a[-1 - i], np.random.default_rng(i)) for i in range(16)]
    assert kids == [variation.make_child(a[i], a[-1 - i], np.random.default_rng(i)) for i in range(16)]


def test_subtree_crossover_takes_one_subtree_of_each_uniformly():
    a = ("add", "y", "y_hat")
    b = ("mul", ("sin", "y"), 1.5)
    possible = {
        tree_lib.replace_at(a, pa, tree_lib.get_at(b, pb))
        for pa, _ in tree_lib.positions(a)
        for pb, _ in tree_lib.positions(b)
    }
    rng = np.random.default_rng(0)
    seen = [variation.subtree_crossover(a, b, rng) for _ in range(2000)]
    assert set(seen) == possible
    assert seen.count(b) == pytest.approx(2000 / 15, rel=0.3)  # root of a × root of b


def _differs_in_one_subtree(old, new):
    """The deepest `(path, new subtree)` such that `new` is `old` with that subtree replaced."""
    found = []
    for path, _ in tree_lib.positions(old):
        try:
            sub = tree_lib.get_at(new, path)
        except (IndexError, TypeError):
            continue
        if tree_lib.replace_at(old, path, sub) == new:
            found.append((path, sub))
    return max(found, key=lambda f: len(f[0]), default=None)


def test_subtree_mutation_replaces_one_subtree_with_a_small_new_one():
    rng = np.random.default_rng(1)
    for g in gp.sample_trees(200, np.random.default_rng(2)):
        new = variation.subtree_mutation(g.expression, rng)
        found = _differs_in_one_subtree(g.expression, new)
        assert found is not None
        assert tree_lib.height(found[1]) <= LIMITS.mutation_max_height or new == g.expression


def test_one_point_mutation_changes_exactly_one_node_of_the_same_arity():
    rng = np.random.default_rng(3)
    changed_ops = changed_leaves = 0
    for g in gp.sample_trees(300, np.random.default_rng(4)):
        new = variation.one_point_mutation(g.expression, rng)
        old_pos, new_pos = tree_lib.positions(g.expression), tree_lib.positions(new)
        assert [p for p, _ in old_pos] == [p for p, _ in new_pos]  # same shape
        label = lambda e: e[0] if tree_lib.is_node(e) else e  # noqa: E731
        diffs = [(o, n) for (_, o), (_, n) in zip(old_pos, new_pos, strict=True) if label(o) != label(n)]
        assert len(diffs) == 1
        o, n = diffs[0]
        if tree_lib.is_node(o):
            assert gp.ops.get(o[0]).arity == gp.ops.get(n[0]).arity and o[1:] == n[1:]
            changed_ops += 1
        else:
            assert not tree_lib.is_node(n)
            changed_leaves += 1
    assert changed_ops > 50 and changed_leaves > 50


def test_children_are_valid_and_within_limits_over_many_seeds():
    pop = gp.sample_trees(30, np.random.default_rng(7))
    ops_seen = set()
    for seed in range(300):
        rng = np.random.default_rng(seed)
        child, applied = variation.make_child(pop[seed % 30], pop[(seed * 7 + 1) % 30], rng)
        assert _valid(child.expression), (applied, gp.to_text(child))
        assert (child == pop[seed % 30]) == (applied == ())
        ops_seen.update(applied)
    assert ops_seen == {"crossover", "subtree_mutation", "one_point_mutation"}


def test_a_child_that_never_passes_is_replaced_by_a_random_tree(monkeypatch):
    calls = []

    def reject(expr, limits=LIMITS):
        calls.append(expr)
        return validity.TreeCheck(False, "out_of_range")

    monkeypatch.setattr(variation, "check_expression", reject)  # growth keeps the real check
    rates = variation.Rates(crossover=0.0, subtree_mutation=1.0, one_point_mutation=0.0)
    child, applied = variation.make_child(NGL_TREE, None, np.random.default_rng(0), rates, max_tries=7)
    assert applied == ("random",) and len(calls) == 7
    assert _valid(child.expression) and child != NGL_TREE


def test_mutate_tree_hook_avoids_the_population():
    pop = gp.sample_trees(20, np.random.default_rng(8))
    rng = np.random.default_rng(9)
    for parent in pop:
        child = variation.mutate_tree(parent, rng, pop)
        assert child is not None and child not in pop and _valid(child.expression)
    assert variation.mutate_tree(NGL_TREE, rng, [], gp.Limits(value_range=(1e6, 1e7)), max_tries=20) is None
