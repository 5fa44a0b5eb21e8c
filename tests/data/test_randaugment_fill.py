"""RandAugment's geometric ops against the authors' path, rebuilt from TF's raw op.

The authors' `effnet_rand_aug.py` runs Rotate, ShearX/Y and TranslateX/Y as
`unwrap(transform(wrap(image)), [128] * 3)`: `wrap` appends an all-ones channel, their
`transform_og` calls `ImageProjectiveTransformV2` with its default `fill_mode='reflect'`
and `interpolation='nearest'`, and `unwrap` paints 128 wherever the extra channel is 0.
The reference below rebuilds that path from the V2 op (lossevo uses V3) with their
transform formulas in float32, and lossevo must match it pixel for pixel. With the fill
swapped for a constant 0, the same path is Model Garden upstream's grey 128: lossevo's
`fill="constant"` option must match that one.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from lossevo.data.augment import ops
from lossevo.data.augment.randaugment import apply_op, rand_augment
from lossevo.data.pipelines import AugmentConfig

SIZES = (32, 80, 96, 224)
MAGNITUDES = (1, 5, 10, 15)
GEOMETRIC = ("Rotate", "ShearX", "ShearY", "TranslateX", "TranslateY")


def _authors_transform(name: str, level: float, height: int, width: int) -> tf.Tensor:
    """The authors' 8-parameter transform of an op at a (signed) level, in float32."""
    level = tf.constant(level, tf.float32)
    one, zero = tf.constant(1.0), tf.constant(0.0)
    if name == "Rotate":  # `rotate` + `_convert_angles_to_transform`
        radians = tf.cast(level * (math.pi / 180.0), tf.float32)
        h, w = tf.constant(height, tf.float32), tf.constant(width, tf.float32)
        cos, sin = tf.math.cos(radians), tf.math.sin(radians)
        x_offset = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2.0
        y_offset = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2.0
        return tf.stack([cos, -sin, x_offset, sin, cos, y_offset, zero, zero])
    if name == "ShearX":
        return tf.stack([one, level, zero, zero, one, zero, zero, zero])
    if name == "ShearY":
        return tf.stack([one, zero, zero, level, one, zero, zero, zero])
    # translate_x(image, pixels) = translate(wrap(image), [-pixels, 0]); the translation
    # matrix is [1, 0, -dx, 0, 1, -dy, 0, 0].
    dx, dy = (-level, zero) if name == "TranslateX" else (zero, -level)
    return tf.stack([one, zero, -dx, zero, one, -dy, zero, zero])


def authors_geometric(image: np.ndarray, name: str, level: float, fill_mode: str = "REFLECT") -> np.ndarray:
    """`unwrap(transform(wrap(image)), [128] * 3)` for one [H, W, 3] uint8 image."""
    h, w = image.shape[:2]
    wrapped = tf.concat([image, tf.ones([h, w, 1], tf.uint8)], axis=2)  # `wrap`
    out = tf.raw_ops.ImageProjectiveTransformV2(
        images=wrapped[None],
        transforms=_authors_transform(name, level, h, w)[None],
        output_shape=tf.constant([h, w], tf.int32),
        interpolation="NEAREST",
        fill_mode=fill_mode,
    )[0]
    flat = tf.reshape(out, [-1, 4])  # `unwrap`
    replace = tf.constant([128, 128, 128, 1], tf.uint8)
    flat = tf.where(tf.equal(flat[:, 3:], 0), tf.ones_like(flat) * replace, flat)
    return tf.reshape(flat, [h, w, 4])[:, :, :3].numpy()


def authors_level(name: str, magnitude: float) -> float:
    """The authors' `level_to_arg` before the random sign."""
    if name == "Rotate":
        return (magnitude / 10.0) * 30.0
    if name in ("ShearX", "ShearY"):
        return (magnitude / 10.0) * 0.3
    return (magnitude / 10.0) * 100.0


LOSSEVO = {
    "Rotate": ops.rotate,
    "ShearX": ops.shear_x,
    "ShearY": ops.shear_y,
    "TranslateX": ops.translate_x,
    "TranslateY": ops.translate_y,
}


def _image(size: int) -> np.ndarray:
    return np.random.default_rng(size).integers(0, 256, (size, size, 3), dtype=np.uint8)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", GEOMETRIC)
def test_geometric_ops_equal_the_authors_reflect_path(name, size):
    image = _image(size)
    for magnitude in MAGNITUDES:
        for sign in (1.0, -1.0):
            level = float(np.float32(sign * authors_level(name, magnitude)))
            expected = authors_geometric(image, name, level)
            got = LOSSEVO[name](image, level).numpy()
            mismatch = (got != expected).any(-1).mean()
            assert mismatch == 0, f"{name} M={magnitude} sign {sign:+.0f} at {size}px: {mismatch:.2%} differ"


@pytest.mark.parametrize("name", GEOMETRIC)
def test_constant_fill_is_model_gardens_grey(name):
    """The named option: with a constant fill the path paints 128, and lossevo's
    `fill="constant"` matches it."""
    image = _image(80)
    level = authors_level(name, 5.0)
    expected = authors_geometric(image, name, level, fill_mode="CONSTANT")
    np.testing.assert_array_equal(LOSSEVO[name](image, level, fill="constant").numpy(), expected)
    assert (expected == 128).all(-1).mean() > 0.01  # the fill is visible at M=5
    assert not np.array_equal(expected, authors_geometric(image, name, level))  # and differs from reflection


def test_reflect_fill_mirrors_the_edge():
    img = np.random.default_rng(1).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    moved = ops.translate_x(img, 2).numpy()  # content moves left by 2; the last columns mirror
    np.testing.assert_array_equal(moved[:, :-2], img[:, 2:])
    np.testing.assert_array_equal(moved[:, -2:], img[:, [-1, -2]])


def test_randaugment_reflects_by_default():
    """`apply_op`, `rand_augment` and the pipelines' `AugmentConfig` reflect unless told."""
    image = _image(32)
    seed = tf.constant([5, 6], tf.int64)
    out = apply_op("TranslateX", image, 5.0, seed).numpy()
    candidates = [authors_geometric(image, "TranslateX", s * 50.0) for s in (1.0, -1.0)]
    assert any(np.array_equal(out, c) for c in candidates)
    assert not (apply_op("TranslateX", image, 5.0, seed, fill="constant").numpy() == out).all()
    assert AugmentConfig().randaug_fill == "reflect"
    batch = np.stack([image] * 8)
    assert not np.array_equal(rand_augment(batch, seed, 2, 10.0).numpy(),
                              rand_augment(batch, seed, 2, 10.0, fill="constant").numpy())  # fmt: skip


def test_unknown_fill_is_refused():
    with pytest.raises(ValueError, match="fill must be one of reflect, constant"):
        ops.rotate(_image(32), 10.0, fill="wrap")
    with pytest.raises(ValueError, match="unknown RandAugment fill 'grey'"):
        AugmentConfig(randaug_fill="grey")
