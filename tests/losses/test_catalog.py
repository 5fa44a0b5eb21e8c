"""Every named loss equals its closed-form equation; registry behaviour; NeuroLoss minima."""

import numpy as np
import pytest
import scipy.special as sps
import tensorflow as tf

from lossevo import losses
from lossevo.losses import catalog
from lossevo.space.graph import Genome, check

EPS = 1e-7


def _ln(x):
    return np.log(np.abs(x) + EPS)


def _lg(x):
    return _ln(x) / np.log(10.0)


def _softplus(x):
    return _ln(1 + np.exp(x))


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _closed_forms():
    """Per-example losses written straight from the (read) paper equations, float64."""

    def q(y, p):
        return p / (y + EPS)

    def s(y, p):
        return p / np.sqrt(1 + q(y, p) ** 2)

    def total(f):
        return lambda y, p: f(y, p).sum(-1)

    return {
        "cross_entropy": total(lambda y, p: -y * _ln(p)),
        "neuroloss1": total(lambda y, p: -(_ln(s(y, p)) + s(y, p))),
        "neuroloss2": total(lambda y, p: -(_lg(s(y, p)) + np.sin(s(y, p)))),
        "neuroloss3": total(lambda y, p: -(_ln(s(y, p)) + np.minimum(y, q(y, p)))),
        "honorable1": total(
            lambda y, p: -_ln(p / np.sqrt(1 + y**2)) / np.sqrt(1 + np.maximum(y, q(y, p)) ** 2)
        ),
        "honorable2": total(lambda y, p: -np.maximum(_lg(s(y, p)), np.arcsinh(s(y, p)))),
        "honorable3": total(lambda y, p: -(_lg(s(y, p)) + s(y, p) ** 2)),
        "honorable4": total(lambda y, p: -(_ln(s(y, p)) + np.sinh(s(y, p)))),
        "honorable5": total(lambda y, p: -(_ln(s(y, p)) + sps.erf(q(y, p)))),
        "honorable6": total(lambda y, p: -(_lg(s(y, p)) + np.tanh(q(y, p)))),
        "honorable7": total(lambda y, p: -_ln(y * p) / np.sqrt(1 + q(y, p) ** 2)),
        "bessel": total(lambda y, p: np.minimum(sps.i0e(p), y) + sps.i0e(p)),
        "b0": total(lambda y, p: -_sig(_softplus(q(y, p)))),
        "b1": total(lambda y, p: -(_sig(sps.i0e(q(y, p))) * (1 - _sig(sps.i0e(q(y, p)))))),
        "b2": total(lambda y, p: -sps.i1e(sps.erf(q(y, p)))),
        "c0": total(lambda y, p: -_ln(np.arctan(q(y, p)))),
        "c1": total(lambda y, p: -_ln(_softplus(q(y, p)))),
        "c2": total(lambda y, p: -_sig(_lg(q(y, p)))),
        "m0": total(lambda y, p: -sps.i1(np.arctan(_lg(p))) * y),
        "m1": total(lambda y, p: _softplus(p - y)),
        "m2": total(lambda y, p: np.arcsinh(sps.i0(y - p))),
        "r0": total(lambda y, p: (1 - np.tanh(sps.i0e(q(y, p))) ** 2) + sps.i0e(q(y, p))),
        "r1": total(lambda y, p: -_lg(q(y, p)) / np.sqrt(1 + (_lg(q(y, p)) + y) ** 2)),
        "r2": total(lambda y, p: -_lg(q(y, p)) * sps.i0(y)),
        "a0": total(lambda y, p: -_ln(1 / (1 + np.abs(_lg(p)))) * y),
        "a1": total(lambda y, p: -_ln(sps.i0e(_lg(p))) * y),
        "a2": total(lambda y, p: y / (sps.i0e(_ln(p)) + EPS)),
        "baikal": total(lambda y, p: -(_ln(p) - y / (p + EPS))),
        "ngl": lambda y, p: (np.exp(2.4092 - p - p * y) - np.cos(np.cos(np.sin(p)))).mean(-1),
    }


CLOSED = _closed_forms()
CLOSED["ngl_tree"] = CLOSED["ngl"]  # the same function, as a tree genome


def _inputs(seed, num_classes=6, batch=64, soft=False):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(batch, num_classes)) * 2
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    if soft:  # mixup/CutMix-style soft targets
        y = rng.dirichlet(np.ones(num_classes) * 0.5, size=batch)
    else:
        y = np.eye(num_classes)[rng.integers(0, num_classes, batch)]
    return y.astype(np.float32), p.astype(np.float32)


def _smoothed(y, s):
    return y * (1 - s) + s / y.shape[-1]


@pytest.mark.parametrize("name", sorted(losses.names()))
@pytest.mark.parametrize("soft", [False, True])
def test_named_loss_equals_closed_form(name, soft):
    base = name.removesuffix("_ls")
    y, p = _inputs(hash(name) % 1000, soft=soft)
    loss = losses.get(name)
    s = getattr(loss, "label_smoothing", 0.0)
    # C1 overflows (BUILD_NOTES.md): evaluate it in float32, where the loss overflows too.
    dtype = np.float32 if base == "c1" else np.float64
    with np.errstate(over="ignore"):
        expected = CLOSED[base](_smoothed(y.astype(dtype), s), p.astype(dtype))
    per_example = loss.call(tf.constant(y), tf.constant(p)).numpy()
    scale = np.nanmax(np.abs(expected[np.isfinite(expected)]), initial=1.0)
    np.testing.assert_allclose(per_example, expected, rtol=1e-4, atol=1e-5 * max(scale, 1.0))
    assert float(loss(y, p)) == pytest.approx(np.mean(per_example), rel=1e-5)


def test_every_spec_loss_is_registered():
    expected = {
        "cross_entropy",
        "cross_entropy_ls",
        "neuroloss1",
        "neuroloss2",
        "neuroloss3",
        "bessel",
        "a2",
        "a2_ls",
        "baikal",
        "ngl",
        "ngl_tree",
    }
    expected |= {f"honorable{i}" for i in range(1, 8)}
    expected |= {f"{c}{i}" for c in "bcmra" for i in range(3)}
    assert set(losses.names()) == expected  # fmt: skip
    assert set(losses.names(include_trees=False)) == expected - {"ngl_tree"}
    assert losses.get("a2_ls").label_smoothing == 0.1 and losses.get("ce_0.10").label_smoothing == 0.1


def test_aliases_and_case():
    assert losses.get_genome("NL1") == catalog.NEUROLOSS1
    assert losses.get_genome("Inverse-Bessel-Logarithm") == catalog.A2
    assert isinstance(losses.get("inverse_bessel_logarithm"), losses.InverseBesselLogarithm)
    assert isinstance(losses.get("NGL"), losses.NextGenerationLoss)


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="unknown loss 'neuroloss4'; known losses: a0, a1, a2"):
        losses.get("neuroloss4")
    with pytest.raises(ValueError, match="not encodable in the graph search space"):
        losses.get_genome("ngl")


@pytest.mark.parametrize("entry", catalog.ENTRIES, ids=lambda e: e.name)
def test_named_genomes_json_round_trip(entry):
    again = Genome.from_json(entry.genome.to_json())
    assert again == entry.genome and again.to_dict() == entry.genome.to_dict()


@pytest.mark.parametrize("name", ["neuroloss1", "neuroloss2", "neuroloss3"])
def test_neuroloss_minimum_at_099998(name):
    q = np.linspace(0.9999, 1.0, 100001)  # the true class's probability, y = 1
    y = np.tile([[0.0, 1.0]], (len(q), 1)).astype(np.float32)
    p = np.stack([1 - q, q], 1).astype(np.float32)
    values = losses.get(name).call(tf.constant(y), tf.constant(p)).numpy()
    assert q[np.argmin(values)] == pytest.approx(0.99998, abs=1e-5)
    ce = losses.get("cross_entropy").call(tf.constant(y), tf.constant(p)).numpy()
    assert q[np.argmin(ce)] > 0.999999  # CE's minimum is at 1


# docs/reference.md §3: a mutant is checked carrying its parent's flip, and the check assigns its own.
# Which parent flip gives each named loss its published sign under the authors' rule:
PUBLISHED_SIGN_FROM_UNFLIPPED_PARENT = {
    "cross_entropy", "cross_entropy_ls", "honorable2", "bessel", "c2", "m0", "m1", "m2", "r0",
    "r1", "r2", "a0", "a1", "a2", "a2_ls", "baikal",
}  # fmt: skip
PUBLISHED_SIGN_FROM_FLIPPED_PARENT = {
    "neuroloss1", "neuroloss2", "neuroloss3", "honorable1", "honorable3", "honorable4",
    "honorable5", "honorable6", "honorable7", "b0", "b1", "b2", "c0",
}  # fmt: skip


@pytest.mark.parametrize("entry", catalog.ENTRIES, ids=lambda e: e.name)
def test_integrity_check_on_the_catalog(entry):
    from_flipped = check(entry.genome.replace(flip=True))
    from_unflipped = check(entry.genome.replace(flip=False))
    if entry.name == "c1":
        assert from_flipped.reason == from_unflipped.reason == "non_finite"  # exp(ŷ/ε) overflows
        return
    assert from_flipped.ok and from_unflipped.ok
    # The code's rule reads the curve as the parent's flip leaves it: the two parents give
    # opposite flips, and exactly one of them the published sign.
    assert from_flipped.flip != from_unflipped.flip
    if entry.name in PUBLISHED_SIGN_FROM_FLIPPED_PARENT:
        assert from_flipped.flip == entry.genome.flip
    else:
        assert entry.name in PUBLISHED_SIGN_FROM_UNFLIPPED_PARENT
        assert from_unflipped.flip == entry.genome.flip
    # The rule that ignores the flip is the unflipped parent's, whatever the genome carries.
    assert check(entry.genome, rule="unflipped") == from_unflipped


def test_neurolosses_get_their_published_sign_only_from_a_flipped_parent():
    # Their true minimum lies between grid points 0 and 1 (ŷ ≈ 0.99998): unflipped, the
    # curve rises from index 0 to 1 and then falls, so sign[2] = -1 keeps it unflipped;
    # carrying a parent's flip it falls then rises, and sign[2] = +1 flips it.
    for name in ("neuroloss1", "neuroloss2", "neuroloss3"):
        genome = losses.get_genome(name)
        assert check(genome.replace(flip=True)).flip is True
        assert check(genome.replace(flip=False)).flip is False
        assert check(genome, rule="unflipped").flip is False
