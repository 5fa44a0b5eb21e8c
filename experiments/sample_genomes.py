r"""Samples valid random loss genomes, prints their formulas and draws their phenotypes
(`lossevo.runs.samples`: the first step of a search, docs/reference.md §2–3).

  python experiments/sample_genomes.py --workdir=runs/demo --num_genomes=12 --seed=0

Writes `genomes.jsonl`, `phenotypes.png`, `genome_0.png` and `named_losses.png`.
"""

from __future__ import annotations

from common import F, define_all, run

define_all(
    {  # flag: (type, default, lower bound, help)
        "workdir": (str, "runs/demo", None, "Output directory."),
        "num_genomes": (int, 12, 1, "How many random genomes to sample."),
        "seed": (int, 0, None, "Seed of the numpy Generator."),
        "plot_max": (int, 8, 0, "At most this many genomes in the figure."),
    }
)


def main(argv: list[str]) -> None:
    from lossevo.runs.samples import write_samples

    print("\n".join(write_samples(F.workdir, F.num_genomes, F.seed, F.plot_max)))


if __name__ == "__main__":
    run(main)
