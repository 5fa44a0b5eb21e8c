"""Named tf.data training pipelines (docs/reference.md §8): the papers' augmentation techniques.

    ds = lossevo.data.load("cifar10")
    train = make_pipeline(ds.train, "all", ds.num_classes, batch_size=128, seed=0)

Each technique is a list of steps (data, below). Resizing (which variable-size images need
before they can be batched) runs per image in `map` before `.batch()`; the other steps run
after it. Crop-and-flip, RandAugment and cutout draw independently for every image but run
vectorised over the batch (3-4x the throughput of per-image `map` calls on 2 cores, see
benchmarks/bench_pipelines.py); mixup and CutMix mix images of the batch. Every random draw is stateless, seeded from `seed` and the element's
position in the stream, so a pipeline replays exactly (and resumes at any step).
Outputs: images as float32 scaled by `AugmentConfig.scaling` (`SCALINGS`: Model Garden's
`(x - 127.5) / 128` by default, or `x / 255` as the authors' non-augmented surrogates feed
them), one-hot float32 labels.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from lossevo.data.augment import basic, ops
from lossevo.data.augment.randaugment import rand_augment

# Technique -> steps, in order.
TECHNIQUES: dict[str, tuple[str, ...]] = {
    "none": (),
    "base": ("crop_flip",),
    "cutout": ("crop_flip", "cutout"),
    "mixup": ("crop_flip", "mixup"),
    "cutmix": ("crop_flip", "cutmix"),
    "randaug": ("crop_flip", "randaug"),
    "all": ("crop_flip", "randaug", "cutout", "mixup"),
    # The authors' progressive-RandAugment input: resize, then RandAugment alone.
    "randaug_only": ("randaug",),
    # Paper 003's Keras ImageDataGenerator: shift 0.1, zoom 0.2, horizontal flip.
    "shift_zoom_flip": ("shift_zoom_flip",),
}

# Model input scalings of uint8 images (see `normalize`).
SCALINGS = ("model_garden", "unit", "inception")


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Parameters of the techniques; defaults are the papers' (or the authors' code's)."""

    pad: int = 4  # zero padding before the random crop
    flip: bool = True
    cutout_size: int = 8  # side of the zeroed square
    mixup_alpha: float = 0.2
    cutmix_alpha: float = 1.0
    randaug_layers: int = 2
    randaug_magnitude: float = 5.0
    cutout_const: float = 40.0
    translate_const: float = 100.0
    # RandAugment's geometric ops: "reflect" (the authors' code) or "constant" (grey 128,
    # Model Garden upstream); a key of `ops.FILLS`.
    randaug_fill: str = "reflect"
    image_size: tuple[int, int] | None = None  # resize to this first (None: keep)
    crop_size: tuple[int, int] | None = None  # random crop to this instead of pad-and-crop
    scaling: str = "model_garden"  # model input scaling, a key of SCALINGS
    shift: float = 0.1  # shift_zoom_flip: largest shift, a fraction of the height and width
    zoom: float = 0.2  # shift_zoom_flip: zoom factors drawn from [1 - zoom, 1 + zoom] per axis

    def __post_init__(self):
        if self.scaling not in SCALINGS:
            raise ValueError(f"unknown input scaling {self.scaling!r}; known: {', '.join(SCALINGS)}")
        if self.randaug_fill not in ops.FILLS:
            raise ValueError(f"unknown RandAugment fill {self.randaug_fill!r}; known: {', '.join(ops.FILLS)}")


def technique_names() -> list[str]:
    return list(TECHNIQUES)


def _check(technique: str) -> tuple[str, ...]:
    if technique not in TECHNIQUES:
        raise ValueError(f"unknown augmentation {technique!r}; known: {', '.join(TECHNIQUES)}")
    return TECHNIQUES[technique]


def normalize(images: tf.Tensor, scaling: str = "model_garden") -> tf.Tensor:
    """Model input from uint8 images: `(x - 127.5) / 128` ("model_garden"), `x / 255`
    ("unit", the authors' `preprocess_image` of the non-augmented surrogates) or
    `x / 127.5 - 1` ("inception", Keras' `inception_v3.preprocess_input`, paper 003)."""
    x = tf.cast(images, tf.float32)
    if scaling == "inception":
        return x / 127.5 - 1.0
    return (x - 127.5) / 128.0 if scaling == "model_garden" else x / 255.0


def resize(image: tf.Tensor, size: tuple[int, int], truncate: bool = True) -> tf.Tensor:
    """Bilinear resize. `truncate`: clipped and truncated back to uint8, as the authors'
    training images are (RandAugment's cast to uint8 after `tf.image.resize`), and as the
    augmentation ops need; else the float32 bilinear values, as the authors evaluate on
    (their test `RandomProcessImage` never casts)."""
    out = tf.image.resize(image, size)
    return tf.cast(tf.clip_by_value(out, 0.0, 255.0), tf.uint8) if truncate else out


def augment_batch(
    images: tf.Tensor, labels: tf.Tensor, steps: tuple[str, ...], config: AugmentConfig, seed: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """The batch steps of a technique on uint8 images and one-hot labels."""
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 5))
    if "crop_flip" in steps:
        images = basic.random_crop_flip_batch(images, seeds[4], config.pad, config.flip, config.crop_size)
    if "randaug" in steps:
        images = rand_augment(
            images, seeds[0], config.randaug_layers, config.randaug_magnitude,
            config.cutout_const, config.translate_const, fill=config.randaug_fill,
        )  # fmt: skip
    if "cutout" in steps:
        images = ops.cutout(images, config.cutout_size // 2, seeds[1], replace=0)
    if "shift_zoom_flip" in steps:  # a seed of its own: the other steps' draws stay as they were
        images = basic.shift_zoom_flip_batch(
            images, tf.random.experimental.stateless_fold_in(seed, 5), config.shift, config.zoom, config.flip
        )
    if "mixup" in steps:
        images, labels = basic.mixup(images, labels, seeds[2], config.mixup_alpha)
    if "cutmix" in steps:
        images, labels = basic.cutmix(images, labels, seeds[3], config.cutmix_alpha)
    return images, labels


def make_pipeline(
    dataset: tf.data.Dataset,
    technique: str,
    num_classes: int,
    batch_size: int,
    seed: int = 0,
    training: bool = True,
    config: AugmentConfig | None = None,
    shuffle_buffer: int = 10000,
    repeat: bool = False,
    drop_remainder: bool | None = None,
    batch_per_pass: bool = False,
) -> tf.data.Dataset:
    """A batched pipeline of `(normalised float32 images, one-hot labels)`.

    Args:
      dataset: `(uint8 image [H, W, 3], int label)` pairs.
      technique: one of `technique_names()`; ignored (no augmentation) when not training.
      num_classes: for the one-hot labels.
      batch_size: batch size.
      seed: seeds the shuffle and every augmentation draw.
      training: shuffle and augment; when False only resize (to float32 bilinear values,
        not truncated to uint8: the authors' evaluation images), batch and normalise.
      config: technique parameters.
      shuffle_buffer: shuffle buffer size (training only); 0 or 1: no shuffling, the
        examples in their stored order (the authors' non-augmented surrogates).
      repeat: repeat forever (seeds keep changing across epochs).
      drop_remainder: drop a last partial batch (default: when training and not
        `batch_per_pass`).
      batch_per_pass: with `repeat`, batch each pass over the data on its own and then
        repeat, as the authors' loaders do (`.batch(B)` before `.repeat()`): every pass ends
        with a partial batch (45,000 images at 128: one of 72) and an unshuffled stream
        starts the same groupings again. False: repeat, then batch across pass boundaries,
        every batch full.
    """
    steps = _check(technique) if training else ()
    config = config or AugmentConfig()
    if not training and config.crop_size is not None:  # evaluate at the crop size
        config = dataclasses.replace(config, image_size=config.crop_size)
    drop = (training and not batch_per_pass) if drop_remainder is None else drop_remainder

    def per_image_input(image, label):
        image = tf.convert_to_tensor(image)
        if image.shape.rank == 2:
            image = tf.stack([image] * 3, -1)
        elif image.shape[-1] == 1:  # grayscale [H, W, 1]
            image = tf.image.grayscale_to_rgb(image)
        if config.image_size is not None:
            image = resize(image, config.image_size, truncate=training)
        return image, label

    def per_batch(index, batch):
        images, labels = batch
        labels = tf.one_hot(tf.cast(labels, tf.int32), num_classes)
        if steps:
            batch_seed = tf.stack([tf.constant(seed + 1, tf.int64), index])
            images, labels = augment_batch(images, labels, steps, config, batch_seed)
        return normalize(images, config.scaling), labels

    ds = dataset
    if training and shuffle_buffer > 1:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat and not batch_per_pass:
        ds = ds.repeat()
    spec = dataset.element_spec[0]
    if config.image_size is not None or spec.shape.rank != 3 or spec.shape[-1] == 1:  # per-image work
        ds = ds.map(per_image_input, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=drop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if repeat and batch_per_pass:
        ds = ds.repeat()
    ds = ds.enumerate().map(per_batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)
