r"""Cost of EvolvedLoss inside a training step, and of the loss alone under XLA.

  python benchmarks/bench_loss_step.py [--rounds=7] [--steps=30]

(1) A small CNN (the ConvNet surrogate's shape: conv 12 → conv 24 s2 → conv 48 s2, BN +
swish, GAP, dense) trains on 32×32×3 batches of 128 with `EvolvedLoss(NeuroLoss1 genome)`
and with NeuroLoss1 written by hand in TensorFlow; the two compiled train steps alternate
over several rounds and the median step times are compared (target: ratio <= 1.02).
(2) The loss alone on a [8192, 1000] batch under `jit_compile=True`: EvolvedLoss
(NeuroLoss1, cross-entropy genome) and Keras' CategoricalCrossentropy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

import lossevo
from lossevo.losses import catalog

EPS = 1e-7


def neuroloss1_by_hand(y_true, y_pred):
    y_true = tf.cast(y_true, tf.float32)
    y_pred = tf.cast(y_pred, tf.float32)
    q = y_pred / (y_true + EPS)
    s = y_pred / tf.sqrt(1.0 + tf.square(q))
    return -tf.reduce_mean(tf.reduce_sum(tf.math.log(tf.abs(s) + EPS) + s, axis=-1))


def convnet(num_classes: int = 10) -> keras.Model:
    def block(x, filters, stride):
        x = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        return keras.layers.Activation("swish")(x)

    inputs = keras.Input((32, 32, 3))
    x = block(inputs, 12, 1)
    x = block(x, 24, 2)
    x = block(x, 48, 2)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.1)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def make_step(loss_fn, jit: bool):
    keras.utils.set_random_seed(0)
    model = convnet()
    opt = keras.optimizers.Adam(1e-3)

    @tf.function(jit_compile=jit)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return step


def time_steps(step, x, y, n: int) -> float:
    step(x, y).numpy()
    start = time.perf_counter()
    for _ in range(n):
        loss = step(x, y)
    loss.numpy()
    return (time.perf_counter() - start) / n


def bench_train_step(rounds: int, steps: int, jit: bool) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(128, 32, 32, 3)).astype(np.float32))
    y = tf.constant(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)])
    evolved = make_step(lossevo.EvolvedLoss(catalog.NEUROLOSS1), jit)
    by_hand = make_step(neuroloss1_by_hand, jit)
    a, b = [], []
    for _ in range(rounds):
        a.append(time_steps(evolved, x, y, steps))
        b.append(time_steps(by_hand, x, y, steps))
    return statistics.median(a), statistics.median(b)


def bench_loss_alone(repeats: int = 20) -> dict[str, float]:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(8192, 1000)).astype(np.float32)
    p = tf.nn.softmax(tf.constant(logits))
    y = tf.one_hot(rng.integers(0, 1000, 8192), 1000)
    out = {}
    for name, loss in (
        ("EvolvedLoss(NeuroLoss1)", lossevo.EvolvedLoss(catalog.NEUROLOSS1)),
        ("EvolvedLoss(CE genome)", lossevo.EvolvedLoss(catalog.CROSS_ENTROPY)),
        ("keras CategoricalCrossentropy", keras.losses.CategoricalCrossentropy()),
        ("NeuroLoss1 by hand", neuroloss1_by_hand),
    ):
        fn = tf.function(lambda a, b, loss=loss: loss(a, b), jit_compile=True)
        fn(y, p).numpy()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(y, p).numpy()
            times.append(time.perf_counter() - start)
        out[name] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, devices: "
          f"{[d.device_type for d in tf.config.list_physical_devices()]}")  # fmt: skip
    for jit in (False, True):
        evolved, by_hand = bench_train_step(args.rounds, args.steps, jit)
        print(
            f"train step (ConvNet, batch 128, jit_compile={jit!s:5}): EvolvedLoss {evolved * 1e3:7.2f} ms, "
            f"by hand {by_hand * 1e3:7.2f} ms, ratio {evolved / by_hand:.3f}"
        )
    for name, seconds in bench_loss_alone().items():
        print(f"loss alone [8192, 1000], XLA: {name:32s} {seconds * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
