"""Random initialisation (docs/reference.md §2): distributions, reproducibility, every result valid."""

import numpy as np
import pytest

from lossevo.space.graph import Genome, check, phenotype
from lossevo.space.graph.raw import analyse
from lossevo.space.graph.sampling import (
    SampleStats,
    random_raw_batch,
    sample_population,
    structure_ok,
    to_raw,
)


def test_draw_distributions():
    batch = random_raw_batch(np.random.default_rng(0), 40000)
    arity, un, bi, a1, a2 = (batch[:, :, k] for k in range(5))
    hidden_binary = (arity[:, :4] == 2).mean()
    root_binary = (arity[:, 4] == 2).mean()
    assert hidden_binary == pytest.approx(0.3, abs=0.01)
    assert root_binary == pytest.approx(0.8, abs=0.01)
    assert set(np.unique(un)) == set(range(27)) and set(np.unique(bi)) == set(range(7))
    for i, slot in enumerate((4, 5, 6, 7)):
        # uniform over 0..7 minus itself
        values, counts = np.unique(a1[:, i], return_counts=True)
        assert list(values) == [s for s in range(8) if s != slot]
        assert counts.min() / counts.max() > 0.9
        binary = arity[:, i] == 2
        assert (a2[binary, i] != a1[binary, i]).all() and (a2[binary, i] != slot).all()
        assert ((a2[binary, i] >= 0) & (a2[binary, i] <= 7)).all()
        assert (a2[~binary, i] == -1).all()
    assert ((a1[:, 4] >= 4) & (a1[:, 4] <= 7)).all()
    rb = arity[:, 4] == 2
    assert ((a2[rb, 4] >= 4) & (a2[rb, 4] <= 7) & (a2[rb, 4] != a1[rb, 4])).all()


def test_vectorised_structure_check_equals_graph_walk():
    batch = random_raw_batch(np.random.default_rng(3), 5000)
    fast = structure_ok(batch)
    slow = np.array([analyse(to_raw(r))[0] is not None for r in batch])
    np.testing.assert_array_equal(fast, slow)
    assert 0.05 < fast.mean() < 0.3


def test_sampled_genomes_are_valid_and_checked():
    stats = SampleStats()
    genomes = sample_population(60, np.random.default_rng(7), stats)
    assert len(genomes) == 60
    for g in genomes:
        again = Genome(g.nodes, g.flip)  # full validation of the fast path's output
        assert again == g and set(again.order) == set(g.order)
        result = check(g.replace(flip=False))  # a random genome is checked unflipped
        assert result.ok and result.flip == g.flip
        assert all(n.alt_op is not None for n in g.nodes)
    assert stats.attempts > 60
    assert set(stats.rejected) <= {
        "cycle",
        "unreachable",
        "plateau",
        "optimum_near_half",
        "oscillation",
        "non_finite",
    }
    assert stats.rejected["unreachable"] > 0 and stats.rejected["cycle"] > 0


def test_same_seed_same_genomes():
    a = sample_population(20, np.random.default_rng(11))
    b = sample_population(20, np.random.default_rng(11))
    c = sample_population(20, np.random.default_rng(12))
    assert [g.to_json() for g in a] == [g.to_json() for g in b]
    assert [g.to_json() for g in a] != [g.to_json() for g in c]


def test_phenotype_of_sampled_genome_is_normalised():
    g = sample_population(1, np.random.default_rng(2))[0]
    p = phenotype.binary_phenotype(g)
    assert p.shape == (1000,) and ((p.min() == 0 and p.max() == 1) or np.ptp(p) < 1e-4)
