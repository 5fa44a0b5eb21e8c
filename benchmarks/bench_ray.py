r"""Candidates per hour on one machine: evaluations as Ray tasks with N workers against the
local way (one recycled worker process, `IsolatedFitness`), on the ConvNet surrogate.

  python benchmarks/bench_ray.py [--candidates=8] [--steps=200] [--workers=1,2]

Each row evaluates the same `--candidates` random genomes (synthetic data, `--steps`
training steps each). `local` runs them one after another in one worker process (started
before the clock, as a long search amortises it); `ray N` starts a local Ray with N CPUs
and keeps N evaluations in flight, each a fresh process (`max_calls=1`: imports, dataset
and model built per task). The Ray start-up is outside the clock too.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DATASET = {"num_train": 2000, "num_validation": 500, "num_test": 10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()

    import numpy as np

    from lossevo import fitness
    from lossevo.space.graph.sampling import sample_population

    genomes = sample_population(args.candidates, np.random.default_rng(0))
    seeds = list(range(args.candidates))
    factory = fitness.SurrogateFactory.make(
        "convnet", "synthetic", DATASET, scale=args.steps / 8000, threshold_scale=0.0
    )
    print(
        f"cpu cores: {os.cpu_count()}, ConvNet, {args.steps} steps per candidate, {args.candidates} candidates"
    )

    local = fitness.IsolatedFitness(factory, recycle_every=1000)
    local.evaluate(genomes[:1], [99])  # start the worker (imports, dataset) before the clock
    start = time.perf_counter()
    results = local.evaluate(genomes, seeds)
    seconds = time.perf_counter() - start
    local.close()
    _row("local (1 worker process)", args.candidates, seconds, results)

    import ray

    from lossevo.search.ray_executor import RayExecutor

    for n in (int(w) for w in args.workers.split(",")):
        with RayExecutor(
            init_kwargs={"num_cpus": n, "include_dashboard": False, "log_to_driver": False}
        ) as ex:
            start = time.perf_counter()
            futures = [ex.submit(local, g, s) for g, s in zip(genomes, seeds, strict=True)]
            results = [f.result() for f in futures]  # Ray runs N at a time (1 CPU per task)
            seconds = time.perf_counter() - start
        assert not ray.is_initialized()
        _row(f"ray, {n} worker(s)", args.candidates, seconds, results)


def _row(label: str, n: int, seconds: float, results) -> None:
    ok = sum(r.status == "ok" for r in results)
    print(f"{label:26s} {n / seconds * 3600:7.0f} candidates/h  ({seconds:6.1f} s, {ok}/{n} ok)", flush=True)


if __name__ == "__main__":
    main()
