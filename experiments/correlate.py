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
from common import fail, run
from data_flags import data_spec

_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory.", required=True)
_N = flags.DEFINE_integer("num_genomes", 1000, "Random losses.", lower_bound=2)
_AUGS = flags.DEFINE_list("augmentations", ["base", "cutout", "mixup", "randaug", "all"], "Techniques.")
_SURROGATE = flags.DEFINE_string("surrogate", "resnet9v2_6m", "lossevo.fitness surrogate.")
_BEST_K = flags.DEFINE_integer("best_k", 50, "Best-K intersection for the second tau.", lower_bound=2)
_CLUSTERS = flags.DEFINE_integer("clusters", 4, "Number of clusters.", lower_bound=1)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the random losses.", lower_bound=0)
_SCALE = flags.DEFINE_float("scale", 1.0, "Multiply training steps.", lower_bound=0.0001)
_SMALL = flags.DEFINE_bool(
    "small", False, "Smoke run: 6 losses, base and all, ConvNet at smoke sizes (10% of the steps, batch 32), "
    "cross-entropy scored beside them as a reference.",
)  # fmt: skip


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    import numpy as np
    from matplotlib.figure import Figure

    from lossevo import fitness
    from lossevo.analysis import cluster_losses, kendall_matrix
    from lossevo.data.pipelines import technique_names
    from lossevo.losses import get_genome
    from lossevo.progress import Progress
    from lossevo.search.jsonl import append_result, read_results
    from lossevo.search.lock import RunLock
    from lossevo.space.graph.sampling import sample_population
    from lossevo.training.smoke import SMOKE_BATCH, SMOKE_SCALE

    n, augs, surrogate, scale = _N.value, list(_AUGS.value), _SURROGATE.value, _SCALE.value
    best_k, clusters = _BEST_K.value, _CLUSTERS.value
    batch = SMOKE_BATCH if _SMALL.value else None
    if _SMALL.value:  # smoke sizes for the flags not given
        small = {"num_genomes": 6, "augmentations": ["base", "all"], "surrogate": "convnet_standard",
                 "scale": SMOKE_SCALE, "best_k": 4, "clusters": 2}  # fmt: skip
        given = {name: flags.FLAGS[name].present for name in small}
        n, augs, surrogate, scale, best_k, clusters = (
            getattr(flags.FLAGS, name) if given[name] else value for name, value in small.items()
        )
    try:
        surrogate = fitness.canonical_name(surrogate)
    except ValueError as e:
        raise app.UsageError(f"--surrogate: {e}") from None
    unknown = [a for a in augs if a not in technique_names()]
    if unknown:
        raise app.UsageError(f"--augmentations: unknown {unknown}; known are {', '.join(technique_names())}")
    if "base" not in augs or "all" not in augs:
        raise app.UsageError("--augmentations must include base and all (for the scatter plot)")
    spec = data_spec(num_test=10)
    identity = {"surrogate": surrogate, "seed": _SEED.value, "scale": scale, "dataset": spec.name,
                **({"batch_size": batch} if batch else {})}  # fmt: skip
    with RunLock(_WORKDIR.value):
        path = os.path.join(_WORKDIR.value, "scores.jsonl")
        done = {}
        for r in read_results(path):
            differ = [
                f"{k}: file {r.get(k)}, command {v}" for k, v in identity.items() if k in r and r[k] != v
            ]
            if differ:
                fail(f"{path} holds another study ({'; '.join(differ)}); use another --workdir", 2)
            done[(r["index"], r["augmentation"])] = r["fitness"]
        genomes = sample_population(n, np.random.default_rng(_SEED.value))
        # Cross-entropy (index -1) is scored beside the random losses as a reference: the
        # level a loss that learns reaches (not part of the study's statistics).
        scored = [(-1, get_genome("cross_entropy")), *enumerate(genomes)]
        dataset, fits = None, {}
        with Progress(len(scored) * len(augs), "correlate", initial=len(done)) as progress:
            for aug in augs:
                for i, g in scored:
                    if (i, aug) in done:
                        continue
                    if aug not in fits:  # early stopping off: a rejected loss would have no score
                        dataset = dataset or spec.load()
                        fits[aug] = fitness.SurrogateFitness(
                            surrogate, dataset, scale, aug, threshold_scale=0.0, batch_size=batch
                        )
                    result = fits[aug].evaluate_one(g, seed=_SEED.value * 100003 + i)
                    done[(i, aug)] = result.fitness if result.fitness is not None else 0.0
                    record = {"index": i, "augmentation": aug, "hash": g.hash_hex, "fitness": done[(i, aug)]}
                    append_result(path, {**record, **identity})
                    name = "cross-entropy" if i < 0 else f"loss {i:4d}"
                    progress.line(f"{aug:8s} {name}: {done[(i, aug)]:.4f}")
                    progress.advance()
        scores = {aug: [done[(i, aug)] for i in range(n)] for aug in augs}
        out = {
            "kendall_all": {f"{a}|{b}": t for (a, b), t in kendall_matrix(scores).items()},
            f"kendall_best_{best_k}": {f"{a}|{b}": t for (a, b), t in kendall_matrix(scores, best_k).items()},
            "clusters": cluster_losses(scores, clusters).tolist(),
            "hashes": [g.hash_hex for g in genomes],
            "cross_entropy": {aug: done[(-1, aug)] for aug in augs},
        }
        with open(os.path.join(_WORKDIR.value, "correlation.json"), "w") as f:
            json.dump(out, f, indent=1)
        fig = Figure(figsize=(5, 5))
        ax = fig.add_subplot()
        ax.scatter(scores["base"], scores["all"], c=out["clusters"], cmap="tab10", s=12)
        ax.set_xlabel("fitness with base")
        ax.set_ylabel("fitness with all")
        fig.savefig(os.path.join(_WORKDIR.value, "scatter.png"), dpi=110)
        print("cross-entropy's fitness (best validation accuracy, 0-1): "
              + ", ".join(f"{a} {v:.4f}" for a, v in out["cross_entropy"].items()))  # fmt: skip
        print(f"Kendall's tau between two augmentations' rankings of the {n} losses (-1..1):")
        print(f"{'pair':20s}  {'all':>6}  {f'best {best_k}':>8}")
        for key, value in out["kendall_all"].items():
            print(f"{key:20s}  {value:+6.3f}  {out[f'kendall_best_{best_k}'][key]:+8.3f}")
        print(f"results in {_WORKDIR.value}/: scores.jsonl (every evaluation), correlation.json, scatter.png")


if __name__ == "__main__":
    run(main)
