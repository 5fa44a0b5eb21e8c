r"""Images per second of each augmentation pipeline (32×32, batch 128) on this machine.

  python benchmarks/bench_pipelines.py [--batches=60]

Each lossevo pipeline is compared with a per-example pipeline built the way the authors
built theirs: one `tf.switch_case` RandAugment per image inside `map` (the same ops, one
image at a time), then `.batch()`. The ConvNet surrogate's training step rate is measured
too, to show whether the input pipeline or the model bounds a search.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf

from lossevo import data
from lossevo.data.augment import basic
from lossevo.data.augment.randaugment import IDENTITY, OPS, op_arguments

BATCH = 128


def per_example_randaugment(image, seed, num_layers=2, magnitude=5.0):
    """The authors' structure: per image, per layer, a switch_case over the 16 ops."""
    args = op_arguments(magnitude)
    for layer_seed in tf.unstack(tf.random.experimental.stateless_split(seed, num_layers)):
        s_choice, s_sign, s_op = tf.unstack(tf.random.experimental.stateless_split(layer_seed, 3))
        choice = tf.random.stateless_uniform([], s_choice, 0, IDENTITY + 1, dtype=tf.int32)
        sign = tf.where(tf.random.stateless_uniform([], s_sign) < 0.5, -1.0, 1.0)
        branches = []
        for op in OPS:
            arg = args[op.name] * sign if op.signed else args[op.name]
            branches.append(lambda op=op, arg=arg, im=image, s=s_op: op.apply(im[None], arg, s)[0])
        image = tf.switch_case(choice, branches, default=lambda im=image: im)
    return image


def baseline_pipeline(ds, technique, num_classes, seed=0):
    def per_image(index, example):
        image, label = example
        s = tf.stack([tf.constant(seed, tf.int64), index])
        image = basic.random_crop_flip(image, s)
        if technique in ("randaug", "all"):
            image = per_example_randaugment(image, s + 1)
        if technique in ("cutout", "all"):
            image = basic.cutout(image, s + 2)
        return data.normalize(image), tf.one_hot(tf.cast(label, tf.int32), num_classes)

    ds = ds.shuffle(10000, seed=seed).repeat().enumerate()
    ds = ds.map(per_image, num_parallel_calls=tf.data.AUTOTUNE).batch(BATCH, drop_remainder=True)
    if technique in ("mixup", "all"):
        ds = ds.enumerate().map(lambda i, b: basic.mixup(*b, tf.stack([tf.constant(7, tf.int64), i])))
    return ds.prefetch(tf.data.AUTOTUNE)


def images_per_second(ds, batches: int) -> float:
    it = iter(ds)
    for _ in range(5):  # fill the shuffle buffer, warm up
        next(it)
    start = time.perf_counter()
    for _ in range(batches):
        x, _ = next(it)
    x.numpy()
    return batches * BATCH / (time.perf_counter() - start)


def surrogate_images_per_second(steps: int = 30) -> float:
    import keras
    import numpy as np

    from lossevo.losses import catalog
    from lossevo.losses.evolved import EvolvedLoss

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_loss_step import convnet

    model = convnet()
    model.compile(optimizer="adam", loss=EvolvedLoss(catalog.NEUROLOSS1))
    x = np.random.default_rng(0).normal(size=(BATCH * steps, 32, 32, 3)).astype("float32")
    y = keras.utils.to_categorical(np.arange(BATCH * steps) % 10, 10)
    model.fit(x[: BATCH * 2], y[: BATCH * 2], batch_size=BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    return BATCH * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--batches", type=int, default=60)
    args = parser.parse_args()
    ds = data.load("synthetic", num_train=10000, num_validation=10, num_test=10)
    print(f"cpu cores: {os.cpu_count()}, batch {BATCH}, 32x32")
    for technique in ("base", "cutout", "mixup", "cutmix", "randaug", "all"):
        ours = images_per_second(
            data.make_pipeline(ds.train, technique, ds.num_classes, BATCH, seed=0, repeat=True), args.batches
        )
        line = f"{technique:8s} lossevo {ours:8.0f} img/s"
        if technique != "cutmix":
            base = images_per_second(baseline_pipeline(ds.train, technique, ds.num_classes), args.batches)
            line += f"   per-example (authors' way) {base:8.0f} img/s   speed-up {ours / base:5.2f}x"
        print(line, flush=True)
    print(f"ConvNet surrogate training (EvolvedLoss NeuroLoss1): {surrogate_images_per_second():8.0f} img/s")


if __name__ == "__main__":
    main()
