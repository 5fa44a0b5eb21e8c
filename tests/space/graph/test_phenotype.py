"""The integrity check (docs/reference.md §3): each rule on hand-built genomes, golden curves, and the
agreement of the NumPy path with the TensorFlow path."""

import numpy as np
import pytest

from lossevo.space.graph import make, phenotype
from lossevo.space.graph.genome import GenomeError
from lossevo.space.graph.raw import analyse, from_genome, to_genome
from lossevo.space.graph.sampling import random_raw_batch, structure_ok, to_raw
from tests.space.graph.helpers import tf_check, tf_curve

# Hand-built genomes, one per rule. L(p): class 0 has (y=0, ŷ=p), class 1 (y=1, ŷ=1-p).
PLATEAU = make({"h0": ("add", "y", "y_hat"), "root": ("abs", "h0")})  # |p| + |2-p| = 2
NEAR_HALF = make(  # (p-1)² + p², minimal at p = 0.5; max(y, 1) = 1 only makes y reachable
    {"h0": ("max", "y", "one"), "h1": ("sub", "y_hat", "h0"), "root": ("square", "h1")}
)
OSCILLATING = make({"h0": ("div", "y", "y_hat"), "root": ("sin", "h0")})  # sin(1/(1-p))
NON_FINITE = make({"h0": ("div", "y_hat", "y"), "root": ("exp", "h0")})  # exp(p/ε) overflows
DECREASING = make({"h0": ("mul", "y", "y_hat"), "root": ("square", "h0")})  # (1-p)²
INCREASING = make({"h0": ("mul", "y_hat", "y"), "root": ("neg", "h0")})  # -(1-p)
U_SHAPED = make({"h0": ("div_sqrt", "y_hat", "y"), "root": ("square", "h0")})  # p² + (1-p)²/2
CAP_SHAPED = make({"h0": ("div_sqrt", "y_hat", "y"), "root": ("tanh", "h0")})  # ∩, peak p≈0.66


@pytest.mark.parametrize(
    "genome,reason",
    [
        (PLATEAU, "plateau"),
        (NEAR_HALF, "optimum_near_half"),
        (OSCILLATING, "oscillation"),
        (NON_FINITE, "non_finite"),
    ],
)
def test_rejections(genome, reason):
    result = phenotype.check(genome)
    assert not result.ok and result.reason == reason
    assert tf_check(genome).reason == reason


@pytest.mark.parametrize(
    "genome,flip",
    [
        (DECREASING, True),  # all steps < 0: flip
        (INCREASING, False),  # all steps > 0: keep
        (U_SHAPED, False),  # decreasing then increasing: sign[2] = -1, keep
        (CAP_SHAPED, True),  # upside-down parabola: sign[2] = +1, flip
    ],
)
def test_accepted_with_flip(genome, flip):
    result = phenotype.check(genome)
    assert result.ok and result.flip is flip
    # The stored phenotype is the flipped curve, min-max normalised.
    curve = phenotype.grid_curve(genome.expression)
    expected = phenotype.normalize(-curve if flip else curve)
    np.testing.assert_array_equal(result.phenotype, expected)
    assert result.phenotype.min() == 0.0 and result.phenotype.max() == 1.0


def test_cycle_and_missing_inputs_rejected_structurally():
    with pytest.raises(GenomeError, match="cycle: "):
        make({"h0": ("add", "y", "h1"), "h1": ("mul", "y_hat", "h0"), "root": ("ln", "h1")})
    with pytest.raises(GenomeError, match="'y' is not reachable"):
        make({"h0": ("ln", "y_hat"), "root": ("exp", "h0")})
    with pytest.raises(GenomeError, match="'y_hat' is not reachable"):
        make({"h0": ("ln", "y"), "root": ("exp", "h0")})
    # The search's raw path gives the same verdicts without raising.
    raw = list(from_genome(DECREASING))
    raw[4] = raw[4]._replace(arg1=8)  # root -> root
    assert analyse(tuple(raw))[1] == "cycle"
    raw = list(from_genome(DECREASING))
    raw[0] = raw[0]._replace(arg1=3)  # h0 = (-1)*ŷ: y unreachable
    assert analyse(tuple(raw))[1] == "unreachable"


def test_inactive_cycle_is_allowed():
    g = make(
        {"h0": ("ln", "y_hat"), "h2": ("add", "h3", "y"), "h3": ("neg", "h2"), "root": ("mul", "y", "h0")}
    )
    assert 6 not in g.active and 7 not in g.active


def _curve(d):
    return np.concatenate([[0.0], np.cumsum(d)]).astype(np.float32)


def test_golden_curves():
    up = np.full(999, 1.0)
    assert phenotype.check_curve(_curve(up)).flip is False
    assert phenotype.check_curve(_curve(-up)).flip is True
    # 10 exact zeros are tolerated, 11 are a plateau.
    d = up.copy()
    d[100:110] = 0
    assert phenotype.check_curve(_curve(d)).ok
    d[100:111] = 0
    assert phenotype.check_curve(_curve(d)).reason == "plateau"
    assert phenotype.check_curve(np.zeros(1000, np.float32)).reason == "plateau"
    # Zeros take their predecessor's sign, wrapping round: leading zeros copy the last sign.
    # A decreasing curve with a zero step leaves the "all steps < 0" branch, and the rule
    # flip = (sign[2] != -1) then keeps it unflipped: the reference's decision, quirk included.
    d = -up.copy()
    d[:3] = 0
    assert phenotype.check_curve(_curve(d)) == phenotype.CheckResult(True, False, reason="")
    d = up.copy()
    d[500] = 0  # and an increasing one with a zero step is flipped
    assert phenotype.check_curve(_curve(d)).flip is True
    # Sign changes are counted with the wrap-around from last to first: down-up is 1 + 1,
    # down-up-down is 2 + 0 (both pass), down-up-down-up is 3 + 1 (fails).
    d = np.concatenate([-np.ones(300), np.ones(699)])
    assert phenotype.check_curve(_curve(d)).ok
    d = np.concatenate([-np.ones(300), np.ones(300), -np.ones(399)])
    assert phenotype.check_curve(_curve(d)).ok
    d = np.concatenate([-np.ones(200), np.ones(200), -np.ones(200), np.ones(399)])
    assert phenotype.check_curve(_curve(d)).reason == "oscillation"
    # An extremum at index 490..509 rejects; at 489 or 510 it does not.
    for idx, ok in ((489, True), (490, False), (509, False), (510, True)):
        c = np.abs(np.arange(1000) - idx).astype(np.float32)
        assert phenotype.check_curve(c).ok is ok, idx
    nan = np.arange(1000, dtype=np.float32)
    nan[7] = np.nan
    assert phenotype.check_curve(nan).reason == "non_finite"


def test_normalize_leaves_flat_curves():
    flat = np.full(1000, 3.0, np.float32)
    flat[0] = 3.00005
    np.testing.assert_array_equal(phenotype.normalize(flat), flat)


def test_numpy_and_tensorflow_paths_agree_on_random_candidates():
    rng = np.random.default_rng(1234)
    batch = random_raw_batch(rng, 3000)
    candidates = [to_raw(r) for r in batch[structure_ok(batch)][:300]]
    mismatches = 0
    for raw in candidates:
        expr, _, _ = analyse(raw)
        np_curve = phenotype.grid_curve(expr)
        genome = to_genome(raw, False)
        t_curve = tf_curve(genome)
        np_result, tf_result = phenotype.check_curve(np_curve), phenotype.check_curve(t_curve)
        finite = np.isfinite(np_curve) & np.isfinite(t_curve)
        # Both are float32; where a curve cancels large intermediates (|·| ~ 30) to near 0,
        # their last-ulp differences (4e-6 there) remain.
        np.testing.assert_allclose(np_curve[finite], t_curve[finite], rtol=1e-5, atol=1e-5)
        if (np_result.ok, np_result.flip, np_result.reason) != (
            tf_result.ok,
            tf_result.flip,
            tf_result.reason,
        ):
            # Only a last-ulp difference that makes one step exactly zero may tip a decision.
            mismatches += 1
            s1, s2 = np.sign(np.diff(np_curve)), np.sign(np.diff(t_curve))
            differ = np.flatnonzero(s1 != s2)
            assert ((s1[differ] == 0) | (s2[differ] == 0)).all(), genome
    assert len(candidates) == 300
    assert mismatches <= 3  # 1 of these 300 here


def test_similarity():
    from lossevo.space.graph.formula import to_text

    pheno = phenotype.binary_phenotype(U_SHAPED)
    assert phenotype.is_similar(to_text(U_SHAPED), pheno, {to_text(U_SHAPED)}, None)
    assert phenotype.is_similar("other", pheno + 0.0003, set(), pheno[None])  # L2 ≈ 0.0095
    assert not phenotype.is_similar("other", pheno + 0.00035, set(), pheno[None])  # L2 ≈ 0.011


# docs/reference.md §3's flip rule: the curve is the loss as it stands, its current flip applied (a
# mutant carries its parent's), and the new flip is assigned outright.
NEUROLOSS_LIKE = make(  # ln(|s|+ε) + s, s = ŷ/sqrt(1+(ŷ/(y+ε))²): minimum between grid 0 and 1
    {"h0": ("div", "y_hat", "y"), "h1": ("div_sqrt", "y_hat", "h0"), "h2": ("ln", "h1"),
     "root": ("add", "h2", "h1")}
)  # fmt: skip


@pytest.mark.parametrize(
    "genome,from_unflipped,from_flipped",
    [
        (INCREASING, False, True),  # carrying a flip, an increasing curve decreases: flip
        (DECREASING, True, False),
        (U_SHAPED, False, True),  # carried flip turns the U into a cap: sign[2] = +1
        (CAP_SHAPED, True, False),
        (NEUROLOSS_LIKE, False, True),  # rises from index 0 to 1, then falls (unflipped)
    ],
)
def test_flip_rule_applies_the_carried_flip(genome, from_unflipped, from_flipped):
    curve = phenotype.grid_curve(genome.expression)
    for carried, expected in ((False, from_unflipped), (True, from_flipped)):
        result = phenotype.check(genome.replace(flip=carried))
        assert result.ok and result.flip is expected
        # Stored phenotype: L (the curve with the carried flip), or -L when the new flip is set.
        as_checked = -curve if carried else curve
        np.testing.assert_array_equal(
            result.phenotype, phenotype.normalize(-as_checked if expected else as_checked)
        )
        # The option that ignores the flip reads every genome as unflipped.
        assert phenotype.check(genome.replace(flip=carried), rule="unflipped").flip is from_unflipped
    if genome is NEUROLOSS_LIKE:
        d = np.diff(curve)
        assert d[0] > 0 and d[1] < 0  # the minimum of the flipped loss lies between 0 and 1
    with pytest.raises(ValueError, match="unknown flip rule 'bogus'; rules: code, unflipped"):
        phenotype.check(genome, rule="bogus")


@pytest.mark.parametrize("parent_flip", [False, True])
def test_mutants_carry_the_parents_flip_into_the_check(parent_flip):
    from lossevo.space.graph import mutation
    from lossevo.space.graph.sampling import sample_population

    rng = np.random.default_rng(11)
    parents = [g.replace(flip=parent_flip) for g in sample_population(20, rng)]
    code_flips, other = [], 0
    for parent in parents:
        result = mutation.mutate(parent, rng)
        child = result.child
        curve = phenotype.grid_curve(child.expression)
        assert child.flip is phenotype.check_curve(curve, flip=parent_flip).flip
        code_flips.append(child.flip)
        other += child.flip is not phenotype.check_curve(curve).flip
        # The earlier reading is still available as an option.
        old = mutation.mutate(parent, np.random.default_rng(3), rule="unflipped").child
        assert old.flip is phenotype.check_curve(phenotype.grid_curve(old.expression)).flip
    # From an unflipped parent the two rules agree; from a flipped one they disagree on
    # every accepted mutant (each rule reads the same curve with the opposite sign).
    assert other == (len(parents) if parent_flip else 0)
