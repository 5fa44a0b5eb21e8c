"""RandAugment's image operations in core TensorFlow, after TF Model Garden's `augment.py`.

Every op takes a uint8 batch `[B, H, W, 3]` (a single `[H, W, 3]` image works too) and
per-image arguments (shape `[B]`, or scalars broadcast to the batch), and returns uint8.
Semantics follow Model Garden, quirks included (docs/reference.md §8, BUILD_NOTES.md):
- geometric ops use nearest-neighbour sampling through `tf.raw_ops.ImageProjectiveTransformV3`
  (no tensorflow-addons) and fill the pixels that fall outside the image by `fill`:
  "reflect" (the authors' `transform_og` default, which their `wrap`/`unwrap` never
  override: the reflected all-ones channel leaves nothing for `unwrap` to paint) or
  "constant" with `replace` (Model Garden upstream's grey 128; `FILLS`);
- `solarize` compares against the threshold cast to uint8 (256 wraps to 0);
- `posterize` shifts by `8 - bits` with TensorFlow's uint8 shift (a shift of 8 acts as 7);
- `contrast` blends towards a grey level of `H·W/256` (Model Garden's histogram "mean").
"""

from __future__ import annotations

import math

import tensorflow as tf

REPLACE = 128
# How geometric ops fill the pixels that fall outside the image: the authors' code reflects
# (docs/reference.md §8); Model Garden upstream paints a constant `replace` (grey 128).
FILLS = ("reflect", "constant")


def _as_batch(images: tf.Tensor) -> tuple[tf.Tensor, bool]:
    images = tf.convert_to_tensor(images)
    if images.shape.rank == 3:
        return images[None], True
    return images, False


def _per_image(value, batch: tf.Tensor, dtype=tf.float32) -> tf.Tensor:
    """A scalar or `[B]` argument as a `[B]` tensor."""
    value = tf.cast(tf.convert_to_tensor(value), dtype)
    return tf.broadcast_to(tf.reshape(value, [-1]), [batch]) if value.shape.rank != 1 else value


def batched(fn):
    """Lets a batch op take a single image too."""

    def wrapper(images, *args, **kwargs):
        images, single = _as_batch(images)
        out = fn(images, *args, **kwargs)
        return out[0] if single else out

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def blend(image1: tf.Tensor, image2: tf.Tensor, factor: tf.Tensor) -> tf.Tensor:
    """`image1 + factor·(image2 - image1)`, clipped to [0, 255], truncated to uint8.

    `factor` is per image (`[B]`); 0 gives `image1`, 1 gives `image2`, above 1 extrapolates.
    """
    f = tf.reshape(tf.cast(factor, tf.float32), [-1, 1, 1, 1])
    a, b = tf.cast(image1, tf.float32), tf.cast(image2, tf.float32)
    return tf.cast(tf.clip_by_value(a + f * (b - a), 0.0, 255.0), tf.uint8)


# -- pixel ops ------------------------------------------------------------------------


@batched
def invert(images: tf.Tensor) -> tf.Tensor:
    """`255 - x`."""
    return 255 - images


@batched
def posterize(images: tf.Tensor, bits) -> tf.Tensor:
    """Keeps the top `bits` bits of each channel (per image)."""
    shift = tf.reshape(8 - _per_image(bits, tf.shape(images)[0], tf.int32), [-1, 1, 1, 1])
    shift = tf.cast(shift, tf.uint8)
    return tf.bitwise.left_shift(tf.bitwise.right_shift(images, shift), shift)


@batched
def solarize(images: tf.Tensor, threshold) -> tf.Tensor:
    """Inverts pixels at or above `threshold` (cast to uint8, as Model Garden does)."""
    t = _per_image(threshold, tf.shape(images)[0], tf.int32)
    t = tf.reshape(tf.cast(t, tf.uint8), [-1, 1, 1, 1])  # 256 -> 0: wraps like Model Garden
    return tf.where(images < t, images, 255 - images)


@batched
def solarize_add(images: tf.Tensor, addition, threshold: int = 128) -> tf.Tensor:
    """Adds `addition` (clipped to [0, 255]) to pixels below `threshold`."""
    add = tf.reshape(_per_image(addition, tf.shape(images)[0], tf.int32), [-1, 1, 1, 1])
    added = tf.cast(tf.clip_by_value(tf.cast(images, tf.int32) + add, 0, 255), tf.uint8)
    return tf.where(images < threshold, added, images)


@batched
def autocontrast(images: tf.Tensor) -> tf.Tensor:
    """Stretches each channel of each image to [0, 255]; flat channels are kept."""
    x = tf.cast(images, tf.float32)
    lo = tf.reduce_min(x, axis=[1, 2], keepdims=True)
    hi = tf.reduce_max(x, axis=[1, 2], keepdims=True)
    scale = 255.0 / tf.where(hi > lo, hi - lo, 1.0)
    scaled = tf.cast(tf.clip_by_value(x * scale - lo * scale, 0.0, 255.0), tf.uint8)
    return tf.where(hi > lo, scaled, images)


@batched
def equalize(images: tf.Tensor) -> tf.Tensor:
    """Histogram equalisation of each channel of each image (PIL's algorithm)."""
    shape = tf.shape(images)
    b = shape[0]
    x = tf.cast(images, tf.int32)
    # Histograms of all [image, channel] pairs in one bincount: [B, 3, 256].
    offsets = (tf.range(b)[:, None, None, None] * 3 + tf.range(3)[None, None, None, :]) * 256
    hist = tf.math.bincount(tf.reshape(x + offsets, [-1]), minlength=b * 3 * 256, maxlength=b * 3 * 256)
    hist = tf.reshape(hist, [b, 3, 256])
    # step = (count of all pixels but the last non-zero bin) // 255
    top = tf.reduce_max(x, axis=[1, 2])  # [B, 3]: the last non-zero bin
    last = tf.gather(hist, top, batch_dims=2)
    step = (shape[1] * shape[2] - last) // 255  # [B, 3]
    safe = tf.maximum(step, 1)[..., None]
    lut = (tf.cumsum(hist, axis=-1) + safe // 2) // safe
    lut = tf.clip_by_value(tf.concat([tf.zeros_like(lut[..., :1]), lut[..., :-1]], -1), 0, 255)
    # Look up every pixel: move channels first to gather along the 256 bins.
    xc = tf.transpose(x, [0, 3, 1, 2])  # [B, 3, H, W]
    out = tf.gather(lut, tf.reshape(xc, [b, 3, -1]), batch_dims=2)
    out = tf.transpose(tf.reshape(out, tf.shape(xc)), [0, 2, 3, 1])
    out = tf.where(tf.reshape(step == 0, [b, 1, 1, 3]), x, out)
    return tf.cast(out, tf.uint8)


@batched
def color(images: tf.Tensor, factor) -> tf.Tensor:
    """Blends towards the greyscale image (saturation)."""
    degenerate = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(images))
    return blend(degenerate, images, _per_image(factor, tf.shape(images)[0]))


@batched
def contrast(images: tf.Tensor, factor) -> tf.Tensor:
    """Blends towards a flat grey of `H·W/256` (Model Garden's histogram-sum "mean")."""
    shape = tf.shape(images)
    mean = tf.clip_by_value(tf.cast(shape[1] * shape[2], tf.float32) / 256.0, 0.0, 255.0)
    degenerate = tf.cast(tf.fill(shape, mean), tf.uint8)
    return blend(degenerate, images, _per_image(factor, shape[0]))


@batched
def brightness(images: tf.Tensor, factor) -> tf.Tensor:
    """Blends towards black."""
    return blend(tf.zeros_like(images), images, _per_image(factor, tf.shape(images)[0]))


@batched
def sharpness(images: tf.Tensor, factor) -> tf.Tensor:
    """Blends towards PIL's SMOOTH-filtered image; the one-pixel border is kept."""
    x = tf.cast(images, tf.float32)
    kernel = tf.constant([[1, 1, 1], [1, 5, 1], [1, 1, 1]], tf.float32, shape=[3, 3, 1, 1]) / 13.0
    # SAME padding, then keep only the interior: equal to VALID there, and the shape holds
    # for empty batches too (RandAugment hands ops empty partitions).
    smooth = tf.nn.depthwise_conv2d(x, tf.tile(kernel, [1, 1, 3, 1]), [1, 1, 1, 1], padding="SAME")
    smooth = tf.cast(tf.clip_by_value(smooth, 0.0, 255.0), tf.uint8)
    shape = tf.shape(images)
    rows, cols = tf.range(shape[1]), tf.range(shape[2])
    interior_rows = (rows >= 1) & (rows < shape[1] - 1)
    interior_cols = (cols >= 1) & (cols < shape[2] - 1)
    interior = (interior_rows[:, None] & interior_cols[None, :])[None, :, :, None]
    degenerate = tf.where(interior, smooth, images)
    return blend(degenerate, images, _per_image(factor, tf.shape(images)[0]))


@batched
def cutout(images: tf.Tensor, pad_size, seed: tf.Tensor, replace: int = 0) -> tf.Tensor:
    """Fills a `2·pad_size` square, centred uniformly at random per image, with `replace`."""
    shape = tf.shape(images)
    b, h, w = shape[0], shape[1], shape[2]
    s1, s2 = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    cy = tf.random.stateless_uniform([b], s1, 0, h, dtype=tf.int32)
    cx = tf.random.stateless_uniform([b], s2, 0, w, dtype=tf.int32)
    pad = tf.reshape(_per_image(pad_size, b, tf.int32), [-1, 1])
    rows, cols = tf.range(h)[None], tf.range(w)[None]
    in_rows = (rows >= cy[:, None] - pad) & (rows < cy[:, None] + pad)  # [B, H]
    in_cols = (cols >= cx[:, None] - pad) & (cols < cx[:, None] + pad)  # [B, W]
    mask = (in_rows[:, :, None] & in_cols[:, None, :])[..., None]
    return tf.where(mask, tf.cast(replace, images.dtype), images)


# -- geometric ops ----------------------------------------------------------------------


def projective_transform(
    images: tf.Tensor,
    transforms: tf.Tensor,
    replace: int = REPLACE,
    output_shape=None,
    fill: str = "constant",
) -> tf.Tensor:
    """Applies per-image 8-parameter projective transforms (output → input mapping),
    nearest-neighbour; pixels that fall outside the image are filled by `fill` (one of
    `FILLS`: "constant" paints `replace`, "reflect" mirrors the image at its edges);
    `output_shape` (H, W) defaults to the input's."""
    if fill not in FILLS:
        raise ValueError(f"fill must be one of {', '.join(FILLS)}, got {fill!r}")
    images, single = _as_batch(images)
    transforms = tf.cast(tf.reshape(transforms, [-1, 8]), tf.float32)
    transforms = tf.broadcast_to(transforms, [tf.shape(images)[0], 8])
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3] if output_shape is None else tf.constant(output_shape, tf.int32),
        fill_value=tf.cast(replace, tf.float32),
        interpolation="NEAREST",
        fill_mode=fill.upper(),
    )
    return out[0] if single else out


def rotate_transform(degrees: tf.Tensor, height, width) -> tf.Tensor:
    """Transforms rotating images by `degrees` about their centre (Model Garden's)."""
    radians = tf.cast(degrees, tf.float32) * (math.pi / 180.0)
    h, w = tf.cast(height, tf.float32) - 1.0, tf.cast(width, tf.float32) - 1.0
    cos, sin = tf.cos(radians), tf.sin(radians)
    x_offset = (w - (cos * w - sin * h)) / 2.0
    y_offset = (h - (sin * w + cos * h)) / 2.0
    zeros = tf.zeros_like(cos)
    return tf.stack([cos, -sin, x_offset, sin, cos, y_offset, zeros, zeros], axis=1)


def shear_x_transform(level: tf.Tensor) -> tf.Tensor:
    level = tf.cast(level, tf.float32)
    one, zero = tf.ones_like(level), tf.zeros_like(level)
    return tf.stack([one, level, zero, zero, one, zero, zero, zero], axis=1)


def shear_y_transform(level: tf.Tensor) -> tf.Tensor:
    level = tf.cast(level, tf.float32)
    one, zero = tf.ones_like(level), tf.zeros_like(level)
    return tf.stack([one, zero, zero, level, one, zero, zero, zero], axis=1)


def translate_transform(dx: tf.Tensor, dy: tf.Tensor) -> tf.Tensor:
    """Moves image content by (+dx, +dy) pixels."""
    dx, dy = tf.cast(dx, tf.float32), tf.cast(dy, tf.float32)
    one, zero = tf.ones_like(dx), tf.zeros_like(dx)
    return tf.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)


@batched
def rotate(images: tf.Tensor, degrees, replace: int = REPLACE, fill: str = "reflect") -> tf.Tensor:
    """Rotates each image by its `degrees` about the centre."""
    shape = tf.shape(images)
    t = rotate_transform(_per_image(degrees, shape[0]), shape[1], shape[2])
    return projective_transform(images, t, replace, fill=fill)


@batched
def shear_x(images: tf.Tensor, level, replace: int = REPLACE, fill: str = "reflect") -> tf.Tensor:
    return projective_transform(
        images, shear_x_transform(_per_image(level, tf.shape(images)[0])), replace, fill=fill
    )


@batched
def shear_y(images: tf.Tensor, level, replace: int = REPLACE, fill: str = "reflect") -> tf.Tensor:
    return projective_transform(
        images, shear_y_transform(_per_image(level, tf.shape(images)[0])), replace, fill=fill
    )


@batched
def translate_x(images: tf.Tensor, pixels, replace: int = REPLACE, fill: str = "reflect") -> tf.Tensor:
    """Model Garden's `translate_x(image, pixels)`: content moves by `-pixels` along x."""
    p = _per_image(pixels, tf.shape(images)[0])
    return projective_transform(images, translate_transform(-p, tf.zeros_like(p)), replace, fill=fill)


@batched
def translate_y(images: tf.Tensor, pixels, replace: int = REPLACE, fill: str = "reflect") -> tf.Tensor:
    """Model Garden's `translate_y(image, pixels)`: content moves by `-pixels` along y."""
    p = _per_image(pixels, tf.shape(images)[0])
    return projective_transform(images, translate_transform(tf.zeros_like(p), -p), replace, fill=fill)
