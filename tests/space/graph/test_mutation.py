"""Mutation (docs/reference.md §4): the 70/15/15 split, each change's semantics, checks and retries."""

import collections

import numpy as np
import pytest

from lossevo.losses import catalog
from lossevo.space.graph import Genome, check, make, mutation
from lossevo.space.graph.raw import RawNode, from_genome
from lossevo.space.graph.sampling import Uniforms, sample_population


class FixedUniforms(Uniforms):
    """Feeds chosen uniforms, to drive one mutation branch by hand."""

    def __init__(self, values):
        self._values = list(values)

    def next(self):
        return self._values.pop(0)


def test_split_70_15_15_over_many_draws():
    rng = np.random.default_rng(0)
    u = Uniforms(rng)
    parents = [from_genome(g) for g in sample_population(20, rng)]
    kinds = collections.Counter(mutation.propose(parents[i % 20], u)[1] for i in range(30000))
    n = sum(kinds.values())
    assert kinds["op"] / n == pytest.approx(0.70, abs=0.01)
    assert kinds["connection"] / n == pytest.approx(0.15, abs=0.01)
    assert kinds["arity"] / n == pytest.approx(0.15, abs=0.01)


def test_node_choice_uniform_over_active_nodes_and_root():
    raw = from_genome(catalog.NEUROLOSS1)  # active: h0, h1, h2, root; h3 inactive
    u = Uniforms(np.random.default_rng(1))
    changed = collections.Counter()
    for _ in range(8000):
        child, kind = mutation.propose(raw, u)
        if kind == "op":
            changed[next(i for i in range(5) if child[i] != raw[i])] += 1
    assert set(changed) == {0, 1, 2, 4}
    assert min(changed.values()) / max(changed.values()) > 0.9


CE_RAW = from_genome(catalog.CROSS_ENTROPY)  # h0 = ln(ŷ) (slot 4), root = mul(y, h0)


def test_op_change_keeps_arity_and_picks_another_op():
    # r = 0.5 (op change), node index 0.99 -> the root (slot 8), new op index draw.
    child, kind = mutation.propose(CE_RAW, FixedUniforms([0.5, 0.99, 0.0]))
    assert kind == "op" and child[4].arity == 2 and child[4].binary == 0  # mul(2) -> add(0)
    child, _ = mutation.propose(CE_RAW, FixedUniforms([0.5, 0.99, 0.999]))
    assert child[4].binary == 6  # never its own op


def test_connection_change_uses_a_slot_without_an_edge():
    # r = 0.2 (connection), the root; c uniform over the 7 slots it has no edge to.
    seen = set()
    for k in range(7):
        child, kind = mutation.propose(CE_RAW, FixedUniforms([0.2, 0.99, (k + 0.5) / 7, 0.9, 0.1]))
        assert kind == "connection"
        seen.add(child[4].arg1)
        assert child[4].arg2 == 4  # second argument kept
    assert seen == {1, 2, 3, 5, 6, 7, 8}  # every slot but its edges (0, 4), itself included
    # p = 0.2 swap
    child, _ = mutation.propose(CE_RAW, FixedUniforms([0.2, 0.99, 0.0, 0.1]))
    assert (child[4].arg1, child[4].arg2) == (4, 0)
    # else second argument replaced
    child, _ = mutation.propose(CE_RAW, FixedUniforms([0.2, 0.99, 0.0, 0.9, 0.7]))
    assert (child[4].arg1, child[4].arg2) == (0, 1)


def test_arity_switch_both_ways_uses_the_dormant_op():
    g = make({"h0": ("ln", "y_hat"), "root": ("mul", "y", "h0")}, flip=True)
    raw = list(from_genome(g))
    raw[0] = RawNode(1, 1, 3, 1)  # h0: ln(ŷ), dormant binary op 3 (max)
    raw = tuple(raw)
    # r = 0.1 (arity), node index 0 -> h0, c draw, p <= 0.5: c becomes the second argument
    child, kind = mutation.propose(raw, FixedUniforms([0.1, 0.0, 0.0, 0.3]))
    assert kind == "arity" and child[0] == RawNode(2, 1, 3, 1, 0)
    # else c is the first argument, the old one the second
    child, _ = mutation.propose(raw, FixedUniforms([0.1, 0.0, 0.0, 0.7]))
    assert child[0] == RawNode(2, 1, 3, 0, 1)
    # binary -> unary: drop the second (p <= 0.5) or the first argument
    child, _ = mutation.propose(CE_RAW, FixedUniforms([0.1, 0.99, 0.0, 0.3]))
    assert child[4].arity == 1 and child[4].arg1 == 0
    child, _ = mutation.propose(CE_RAW, FixedUniforms([0.1, 0.99, 0.0, 0.7]))
    assert child[4].arity == 1 and child[4].arg1 == 4


def test_mutants_pass_all_checks_and_differ_from_population():
    rng = np.random.default_rng(5)
    population = sample_population(30, rng)
    index = mutation.PopulationIndex(population)
    for parent in population[:10]:
        result = mutation.mutate(parent, rng, index)
        assert result.child is not None
        child = result.child
        assert Genome(child.nodes, child.flip) == child
        # The mutant was checked carrying its parent's flip (docs/reference.md §3), which set its own.
        as_checked = check(child.replace(flip=parent.flip))
        assert as_checked.ok and as_checked.flip == child.flip
        np.testing.assert_array_equal(as_checked.phenotype, result.check.phenotype)
        assert not index.is_similar(child.to_text(), result.check.phenotype)
        assert result.tries >= 1 and result.tries == 1 + sum(result.rejected.values())


def test_exhausted_retries_skip_the_iteration():
    # With the parent itself in the population, a mutant with the same phenotype is
    # rejected; with max_tries = 3 on a crowded population the call can fail cleanly.
    rng = np.random.default_rng(0)
    parent = catalog.CROSS_ENTROPY
    result = mutation.mutate(parent, rng, [parent], max_tries=1)
    assert result.tries == 1
    fail = mutation.MutationResult(None, None, 0, collections.Counter())
    assert fail.child is None
    crowd = sample_population(200, rng)
    outcomes = [mutation.mutate(p, rng, crowd, max_tries=2) for p in crowd[:40]]
    failed = [o for o in outcomes if o.child is None]
    assert failed and all(o.tries == 2 and sum(o.rejected.values()) == 2 for o in failed)


def test_similarity_rejects_same_formula_and_near_phenotypes():
    index = mutation.PopulationIndex([catalog.CROSS_ENTROPY])
    from lossevo.space.graph import binary_phenotype, to_text

    p = binary_phenotype(catalog.CROSS_ENTROPY)
    assert index.is_similar(to_text(catalog.CROSS_ENTROPY), p)
    assert index.is_similar("something else", p + 0.0003)
    assert not index.is_similar("something else", p + 0.00035)
    assert not mutation.PopulationIndex([]).is_similar("x", p)


def test_mutation_is_reproducible():
    pop = sample_population(10, np.random.default_rng(1))
    a = [mutation.mutate(p, np.random.default_rng(9), pop).child for p in pop]
    b = [mutation.mutate(p, np.random.default_rng(9), pop).child for p in pop]
    assert [g.to_json() for g in a] == [g.to_json() for g in b]
