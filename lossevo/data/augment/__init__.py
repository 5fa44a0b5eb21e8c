"""Image augmentation: RandAugment ops (`ops`), RandAugment (`randaugment`), and the simple
techniques (`basic`)."""

from lossevo.data.augment import basic, ops, randaugment
from lossevo.data.augment.basic import cutmix, cutout, mixup, random_crop_flip
from lossevo.data.augment.randaugment import apply_op, rand_augment

__all__ = [
    "apply_op",
    "basic",
    "cutmix",
    "cutout",
    "mixup",
    "ops",
    "rand_augment",
    "randaugment",
    "random_crop_flip",
]
