r"""Paper 000 §3.1: random losses × augmentations on one surrogate; Kendall's tau between
techniques (over all losses and over each pair's best K), average-linkage clusters, and a
scatter of base against all.

  python experiments/correlate.py --workdir=runs/corr --small
  python experiments/correlate.py --workdir=runs/corr --dataset=cifar10 --num_genomes=1000

Scores are appended to `scores.jsonl` as they finish (rerun to resume); results go to
`correlation.json` and `scatter.png`.
"""

from __future__ import annotations

import json
import os

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory.", required=True)
_N = flags.DEFINE_integer("num_genomes", 1000, "Random losses.", lower_bound=2)
_AUGS = flags.DEFINE_list("augmentations", ["base", "cutout", "mixup", "randaug", "all"], "Techniques.")
_SURROGATE = flags.DEFINE_string("surrogate", "resnet9v2_6m", "lossevo.fitness surrogate.")
_BEST_K = flags.DEFINE_integer("best_k", 50, "Best-K intersection for the second tau.", lower_bound=2)
_CLUSTERS = flags.DEFINE_integer("clusters", 4, "Number of clusters.", lower_bound=1)
_DATASET = flags.DEFINE_string("dataset", "synthetic", "Dataset name.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "tensorflow-datasets directory.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the random losses.")
_SCALE = flags.DEFINE_float("scale", 1.0, "Multiply training steps.", lower_bound=0.0001)
_SMALL = flags.DEFINE_bool("small", False, "Smoke run: 6 losses, base and all, ConvNet, 1% steps.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    import numpy as np
    from matplotlib.figure import Figure

    from lossevo import data, fitness
    from lossevo.analysis import cluster_losses, kendall_matrix
    from lossevo.evolution.rundir import append_result, read_results
    from lossevo.genome.sampling import sample_population

    n, augs, surrogate, scale = _N.value, list(_AUGS.value), _SURROGATE.value, _SCALE.value
    best_k, clusters = _BEST_K.value, _CLUSTERS.value
    if _SMALL.value:
        n, augs, surrogate, scale, best_k, clusters = 6, ["base", "all"], "convnet", 0.01, 4, 2
    try:
        fitness.canonical_name(surrogate)
    except ValueError as e:
        raise app.UsageError(f"--surrogate: {e}") from None
    if "base" not in augs or "all" not in augs:
        raise app.UsageError("--augmentations must include base and all (for the scatter plot)")
    genomes = sample_population(n, np.random.default_rng(_SEED.value))
    os.makedirs(_WORKDIR.value, exist_ok=True)
    path = os.path.join(_WORKDIR.value, "scores.jsonl")
    done = {(r["index"], r["augmentation"]): r["fitness"] for r in read_results(path)}
    dataset = (data.load("synthetic", num_train=2000, num_validation=500, num_test=10)
               if _DATASET.value == "synthetic" else data.load(_DATASET.value, data_dir=_DATA_DIR.value))  # fmt: skip
    for aug in augs:
        fit = fitness.SurrogateFitness(surrogate, dataset, scale, aug, threshold_scale=0.0)
        for i, g in enumerate(genomes):
            if (i, aug) not in done:
                result = fit.evaluate_one(g, seed=_SEED.value * 100003 + i)
                done[(i, aug)] = result.fitness if result.fitness is not None else 0.0
                append_result(
                    path, {"index": i, "augmentation": aug, "hash": g.hash_hex, "fitness": done[(i, aug)]}
                )
                print(f"{aug:8s} loss {i:4d}: {done[(i, aug)]:.4f}", flush=True)
    scores = {aug: [done[(i, aug)] for i in range(n)] for aug in augs}
    out = {
        "kendall_all": {f"{a}|{b}": t for (a, b), t in kendall_matrix(scores).items()},
        f"kendall_best_{best_k}": {f"{a}|{b}": t for (a, b), t in kendall_matrix(scores, best_k).items()},
        "clusters": cluster_losses(scores, clusters).tolist(),
        "hashes": [g.hash_hex for g in genomes],
    }
    with open(os.path.join(_WORKDIR.value, "correlation.json"), "w") as f:
        json.dump(out, f, indent=1)
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    ax.scatter(scores["base"], scores["all"], c=out["clusters"], cmap="tab10", s=12)
    ax.set_xlabel("fitness with base")
    ax.set_ylabel("fitness with all")
    fig.savefig(os.path.join(_WORKDIR.value, "scatter.png"), dpi=110)
    for key, value in out["kendall_all"].items():
        print(f"tau {key:20s} all {value:+.3f}   best {best_k}: {out[f'kendall_best_{best_k}'][key]:+.3f}")


if __name__ == "__main__":
    app.run(main)
