"""The papers' simple techniques (docs/reference.md §8): pad-and-crop with flips, cutout, mixup, CutMix,
and paper 003's shift-zoom-flip (Keras' `ImageDataGenerator`).

`random_crop_flip` and `cutout` are per-image; `mixup` and `cutmix` mix the images of a
batch and their one-hot labels. All randomness is stateless, from an explicit `[2]` seed.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from lossevo.data.augment import ops


def random_crop_flip(image: tf.Tensor, seed: tf.Tensor, pad: int = 4, flip: bool = True) -> tf.Tensor:
    """Zero-pads by `pad` pixels, crops back to the input size at a random offset, and
    flips horizontally with probability 0.5 (paper 000's *base*)."""
    image = tf.convert_to_tensor(image)
    s_crop, s_flip = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    shape = tf.shape(image)
    if pad:
        padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]])
        image = tf.image.stateless_random_crop(padded, shape, s_crop)
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, s_flip)
    return image


def random_crop_flip_batch(
    images: tf.Tensor,
    seed: tf.Tensor,
    pad: int = 4,
    flip: bool = True,
    crop_size: tuple[int, int] | None = None,
) -> tf.Tensor:
    """`random_crop_flip` for a batch `[B, H, W, 3]`, vectorised: each image gets its own
    offset in [-pad, pad]² and flip, applied as one projective transform with zero fill
    (the same distribution as padding, cropping and flipping image by image). With
    `crop_size`, images are instead cropped to that size at a uniform offset, no padding
    (WideResNet's "resize to 40, random crop 32")."""
    s_y, s_x, s_flip = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    shape = tf.shape(images)
    b = shape[0]
    if crop_size is None:
        lo_y = lo_x = -pad
        hi_y = hi_x = pad
        w = tf.cast(shape[2], tf.float32)
    else:
        lo_y = lo_x = 0
        hi_y, hi_x = shape[1] - crop_size[0], shape[2] - crop_size[1]
        w = float(crop_size[1])
    oy = tf.cast(tf.random.stateless_uniform([b], s_y, lo_y, hi_y + 1, dtype=tf.int32), tf.float32)
    ox = tf.cast(tf.random.stateless_uniform([b], s_x, lo_x, hi_x + 1, dtype=tf.int32), tf.float32)
    flipped = tf.random.stateless_uniform([b], s_flip) < 0.5 if flip else tf.zeros([b], tf.bool)
    # Output pixel (x, y) reads input (±x + shift, y + oy); a flip maps x to w - 1 - x.
    one, zero = tf.ones([b]), tf.zeros([b])
    a0 = tf.where(flipped, -one, one)
    a2 = tf.where(flipped, w - 1.0, zero) + ox
    transforms = tf.stack([a0, zero, a2, zero, one, oy, zero, zero], axis=1)
    return ops.projective_transform(images, transforms, replace=0, output_shape=crop_size)


def shift_zoom_transforms(
    batch: tf.Tensor, height: tf.Tensor, width: tf.Tensor, seed: tf.Tensor, shift: float, zoom: float
) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-image `[B, 8]` transforms (output pixel to input pixel) of Keras'
    `ImageDataGenerator(width_shift_range=shift, height_shift_range=shift, zoom_range=zoom)`,
    and the draws `[B, 4]` (row shift, column shift, row zoom, column zoom) behind them.

    As `ImageDataGenerator.get_random_transform` and `apply_affine_transform`: shifts drawn
    uniformly in `±shift` times the height (rows) and width (columns), in pixels, not
    rounded; zooms drawn independently per axis in `[1 - zoom, 1 + zoom]` (above 1 zooms
    out); the zoom about the centre `(size - 1) / 2`, so input = c + z·(output − c) + shift."""
    s_ty, s_tx, s_z = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
    ty = tf.random.stateless_uniform([batch], s_ty, -shift, shift) * h
    tx = tf.random.stateless_uniform([batch], s_tx, -shift, shift) * w
    z = tf.random.stateless_uniform([batch, 2], s_z, 1.0 - zoom, 1.0 + zoom)
    zy, zx = z[:, 0], z[:, 1]
    cy, cx = h / 2.0 - 0.5, w / 2.0 - 0.5
    zero = tf.zeros([batch])
    transforms = tf.stack([zx, zero, cx - zx * cx + tx, zero, zy, cy - zy * cy + ty, zero, zero], axis=1)
    return transforms, tf.stack([ty, tx, zy, zx], axis=1)


def shift_zoom_flip_batch(
    images: tf.Tensor, seed: tf.Tensor, shift: float = 0.1, zoom: float = 0.2, flip: bool = True
) -> tf.Tensor:
    """Paper 003's augmentation on a batch `[B, H, W, C]`: Keras' `ImageDataGenerator` with
    width and height shift `shift`, zoom `zoom` and horizontal flips, its bilinear
    interpolation and "nearest" fill, applied by `keras.ops.image.affine_transform` (the op
    Keras' `RandomZoom` and `RandomTranslation` layers use) with lossevo's stateless draws.
    Returns float32 images (pixel values, not rounded)."""
    s_affine, s_flip = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    shape = tf.shape(images)
    transforms, _ = shift_zoom_transforms(shape[0], shape[1], shape[2], s_affine, shift, zoom)
    out = keras.ops.image.affine_transform(
        tf.cast(images, tf.float32), transforms, interpolation="bilinear", fill_mode="nearest"
    )
    if flip:
        flipped = tf.random.stateless_uniform([shape[0]], s_flip) < 0.5
        out = tf.where(flipped[:, None, None, None], tf.reverse(out, [2]), out)
    return out


def cutout(image: tf.Tensor, seed: tf.Tensor, size: int = 8, replace: int = 0) -> tf.Tensor:
    """Sets one `size`×`size` square (centre uniform over the image, clipped at the borders)
    to `replace` (0: zeroed, as in paper 000's *cutout*). Works on one image or a batch."""
    return ops.cutout(image, size // 2, seed, replace=replace)


def _beta(shape, alpha: float, seed: tf.Tensor) -> tf.Tensor:
    s1, s2 = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    a = tf.random.stateless_gamma(shape, s1, alpha=alpha)
    b = tf.random.stateless_gamma(shape, s2, alpha=alpha)
    return a / (a + b)


def _permutation(n, seed: tf.Tensor) -> tf.Tensor:
    return tf.argsort(tf.random.stateless_uniform([n], seed))


def mixup(
    images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor, alpha: float = 0.2
) -> tuple[tf.Tensor, tf.Tensor]:
    """mixup: `λ·x + (1-λ)·x[π]` and the same for labels, λ ~ Beta(α, α) per image, π a
    random permutation of the batch. Returns float32 images and labels."""
    s_lam, s_perm = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    n = tf.shape(images)[0]
    lam = _beta([n], alpha, s_lam)
    perm = _permutation(n, s_perm)
    x = tf.cast(images, tf.float32)
    y = tf.cast(labels, tf.float32)
    lx = tf.reshape(lam, [-1, 1, 1, 1])
    ly = tf.reshape(lam, [-1, 1])
    return lx * x + (1 - lx) * tf.gather(x, perm), ly * y + (1 - ly) * tf.gather(y, perm)


def cutmix(
    images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor, alpha: float = 1.0
) -> tuple[tf.Tensor, tf.Tensor]:
    """CutMix: pastes a box of another image of the batch into each image; the labels mix
    by the box's area after clipping to the image. λ ~ Beta(α, α), box side √(1-λ) of the
    image's, centre uniform. Returns images (input dtype) and float32 labels."""
    s_lam, s_perm, s_y, s_x = tf.unstack(tf.random.experimental.stateless_split(seed, 4))
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    lam = _beta([n], alpha, s_lam)
    perm = _permutation(n, s_perm)
    ratio = tf.sqrt(1.0 - lam)
    cut_h = tf.cast(ratio * tf.cast(h, tf.float32), tf.int32)
    cut_w = tf.cast(ratio * tf.cast(w, tf.float32), tf.int32)
    cy = tf.random.stateless_uniform([n], s_y, 0, h, dtype=tf.int32)
    cx = tf.random.stateless_uniform([n], s_x, 0, w, dtype=tf.int32)
    y1, y2 = tf.clip_by_value(cy - cut_h // 2, 0, h), tf.clip_by_value(cy + cut_h // 2, 0, h)
    x1, x2 = tf.clip_by_value(cx - cut_w // 2, 0, w), tf.clip_by_value(cx + cut_w // 2, 0, w)
    rows, cols = tf.range(h)[None], tf.range(w)[None]
    in_rows = (rows >= y1[:, None]) & (rows < y2[:, None])
    in_cols = (cols >= x1[:, None]) & (cols < x2[:, None])
    box = (in_rows[:, :, None] & in_cols[:, None, :])[..., None]
    mixed = tf.where(box, tf.gather(images, perm), images)
    kept = 1.0 - tf.cast((y2 - y1) * (x2 - x1), tf.float32) / tf.cast(h * w, tf.float32)
    y = tf.cast(labels, tf.float32)
    k = kept[:, None]
    return mixed, k * y + (1 - k) * tf.gather(y, perm)
