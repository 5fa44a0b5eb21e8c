r"""Samples valid random loss genomes, prints their formulas and draws their phenotypes.

The first step of a search (docs/reference.md §2–3), and the README's offline main job for now:

  python experiments/sample_genomes.py --workdir=runs/demo --num_genomes=12 --seed=0

Writes to --workdir: `genomes.jsonl` (one genome JSON per line, with its formula and
hash), `phenotypes.png` (their binary phenotypes against cross-entropy), `genome_0.png`
(a drawing of the first genome) and `named_losses.png` (NeuroLoss1–3 and A2 for contrast).
"""

from __future__ import annotations

import json
import os
import time

from absl import app, flags
from common import run

_WORKDIR = flags.DEFINE_string("workdir", "runs/demo", "Output directory.")
_NUM = flags.DEFINE_integer("num_genomes", 12, "How many random genomes to sample.", lower_bound=1)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the numpy Generator.")
_PLOT = flags.DEFINE_integer("plot_max", 8, "At most this many genomes in the figure.", lower_bound=0)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    import numpy as np

    from lossevo import figures, losses
    from lossevo.space.graph import sampling, to_paper

    os.makedirs(_WORKDIR.value, exist_ok=True)
    rng = np.random.default_rng(_SEED.value)
    stats = sampling.SampleStats()
    start = time.perf_counter()
    genomes = sampling.sample_population(_NUM.value, rng, stats)
    seconds = time.perf_counter() - start
    print(
        f"{len(genomes)} valid genomes from {stats.attempts} candidates in {seconds:.2f}s; "
        f"rejected: {dict(stats.rejected.most_common())}"
    )
    path = os.path.join(_WORKDIR.value, "genomes.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i, g in enumerate(genomes):
            print(f"[{i:3d}] {g.hash_hex}  {to_paper(g)}")
            f.write(json.dumps({"hash": g.hash_hex, "formula": to_paper(g), "genome": g.to_dict()}) + "\n")
    shown = {f"#{i}": g for i, g in enumerate(genomes[: _PLOT.value])}
    figures.plot_phenotypes(shown).savefig(os.path.join(_WORKDIR.value, "phenotypes.png"), dpi=110)
    figures.draw_genome(genomes[0]).savefig(os.path.join(_WORKDIR.value, "genome_0.png"), dpi=110)
    named = {n: losses.get_genome(n) for n in ("neuroloss1", "neuroloss2", "neuroloss3", "a2")}
    figures.plot_phenotypes(named).savefig(os.path.join(_WORKDIR.value, "named_losses.png"), dpi=110)
    print(f"wrote {path} and figures to {_WORKDIR.value}/")


if __name__ == "__main__":
    run(main)
