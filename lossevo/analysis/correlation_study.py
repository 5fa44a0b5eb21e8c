"""Paper 000 §3.1's study as a resumable run: random losses × augmentation techniques on one
surrogate, Kendall's tau between techniques (over all losses and over each pair's best K),
average-linkage clusters, and a scatter of base against all (`correlation`).

    study = CorrelationStudy()                      # the paper's: 1,000 losses, 5 techniques
    result = run_correlation(study, DataSpec("cifar10"), "runs/corr")
    result = run_correlation(smoke_study(), data.spec.synthetic(), "runs/corr_small")

Every score is appended to `scores.jsonl` as it finishes, with the study's identity; a
rerun skips what is there, and a file of another study is refused. Cross-entropy is scored
beside the random losses (index -1) as a reference, not part of the statistics.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, TextIO

import numpy as np
from matplotlib.figure import Figure

from lossevo import seeds
from lossevo.analysis.correlation import cluster_losses, kendall_matrix
from lossevo.data.pipelines import technique_names
from lossevo.data.spec import DataSpec
from lossevo.fitness.plans import canonical_name
from lossevo.fitness.surrogates import SurrogateFitness
from lossevo.losses import get_genome
from lossevo.progress import Progress
from lossevo.space.graph.sampling import sample_population
from lossevo.store.lock import RunLock
from lossevo.store.results import ResultsFile
from lossevo.training.smoke import SMOKE_BATCH, SMOKE_SCALE

SCORES, RESULT, SCATTER = "scores.jsonl", "correlation.json", "scatter.png"


@dataclasses.dataclass(frozen=True)
class CorrelationStudy:
    """The study's settings (paper 000 §3.1 by default).

    Attributes:
      num_genomes: random losses. augmentations: techniques (base and all among them).
      surrogate: the surrogate that scores them. best_k: the best-K intersection of the
      second tau. clusters: average-linkage clusters. seed: of the random losses and their
      evaluations. scale: training-step multiplier. batch_size: None: the surrogate's.
    """

    num_genomes: int = 1000
    augmentations: tuple[str, ...] = ("base", "cutout", "mixup", "randaug", "all")
    surrogate: str = "resnet9v2_6m"
    best_k: int = 50
    clusters: int = 4
    seed: int = 0
    scale: float = 1.0
    batch_size: int | None = None

    def validate(self) -> CorrelationStudy:
        """Raises `ValueError` naming the bad setting; returns the study with the
        surrogate's canonical name."""
        unknown = [a for a in self.augmentations if a not in technique_names()]
        if unknown:
            raise ValueError(f"augmentations: unknown {unknown}; known are {', '.join(technique_names())}")
        if "base" not in self.augmentations or "all" not in self.augmentations:
            raise ValueError("augmentations must include base and all (for the scatter plot)")
        if self.num_genomes < 2 or self.best_k < 2 or self.clusters < 1 or self.scale <= 0:
            raise ValueError("num_genomes and best_k must be at least 2, clusters at least 1, scale positive")
        return dataclasses.replace(self, surrogate=canonical_name(self.surrogate))

    def identity(self, dataset: str) -> dict[str, Any]:
        """What each score record carries, so that a file of another study is refused."""
        return {"surrogate": self.surrogate, "seed": self.seed, "scale": self.scale, "dataset": dataset,
                **({"batch_size": self.batch_size} if self.batch_size else {})}  # fmt: skip


def smoke_study(**overrides: Any) -> CorrelationStudy:
    """The CPU smoke run (`correlate --small`): 6 losses, base and all, the ConvNet at smoke
    sizes (`training.smoke`), best 4, 2 clusters; `overrides` for settings given."""
    small = {"num_genomes": 6, "augmentations": ("base", "all"), "surrogate": "convnet_standard",
             "scale": SMOKE_SCALE, "best_k": 4, "clusters": 2, "batch_size": SMOKE_BATCH}  # fmt: skip
    return CorrelationStudy(**{**small, **overrides})


def run_correlation(study: CorrelationStudy, spec: DataSpec, workdir: str, stream: TextIO | None = None,
                    dpi: int = 110) -> dict[str, Any]:  # fmt: skip
    """Runs (or resumes) `study` on `spec` in `workdir` (locked); writes `scores.jsonl`,
    `correlation.json` and `scatter.png` and returns the result (`correlation.json`'s)."""
    study = study.validate()
    identity = study.identity(spec.name)
    augs, n = list(study.augmentations), study.num_genomes
    with RunLock(workdir):
        scores_file = ResultsFile(os.path.join(workdir, SCORES), identity)  # refuses another study's file
        done = scores_file.done(("index", "augmentation"), "fitness")
        genomes = sample_population(n, np.random.default_rng(study.seed))
        scored = [(-1, get_genome("cross_entropy")), *enumerate(genomes)]
        dataset, fits = None, {}
        with Progress(len(scored) * len(augs), "correlate", stream, initial=len(done)) as progress:
            for aug in augs:
                for i, g in scored:
                    if (i, aug) in done:
                        continue
                    if aug not in fits:  # early stopping off: a rejected loss would have no score
                        dataset = dataset or spec.load()
                        fits[aug] = SurrogateFitness(study.surrogate, dataset, study.scale, aug, threshold_scale=0.0,
                                                     batch_size=study.batch_size)  # fmt: skip
                    result = fits[aug].evaluate_one(g, seed=seeds.correlation_seed(study.seed, i))
                    done[(i, aug)] = result.fitness if result.fitness is not None else 0.0
                    scores_file.append(
                        {"index": i, "augmentation": aug, "hash": g.hash_hex, "fitness": done[(i, aug)]}
                    )
                    name = "cross-entropy" if i < 0 else f"loss {i:4d}"
                    progress.line(f"{aug:8s} {name}: {done[(i, aug)]:.4f}")
                    progress.advance()
        scores = {aug: [done[(i, aug)] for i in range(n)] for aug in augs}
        k = study.best_k
        out = {
            "kendall_all": {f"{a}|{b}": t for (a, b), t in kendall_matrix(scores).items()},
            f"kendall_best_{k}": {f"{a}|{b}": t for (a, b), t in kendall_matrix(scores, k).items()},
            "clusters": cluster_losses(scores, study.clusters).tolist(),
            "hashes": [g.hash_hex for g in genomes],
            "cross_entropy": {aug: done[(-1, aug)] for aug in augs},
        }
        with open(os.path.join(workdir, RESULT), "w") as f:
            json.dump(out, f, indent=1)
        fig = Figure(figsize=(5, 5))
        ax = fig.add_subplot()
        ax.scatter(scores["base"], scores["all"], c=out["clusters"], cmap="tab10", s=12)
        ax.set_xlabel("fitness with base")
        ax.set_ylabel("fitness with all")
        fig.savefig(os.path.join(workdir, SCATTER), dpi=dpi)
    return out


def report_lines(study: CorrelationStudy, result: dict[str, Any], workdir: str) -> list[str]:
    """What `correlate` prints: CE's reference, a tau table with its header, where it wrote."""
    k = study.best_k
    lines = ["cross-entropy's fitness (best validation accuracy, 0-1): "
             + ", ".join(f"{a} {v:.4f}" for a, v in result["cross_entropy"].items()),
             f"Kendall's tau between two augmentations' rankings of the {study.num_genomes} losses (-1..1):",
             f"{'pair':20s}  {'all':>6}  {f'best {k}':>8}"]  # fmt: skip
    for key, value in result["kendall_all"].items():
        lines.append(f"{key:20s}  {value:+6.3f}  {result[f'kendall_best_{k}'][key]:+8.3f}")
    lines.append(f"results in {workdir}/: {SCORES} (every evaluation), {RESULT}, {SCATTER}")
    return lines
