r"""Candidates per hour with population-batched evaluation (issue 7), K = 1, 4, 8, 16.

  python benchmarks/bench_batched.py [--models=convnet,resnet9v2_small] [--ks=1,4,8,16]
      [--steps=20] [--batch_size=64] [--jit=auto] [--data=candidate|shared]

For each surrogate model and K, a `PopulationTrainer` with K copies trains 2K candidate
losses (catalog genomes, distinct seeds) for `--steps` steps each on the offline synthetic
dataset at 32×32 (one epoch, then a validation pass over 256 images), each copy drawing its
own candidate's stream (`--data=shared`: one stream feeds every copy). The first compiled call (trace + graph optimisation) is timed
apart and excluded; "cand/h" is the steady-state rate at `--steps` steps per candidate,
"cand/h@800" extrapolates the per-step time to the 800-step ConvNet surrogate.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf

import lossevo
from lossevo.losses import catalog
from lossevo.training import recipes
from lossevo.training.population import PopulationTrainer, train_population

LOSSES = (
    catalog.CROSS_ENTROPY,
    catalog.NEUROLOSS1,
    catalog.BAIKAL,
    catalog.A2,
    catalog.BESSEL,
    catalog.NEUROLOSS3,
)


def bench(
    model: str, k: int, steps: int, batch_size: int, jit: bool | str, dataset, data: str = "candidate"
) -> dict[str, float]:
    recipe = recipes.scaled(recipes.get("convnet_surrogate"), steps, batch_size)
    start = time.perf_counter()
    trainer = PopulationTrainer(model, dataset.num_classes, recipe, k, jit_compile=jit)
    for slot in range(k):
        trainer.assign(slot, LOSSES[slot % len(LOSSES)], slot)
    lead = 1 if data == "shared" else k  # a shared batch is broadcast to the K copies
    x = tf.zeros((lead, batch_size, 32, 32, 3))
    y = tf.one_hot(tf.zeros((lead, batch_size), tf.int32), dataset.num_classes)
    trainer.train_step(x, y)  # trace and compile
    trainer.active.numpy()
    compile_s = time.perf_counter() - start
    n = 2 * k
    genomes = [LOSSES[i % len(LOSSES)] for i in range(n)]
    start = time.perf_counter()
    train_population(trainer, dataset, genomes, list(range(100, 100 + n)), steps=steps, steps_per_epoch=steps,
                     shuffle_buffer=1024, data=data)  # fmt: skip
    wall = time.perf_counter() - start
    assert trainer.trace_counts["train"] == 1, trainer.trace_counts
    per_candidate = wall / n
    return {"compile_s": compile_s, "s_per_cand": per_candidate, "cand_h": 3600 / per_candidate,
            "cand_h_800": 3600 / (per_candidate * 800 / steps)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="convnet,resnet9v2_small")
    parser.add_argument("--ks", default="1,4,8,16")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--jit", default="auto", help="auto, true or false")
    parser.add_argument("--data", default="candidate", help="candidate (a stream per copy) or shared")
    args = parser.parse_args()
    jit = {"auto": "auto", "true": True, "false": False}[args.jit.lower()]
    dataset = lossevo.data.load("synthetic", num_train=2048, num_validation=256, num_test=64, seed=0)
    devices = ", ".join(d.device_type for d in tf.config.list_physical_devices())
    print(
        f"devices: {devices}; cores: {os.cpu_count()}; steps/candidate: {args.steps}; batch {args.batch_size}; data: {args.data}"
    )
    print(
        f"{'model':<16} {'K':>3} {'compile s':>10} {'s/cand':>8} {'cand/h':>8} {'cand/h@800':>11} {'vs K=1':>7}"
    )
    for model in args.models.split(","):
        base = None
        for k in (int(v) for v in args.ks.split(",")):
            r = bench(model, k, args.steps, args.batch_size, jit, dataset, args.data)
            base = base or r["cand_h"]
            print(f"{model:<16} {k:>3} {r['compile_s']:>10.1f} {r['s_per_cand']:>8.2f} {r['cand_h']:>8.0f} "
                  f"{r['cand_h_800']:>11.1f} {r['cand_h'] / base:>6.2f}x", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
