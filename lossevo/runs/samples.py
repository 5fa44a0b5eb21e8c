"""Random valid loss genomes written out with their formulas and phenotypes: the first step
of a search (docs/reference.md §2–3), what `experiments/sample_genomes.py` runs."""

from __future__ import annotations

import json
import os
import time

import numpy as np

from lossevo import figures, losses
from lossevo.space.graph import sampling, to_paper

NAMED = ("neuroloss1", "neuroloss2", "neuroloss3", "a2")  # drawn for contrast


def write_samples(
    workdir: str, num_genomes: int, seed: int = 0, plot_max: int = 8, dpi: int = 110
) -> list[str]:
    """Samples `num_genomes` valid graph genomes (numpy Generator of `seed`) and writes to
    `workdir`: `genomes.jsonl` (genome JSON, formula and hash per line), `phenotypes.png`
    (the first `plot_max` against cross-entropy), `genome_0.png` (the first genome drawn)
    and `named_losses.png` (`NAMED`). Returns the lines to print."""
    os.makedirs(workdir, exist_ok=True)
    stats = sampling.SampleStats()
    start = time.perf_counter()
    genomes = sampling.sample_population(num_genomes, np.random.default_rng(seed), stats)
    lines = [f"{len(genomes)} valid genomes from {stats.attempts} candidates in {time.perf_counter() - start:.2f}s; "
             f"rejected: {dict(stats.rejected.most_common())}"]  # fmt: skip
    path = os.path.join(workdir, "genomes.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i, g in enumerate(genomes):
            lines.append(f"[{i:3d}] {g.hash_hex}  {to_paper(g)}")
            f.write(json.dumps({"hash": g.hash_hex, "formula": to_paper(g), "genome": g.to_dict()}) + "\n")
    shown = {f"#{i}": g for i, g in enumerate(genomes[:plot_max])}
    figures.plot_phenotypes(shown).savefig(os.path.join(workdir, "phenotypes.png"), dpi=dpi)
    figures.draw_genome(genomes[0]).savefig(os.path.join(workdir, "genome_0.png"), dpi=dpi)
    named = {n: losses.get_genome(n) for n in NAMED}
    figures.plot_phenotypes(named).savefig(os.path.join(workdir, "named_losses.png"), dpi=dpi)
    return [*lines, f"wrote {path} and figures to {workdir}/"]
