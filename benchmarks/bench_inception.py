r"""Where a candidate of paper 003's InceptionV3 fitness spends its time (issue 16).

  python benchmarks/bench_inception.py [--candidates=2] [--steps=20] [--batch=16] [--size=75]

Evaluates `--candidates` tree genomes (NGL, then CE) with the `inception_003_small`
surrogate (the CPU form of `small_tree`: InceptionV3 at `--size`, no upsampling) on the
offline synthetic data, timing each evaluation, and, apart from it, one model's build, its
first `fit` of `--steps` steps (graph tracing included) and a second `fit` of the same
steps (traced already): per-step time, and the share of a candidate that is tracing.
"""

from __future__ import annotations

import argparse
import os
import time

import keras
import numpy as np

from lossevo import data, losses, models
from lossevo.fitness.surrogates import SurrogateFitness


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=75)
    args = parser.parse_args()
    print(f"cpu cores: {os.cpu_count()}, InceptionV3 at {args.size}x{args.size}, batch {args.batch}, "
          f"{args.steps} steps")  # fmt: skip

    start = time.perf_counter()
    model = models.get("inceptionv3", 10, input_shape=(args.size, args.size, 3), upsample=1)
    built = time.perf_counter() - start
    model.compile(
        optimizer="adam", loss=losses.EvolvedLoss(losses.get_genome("ngl_tree")), metrics=["accuracy"]
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.steps * args.batch, args.size, args.size, 3)).astype(np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, len(x)), 10)
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)
    second = time.perf_counter() - start
    print(f"build {built:.1f} s; first fit {first:.1f} s; second fit {second:.1f} s "
          f"({1000 * second / args.steps:.0f} ms/step); tracing ~{first - second:.1f} s")  # fmt: skip
    keras.backend.clear_session()

    ds = data.load("synthetic", num_train=400, num_validation=100, num_test=10)
    fitness = SurrogateFitness("inception_003_small", ds, scale=args.steps / 17600, batch_size=args.batch)
    genomes = [losses.get_genome("ngl_tree"), losses.get_genome("cross_entropy")]
    for i in range(args.candidates):
        start = time.perf_counter()
        (result,) = fitness.evaluate([genomes[i % 2]], [i])
        print(
            f"candidate {i}: {time.perf_counter() - start:.1f} s, fitness {result.fitness}, {result.status}"
        )


if __name__ == "__main__":
    main()
