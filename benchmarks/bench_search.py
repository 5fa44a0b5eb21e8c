r"""Candidates per hour on the ConvNet surrogate at fixed steps, and resident memory after
1, 10 and N candidates, for three ways of evaluating:

- `authors`: the authors' way: build the model, compile, fit, per candidate, nothing released;
- `inprocess`: lossevo's `SurrogateFitness` in the search's own process (clear_session + gc);
- `isolated`: `SurrogateFitness` in an `IsolatedFitness` worker recycled every
  `--recycle_every` candidates (what `experiments/evolve.py` does by default); its memory is
  the search process plus the worker.

  python benchmarks/bench_search.py [--candidates=200] [--steps=50] [--recycle_every=50]

Each variant runs in its own process so their memory does not mix.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


DATASET = {"num_train": 2000, "num_validation": 500, "num_test": 10}


def worker(variant: str, n: int, steps: int, recycle_every: int) -> dict:
    import keras
    import numpy as np

    from lossevo import data, fitness, models
    from lossevo.losses import EvolvedLoss
    from lossevo.search.types import rss_mb
    from lossevo.space.graph.sampling import sample_population

    genomes = sample_population(n, np.random.default_rng(0))
    factory = fitness.SurrogateFactory.make(
        "convnet", "synthetic", DATASET, scale=steps / 8000, threshold_scale=0.0
    )
    if variant == "isolated":
        evaluator = fitness.IsolatedFitness(factory, recycle_every=recycle_every)
        evaluator.evaluate(genomes[:1], [0])  # start the first worker outside the timing, like imports
    elif variant == "inprocess":
        evaluator = factory()
    else:
        ds = data.load("synthetic", **DATASET)
        train = data.make_pipeline(ds.train, "none", 10, 64, seed=0, repeat=True)
        val = data.make_pipeline(ds.validation, "none", 10, 64, training=False)
    rss, start = {}, time.perf_counter()
    for i, g in enumerate(genomes, start=1):
        if variant == "authors":  # build, compile, fit; nothing cleared
            model = models.convnet(10)
            model.compile(keras.optimizers.Adam(1e-3), loss=EvolvedLoss(g), metrics=["accuracy"])
            model.fit(train, steps_per_epoch=steps, epochs=1, validation_data=val, verbose=0)
            worker_rss = 0.0
        else:
            (result,) = evaluator.evaluate([g], [i])
            assert result.status in ("ok", "failed", "rejected"), result
            worker_rss = result.info.get("worker_rss_mb", 0.0)
        if i in (1, 10, n):
            rss[i] = rss_mb() + worker_rss
    seconds = time.perf_counter() - start
    if variant == "isolated":
        evaluator.close()
    return {"variant": variant, "candidates": n, "steps": steps, "seconds": seconds,
            "candidates_per_hour": n / seconds * 3600, "rss_mb": rss}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--recycle_every", type=int, default=50)
    parser.add_argument("--variants", default="authors,inprocess,isolated")
    parser.add_argument("--worker", default=None)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.candidates, args.steps, args.recycle_every)))
        return
    print(f"cpu cores: {os.cpu_count()}, ConvNet, {args.steps} steps per candidate, batch 64, synthetic data")
    for variant in args.variants.split(","):
        out = subprocess.run(
            [sys.executable, __file__, f"--worker={variant}", f"--candidates={args.candidates}",
             f"--steps={args.steps}", f"--recycle_every={args.recycle_every}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rss = r["rss_mb"]
        print(
            f"{variant:9s} {r['candidates_per_hour']:7.0f} candidates/h   RSS after 1: {rss['1']:6.0f} MB, "
            f"after 10: {rss['10']:6.0f} MB, after {args.candidates}: {rss[str(args.candidates)]:6.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
