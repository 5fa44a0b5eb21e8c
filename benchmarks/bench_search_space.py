r"""Throughput of the search space's inner loops on this machine.

  python benchmarks/bench_search_space.py [--seconds=5]

Measures (1) integrity-checked random genomes per second (docs/reference.md §2–3) and (2) mutation
attempts per second (docs/reference.md §4: propose, structural checks, integrity check, similarity
against a 100-genome population), and compares them with the authors' code on the same
2-core machine: about 68 genomes/s and 180 mutation attempts/s (issue #2).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from lossevo.space.graph import mutation, raw
from lossevo.space.graph.sampling import Uniforms, sample_population

AUTHORS_GENOMES_PER_S = 68.0
AUTHORS_MUTATIONS_PER_S = 180.0


def bench_init(seconds: float, seed: int) -> float:
    rng = np.random.default_rng(seed)
    sample_population(100, rng)  # warm caches and imports
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        n += len(sample_population(500, rng))
    return n / (time.perf_counter() - start)


def bench_mutation(seconds: float, seed: int) -> tuple[float, dict]:
    rng = np.random.default_rng(seed)
    population = sample_population(100, rng)
    index = mutation.PopulationIndex(population)
    parents = [raw.from_genome(g) for g in population]
    u = Uniforms(rng)
    reasons: dict[str, int] = {}
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            *_, result = mutation.try_mutation(parents[n % 100], u, index)
            reasons[result.reason or "accepted"] = reasons.get(result.reason or "accepted", 0) + 1
            n += 1
    return n / (time.perf_counter() - start), reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    init = bench_init(args.seconds, args.seed)
    mut, reasons = bench_mutation(args.seconds, args.seed)
    print(f"cpu cores: {os.cpu_count()}")
    print(
        f"random genomes (integrity-checked): {init:9.0f} /s   "
        f"authors' code ~{AUTHORS_GENOMES_PER_S:.0f} /s   speed-up {init / AUTHORS_GENOMES_PER_S:5.1f}x"
    )
    print(
        f"mutation attempts:                  {mut:9.0f} /s   "
        f"authors' code ~{AUTHORS_MUTATIONS_PER_S:.0f} /s   speed-up {mut / AUTHORS_MUTATIONS_PER_S:5.1f}x"
    )
    total = sum(reasons.values())
    print("mutation outcomes: " + ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(reasons.items())))


if __name__ == "__main__":
    main()
