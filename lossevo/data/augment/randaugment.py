"""RandAugment with the authors' semantics: TF Model Garden's op set and level-to-argument
mapping (docs/reference.md §8), vectorised over a batch.

Each of `num_layers` layers picks, independently per image, one of the 16 ops or identity
(uniform over 17 choices) and applies it at magnitude `M` (0–10 scale, higher allowed as in
progressive RandAugment). Ops are grouped with `tf.dynamic_partition`, so each op runs once
per layer on just the images that chose it; randomness is stateless, from one seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import tensorflow as tf

from lossevo.data.augment import ops

MAX_LEVEL = 10.0
CUTOUT_CONST = 40.0
TRANSLATE_CONST = 100.0


def _mult(multiplier: float) -> Callable[[float], int]:
    return lambda level: int((level / MAX_LEVEL) * multiplier)


def _enhance(level: float) -> float:
    return (level / MAX_LEVEL) * 1.8 + 0.1


@dataclasses.dataclass(frozen=True)
class RandAugmentOp:
    """One op: `apply(images, arg, seed, fill)` with `arg` from `level_to_arg(magnitude)`;
    geometric ops fill the pixels that fall outside the image by `fill` (`ops.FILLS`), the
    others ignore it.

    `signed` ops get their argument negated per image with probability 0.5.
    """

    name: str
    apply: Callable[..., tf.Tensor]
    level_to_arg: Callable[[float, float, float], float] | None
    signed: bool = False


def _no_arg(op):
    return lambda images, arg, seed, fill: op(images)


def _with_arg(op):
    return lambda images, arg, seed, fill: op(images, arg)


def _geometric(op):
    return lambda images, arg, seed, fill: op(images, arg, fill=fill)


# Model Garden's `available_ops` order and `level_to_arg`; args: (level, cutout_const, translate_const).
OPS: tuple[RandAugmentOp, ...] = (
    RandAugmentOp("AutoContrast", _no_arg(ops.autocontrast), None),
    RandAugmentOp("Equalize", _no_arg(ops.equalize), None),
    RandAugmentOp("Invert", _no_arg(ops.invert), None),
    RandAugmentOp("Rotate", _geometric(ops.rotate), lambda m, c, t: (m / MAX_LEVEL) * 30.0, signed=True),
    RandAugmentOp("Posterize", _with_arg(ops.posterize), lambda m, c, t: _mult(4)(m)),
    RandAugmentOp("Solarize", _with_arg(ops.solarize), lambda m, c, t: _mult(256)(m)),
    RandAugmentOp("Color", _with_arg(ops.color), lambda m, c, t: _enhance(m)),
    RandAugmentOp("Contrast", _with_arg(ops.contrast), lambda m, c, t: _enhance(m)),
    RandAugmentOp("Brightness", _with_arg(ops.brightness), lambda m, c, t: _enhance(m)),
    RandAugmentOp("Sharpness", _with_arg(ops.sharpness), lambda m, c, t: _enhance(m)),
    RandAugmentOp("ShearX", _geometric(ops.shear_x), lambda m, c, t: (m / MAX_LEVEL) * 0.3, signed=True),
    RandAugmentOp("ShearY", _geometric(ops.shear_y), lambda m, c, t: (m / MAX_LEVEL) * 0.3, signed=True),
    RandAugmentOp(
        "TranslateX", _geometric(ops.translate_x), lambda m, c, t: (m / MAX_LEVEL) * t, signed=True
    ),
    RandAugmentOp(
        "TranslateY", _geometric(ops.translate_y), lambda m, c, t: (m / MAX_LEVEL) * t, signed=True
    ),
    RandAugmentOp(
        "Cutout",
        lambda images, arg, seed, fill: ops.cutout(images, arg, seed, replace=ops.REPLACE),
        lambda m, c, t: _mult(c)(m),
    ),
    RandAugmentOp("SolarizeAdd", _with_arg(ops.solarize_add), lambda m, c, t: _mult(110)(m)),
)
OP_NAMES: tuple[str, ...] = tuple(op.name for op in OPS)
IDENTITY = len(OPS)  # the 17th choice


def op_arguments(
    magnitude: float, cutout_const: float = CUTOUT_CONST, translate_const: float = TRANSLATE_CONST
) -> dict[str, float | None]:
    """Each op's argument at a magnitude (before the random sign of signed ops)."""
    return {
        op.name: None
        if op.level_to_arg is None
        else op.level_to_arg(magnitude, cutout_const, translate_const)
        for op in OPS
    }


def apply_op(
    name: str,
    images: tf.Tensor,
    magnitude: float,
    seed: tf.Tensor,
    cutout_const: float = CUTOUT_CONST,
    translate_const: float = TRANSLATE_CONST,
    fill: str = "reflect",
) -> tf.Tensor:
    """One named RandAugment op at a magnitude, with the random sign of signed ops;
    geometric ops fill by `fill` (`ops.FILLS`)."""
    images, single = ops._as_batch(images)
    op = OPS[OP_NAMES.index(name)]
    arg = op_arguments(magnitude, cutout_const, translate_const)[name]
    if op.signed:
        s1, seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        arg = arg * _random_signs(tf.shape(images)[0], s1)
    out = op.apply(images, arg, seed, fill)
    return out[0] if single else out


def _random_signs(n, seed) -> tf.Tensor:
    """±1 per image with probability 0.5 each (Model Garden's `_randomly_negate_tensor`)."""
    flip = tf.floor(tf.random.stateless_uniform([n], seed) + 0.5)
    return tf.where(flip > 0, 1.0, -1.0)


def rand_augment(
    images: tf.Tensor,
    seed: tf.Tensor,
    num_layers: int = 2,
    magnitude: float = 10.0,
    cutout_const: float = CUTOUT_CONST,
    translate_const: float = TRANSLATE_CONST,
    prob_to_apply: float | None = None,
    fill: str = "reflect",
) -> tf.Tensor:
    """RandAugment on a batch `[B, H, W, 3]` (or one image); returns the input dtype.

    Args:
      images: images with values in [0, 255] (non-uint8 input is clipped and cast first).
      seed: a `[2]` int seed; the same seed gives the same augmentation.
      num_layers: N, ops applied in sequence.
      magnitude: M on the 0–10 scale.
      cutout_const, translate_const: Model Garden's multipliers (40 and 100).
      prob_to_apply: if set, each layer is applied to an image with this probability.
      fill: how Rotate, ShearX/Y and TranslateX/Y fill the pixels that fall outside the
        image: "reflect" (the authors' code, docs/reference.md §8) or "constant" (grey
        128, Model Garden upstream).
    """
    if fill not in ops.FILLS:
        raise ValueError(f"fill must be one of {', '.join(ops.FILLS)}, got {fill!r}")
    images, single = ops._as_batch(images)
    dtype = images.dtype
    x = images if dtype == tf.uint8 else tf.cast(tf.clip_by_value(images, 0.0, 255.0), tf.uint8)
    args = op_arguments(magnitude, cutout_const, translate_const)
    b = tf.shape(x)[0]
    positions = tf.range(b)
    for layer_seed in tf.unstack(tf.random.experimental.stateless_split(seed, num_layers)):
        s_choice, s_sign, s_op, s_prob = tf.unstack(tf.random.experimental.stateless_split(layer_seed, 4))
        choice = tf.random.stateless_uniform([b], s_choice, 0, IDENTITY + 1, dtype=tf.int32)
        signs = _random_signs(b, s_sign)
        parts = tf.dynamic_partition(x, choice, IDENTITY + 1)
        sign_parts = tf.dynamic_partition(signs, choice, IDENTITY + 1)
        index_parts = tf.dynamic_partition(positions, choice, IDENTITY + 1)
        op_seeds = tf.unstack(tf.random.experimental.stateless_split(s_op, IDENTITY))
        outs = []
        for k, op in enumerate(OPS):
            arg = args[op.name]
            if op.signed:
                arg = arg * sign_parts[k]
            outs.append(op.apply(parts[k], arg, op_seeds[k], fill))
        outs.append(parts[IDENTITY])
        augmented = tf.dynamic_stitch(index_parts, outs)
        if prob_to_apply is not None:
            keep = tf.random.stateless_uniform([b], s_prob) < prob_to_apply
            augmented = tf.where(keep[:, None, None, None], augmented, x)
        x = tf.ensure_shape(augmented, images.shape)
    out = tf.cast(x, dtype)
    return out[0] if single else out
