"""RandAugment ops: every op eagerly and in tf.data, golden values on tiny images, PIL
references, and identities at magnitude 0 / probability 0."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageOps

from lossevo.data.augment import ops
from lossevo.data.augment.randaugment import OP_NAMES, apply_op, op_arguments, rand_augment

RNG = np.random.default_rng(0)
BATCH = RNG.integers(0, 256, (4, 12, 12, 3), dtype=np.uint8)
SEED = tf.constant([3, 4], tf.int64)


@pytest.mark.parametrize("name", OP_NAMES)
@pytest.mark.parametrize("magnitude", [0.0, 5.0, 10.0, 15.0])
def test_every_op_eager_and_in_tf_data(name, magnitude):
    eager = apply_op(name, BATCH, magnitude, SEED)
    assert eager.shape == BATCH.shape and eager.dtype == tf.uint8
    single = apply_op(name, BATCH[0], magnitude, SEED)
    assert single.shape == BATCH.shape[1:] and single.dtype == tf.uint8
    ds = tf.data.Dataset.from_tensors(BATCH).map(lambda x: apply_op(name, x, magnitude, SEED))
    np.testing.assert_array_equal(next(iter(ds)).numpy(), eager.numpy())  # same seed, same result


def test_level_to_arg_table():
    # Model Garden's mapping (docs/reference.md §8), golden at magnitudes 5 and 10.
    assert op_arguments(5.0) == {
        "AutoContrast": None, "Equalize": None, "Invert": None, "Rotate": 15.0, "Posterize": 2,
        "Solarize": 128, "Color": 1.0, "Contrast": 1.0, "Brightness": 1.0, "Sharpness": 1.0,
        "ShearX": 0.15, "ShearY": 0.15, "TranslateX": 50.0, "TranslateY": 50.0, "Cutout": 20,
        "SolarizeAdd": 55,
    }  # fmt: skip
    ten = op_arguments(10.0)
    assert (ten["Posterize"], ten["Solarize"], ten["Cutout"], ten["SolarizeAdd"]) == (4, 256, 40, 110)
    assert ten["Rotate"] == 30.0 and ten["TranslateX"] == 100.0 and ten["Color"] == pytest.approx(1.9)


def test_invert_posterize_solarize_golden():
    img = np.array([[[0, 1, 127], [128, 200, 255]]], np.uint8)
    np.testing.assert_array_equal(ops.invert(img).numpy(), 255 - img)
    np.testing.assert_array_equal(ops.posterize(img, 2).numpy(), img & 0b11000000)
    np.testing.assert_array_equal(
        ops.posterize(img, 0).numpy(), img & 0b10000000
    )  # TF's shift by 8 acts as 7
    np.testing.assert_array_equal(ops.solarize(img, 128).numpy(), np.where(img < 128, img, 255 - img))
    np.testing.assert_array_equal(ops.solarize(img, 256).numpy(), 255 - img)  # 256 wraps to 0
    np.testing.assert_array_equal(
        ops.solarize_add(img, 110).numpy(), np.where(img < 128, np.minimum(img.astype(int) + 110, 255), img)
    )


def test_equalize_and_autocontrast_match_pil():
    for image in BATCH:
        pil = Image.fromarray(image)
        np.testing.assert_array_equal(ops.equalize(image).numpy(), np.asarray(ImageOps.equalize(pil)))
    low = (BATCH // 4 + 60).astype(np.uint8)  # a narrow range, stretched by autocontrast
    for image in low:
        ours = ops.autocontrast(image).numpy().astype(int)
        # Model Garden's formula in float32: x·s - lo·s, s = 255/(hi-lo), clipped, truncated.
        x = image.astype(np.float32)
        lo, hi = x.min(axis=(0, 1)), x.max(axis=(0, 1))
        scale = np.float32(255.0) / (hi - lo)
        np.testing.assert_array_equal(ours, np.clip(x * scale - lo * scale, 0, 255).astype(np.uint8))
        # PIL computes the same stretch in double precision: equal up to one grey level.
        pil = np.stack(
            [np.asarray(ImageOps.autocontrast(Image.fromarray(image[..., c]))) for c in range(3)], -1
        )
        assert np.abs(ours - pil.astype(int)).max() <= 1
    flat = np.full((3, 3, 3), 77, np.uint8)
    np.testing.assert_array_equal(ops.autocontrast(flat).numpy(), flat)
    np.testing.assert_array_equal(ops.equalize(flat).numpy(), flat)


def test_rotate_90_and_whole_pixel_translation():
    img = np.arange(27, dtype=np.uint8).reshape(3, 3, 3) * 9
    np.testing.assert_array_equal(ops.rotate(img, 90.0).numpy(), np.rot90(img, 1))
    np.testing.assert_array_equal(ops.rotate(img, -90.0).numpy(), np.rot90(img, -1))
    big = RNG.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    moved = ops.translate_x(big, 2, fill="constant").numpy()  # content moves left by 2, fill 128
    np.testing.assert_array_equal(moved[:, :-2], big[:, 2:])
    assert (moved[:, -2:] == 128).all()
    moved = ops.translate_y(big, -3, fill="constant").numpy()  # content moves down by 3
    np.testing.assert_array_equal(moved[3:], big[:-3])
    assert (moved[:3] == 128).all()


def test_cutout_area():
    img = np.full((2, 20, 20, 3), 200, np.uint8)
    out = ops.cutout(img, 3, SEED, replace=0).numpy()
    zeroed = (out == 0).all(-1).sum(axis=(1, 2))
    assert ((zeroed > 0) & (zeroed <= 36)).all()  # a 6x6 square, clipped at borders
    centred = ops.cutout(np.full((40, 40, 3), 9, np.uint8), 4, tf.constant([0, 1]), replace=128).numpy()
    rows, cols = np.nonzero((centred == 128).all(-1))
    assert rows.max() - rows.min() + 1 <= 8 and cols.max() - cols.min() + 1 <= 8


def test_blend_and_enhance_identities():
    x = BATCH
    np.testing.assert_array_equal(ops.color(x, 1.0).numpy(), x)
    np.testing.assert_array_equal(ops.brightness(x, 0.0).numpy(), np.zeros_like(x))
    np.testing.assert_array_equal(ops.brightness(x, 1.0).numpy(), x)
    np.testing.assert_array_equal(ops.sharpness(x, 1.0).numpy(), x)
    grey = ops.color(x, 0.0).numpy()
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    # Per-image factors: image 0 black, image 1 unchanged.
    out = ops.brightness(x[:2], tf.constant([0.0, 1.0])).numpy()
    assert (out[0] == 0).all() and (out[1] == x[1]).all()
    # Sharpness keeps the one-pixel border.
    sharp = ops.sharpness(x, 2.0).numpy()
    np.testing.assert_array_equal(sharp[:, 0], x[:, 0])
    np.testing.assert_array_equal(sharp[:, :, -1], x[:, :, -1])


@pytest.mark.parametrize(
    "name", ["Rotate", "ShearX", "ShearY", "TranslateX", "TranslateY", "Cutout", "SolarizeAdd"]
)
def test_magnitude_zero_is_identity(name):
    # Ops whose argument scales from zero with the magnitude. (Model Garden's mapping sends
    # the others elsewhere at M=0: posterize keeps 0 bits, solarize inverts all, the
    # enhance ops use factor 0.1.)
    np.testing.assert_array_equal(apply_op(name, BATCH, 0.0, SEED).numpy(), BATCH)


def test_rand_augment_probability_zero_and_seeds():
    np.testing.assert_array_equal(rand_augment(BATCH, SEED, prob_to_apply=0.0).numpy(), BATCH)
    a = rand_augment(BATCH, SEED, magnitude=7).numpy()
    b = rand_augment(BATCH, SEED, magnitude=7).numpy()
    c = rand_augment(BATCH, tf.constant([5, 6]), magnitude=7).numpy()
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    as_float = rand_augment(tf.cast(BATCH, tf.float32), SEED, magnitude=7)
    assert as_float.dtype == tf.float32
    np.testing.assert_array_equal(as_float.numpy(), a.astype(np.float32))


def test_rand_augment_draws_each_op_per_image():
    # With many images and one layer, every op (and identity) is chosen about 1/17 of the time:
    # count images left unchanged by a layer with only invert-like changes... here: identity.
    x = np.tile(RNG.integers(1, 255, (1, 8, 8, 3), dtype=np.uint8), (1700, 1, 1, 1))
    out = rand_augment(x, SEED, num_layers=1, magnitude=9).numpy()
    unchanged = (out == x).all(axis=(1, 2, 3)).mean()
    inverted = (out == 255 - x).all(axis=(1, 2, 3)).mean()
    assert 1 / 17 * 0.6 < unchanged < 3 / 17  # identity (+ ops that happen to change nothing)
    assert 1 / 17 * 0.6 < inverted < 1 / 17 * 1.5
