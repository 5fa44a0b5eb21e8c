"""The simple techniques: crop/flip, cutout, mixup and CutMix semantics."""

import numpy as np
import pytest
import tensorflow as tf

from lossevo.data.augment import basic

RNG = np.random.default_rng(1)
IMAGES = RNG.integers(1, 256, (16, 10, 10, 3), dtype=np.uint8)
SEED = tf.constant([7, 8], tf.int64)


def _candidates(image, pad):
    """Every zero-padded crop and flip of an image."""
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    h, w = image.shape[:2]
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            crop = padded[dy : dy + h, dx : dx + w]
            yield crop
            yield crop[:, ::-1]


@pytest.mark.parametrize("batched", [False, True])
def test_crop_flip_outputs_are_padded_crops_or_their_flips(batched):
    if batched:
        out = basic.random_crop_flip_batch(IMAGES, SEED, pad=2).numpy()
    else:
        out = np.stack([basic.random_crop_flip(im, SEED + i, pad=2).numpy() for i, im in enumerate(IMAGES)])
    assert out.shape == IMAGES.shape and out.dtype == np.uint8
    for o, image in zip(out, IMAGES, strict=True):
        assert any((o == c).all() for c in _candidates(image, 2))
    assert len({o.tobytes() for o in out}) > 1


def test_crop_flip_distribution_batched():
    x = np.tile(IMAGES[:1], (4000, 1, 1, 1))
    out = basic.random_crop_flip_batch(x, SEED, pad=1).numpy()
    cands = list(_candidates(IMAGES[0], 1))  # 9 offsets × 2 flips, uniform
    counts = np.zeros(len(cands))
    for o in out[:1800]:
        counts[next(i for i, c in enumerate(cands) if (o == c).all())] += 1
    assert counts.min() > 0.5 * 1800 / 18 and counts.max() < 1.5 * 1800 / 18


def test_identity_without_pad_and_flip():
    np.testing.assert_array_equal(
        basic.random_crop_flip(IMAGES[0], SEED, pad=0, flip=False).numpy(), IMAGES[0]
    )
    np.testing.assert_array_equal(
        basic.random_crop_flip_batch(IMAGES, SEED, pad=0, flip=False).numpy(), IMAGES
    )


def test_cutout_zeroes_one_square():
    out = basic.cutout(np.full((30, 30, 3), 255, np.uint8), SEED, size=8).numpy()
    zero = (out == 0).all(-1)
    rows, cols = np.nonzero(zero)
    assert 0 < zero.sum() <= 64 and np.ptp(rows) < 8 and np.ptp(cols) < 8


def _onehot(n, k):
    return tf.one_hot(np.arange(n) % k, k)


def test_mixup_labels_on_simplex_and_images_mixed_in_that_proportion():
    labels = _onehot(16, 16)  # every image its own class: the label reveals λ and the partner
    x, y = basic.mixup(IMAGES, labels, SEED, alpha=0.4)
    x, y = x.numpy(), y.numpy()
    assert x.dtype == np.float32 and (x >= 0).all() and (x <= 255).all()
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-6)
    assert (y >= 0).all()
    for i in range(16):
        lam = y[i, i]
        others = [j for j in range(16) if j != i and y[i, j] > 0]
        partner = others[0] if others else i
        expected = lam * IMAGES[i].astype(np.float32) + (1 - y[i, i] if others else 0) * IMAGES[partner]
        np.testing.assert_allclose(x[i], expected, rtol=1e-5, atol=1e-3)
    lam = np.array([y[i, i] for i in range(16)])
    assert 0 < lam.min() < 1  # really mixing


def test_mixup_lambda_distribution():
    labels = tf.one_hot(np.zeros(4000, int), 2)
    labels = tf.concat([labels[:2000], tf.one_hot(np.ones(2000, int), 2)], 0)
    _, y = basic.mixup(np.zeros((4000, 2, 2, 3), np.uint8), labels, SEED, alpha=1.0)
    # With α = 1, λ ~ U(0, 1): the own-label weight of class-0 images mixed with class-1 ones.
    own = y.numpy()[:2000, 0]
    mixed = own[own < 1]
    assert abs(mixed.mean() - 0.5) < 0.05


def test_cutmix_labels_mix_by_pasted_area():
    base = np.zeros((16, 20, 20, 3), np.uint8) + np.arange(16, dtype=np.uint8)[:, None, None, None] * 10
    labels = _onehot(16, 16)
    x, y = basic.cutmix(base, labels, SEED, alpha=1.0)
    x, y = x.numpy(), y.numpy()
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-6)
    for i in range(16):
        own_fraction = (x[i, ..., 0] == base[i, 0, 0, 0]).mean()
        if y[i, i] < 1:
            assert y[i, i] == pytest.approx(own_fraction, abs=1e-6)
        pasted = set(np.unique(x[i, ..., 0])) - {base[i, 0, 0, 0]}
        assert len(pasted) <= 1  # one partner image
    assert (y.max(-1) < 1).any()
