r"""Figures of a search run (SPEC §11): progress with the CE band, phenotypes of the best
losses against CE, and their 3-D surfaces and differences to CE.

  python experiments/figures.py --run_dir=runs/search --top=3 [--ce_results=runs/eval/results.jsonl]
"""

from __future__ import annotations

import os

from absl import app, flags

_RUN = flags.DEFINE_string("run_dir", None, "A run directory of experiments/evolve.py.", required=True)
_OUT = flags.DEFINE_string("out", None, "Output directory (default: RUN_DIR/figures).")
_TOP = flags.DEFINE_integer("top", 3, "How many of the best losses to draw.", lower_bound=1)
_CE = flags.DEFINE_string("ce_results", None, "An evaluate results.jsonl with cross_entropy runs (CE band).")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    import json

    import numpy as np

    from lossevo import figures
    from lossevo.evolution import SearchConfig, run_search
    from lossevo.evolution.rundir import best_candidates, journal_path, read_results

    out = _OUT.value or os.path.join(_RUN.value, "figures")
    os.makedirs(out, exist_ok=True)
    with open(journal_path(_RUN.value)) as f:
        header = json.loads(f.readline())
    config = SearchConfig(**{**header["config"], "seeds": tuple(header["config"]["seeds"])})

    class Replay:  # a finished run is replayed from its journal; nothing is trained
        def __init__(self, name):
            self.name = name

        def evaluate(self, genomes, seeds):
            raise app.UsageError(
                f"{_RUN.value}: the run is not finished; resume it with experiments/evolve.py"
            )

    engine = run_search(_RUN.value, config, Replay(config.initial_fitness), Replay(config.fitness))
    band = None
    if _CE.value:
        ce = [r["test_accuracy"] for r in read_results(_CE.value) if r["loss"] == "cross_entropy"]
        if ce:
            band = (float(np.mean(ce)), float(np.std(ce)))
    figures.plot_progress(engine.history, band).savefig(os.path.join(out, "progress.png"), dpi=110)
    best = best_candidates(_RUN.value, _TOP.value)
    named = {f"{h[:8]} ({f:.3f})": g for h, (g, f) in best.items()}
    figures.plot_phenotypes(named).savefig(os.path.join(out, "phenotypes.png"), dpi=110)
    figures.plot_phenotypes(named, normalized=False).savefig(os.path.join(out, "phenotypes_raw.png"), dpi=110)
    for h, (g, _) in best.items():
        figures.plot_surface(g, title=h[:8]).savefig(os.path.join(out, f"surface_{h[:8]}.png"), dpi=90)
        figures.plot_surface(g, diff_to_ce=True, title=f"{h[:8]} - CE").savefig(
            os.path.join(out, f"surface_diff_{h[:8]}.png"), dpi=90
        )
    print(f"figures in {out}/")


if __name__ == "__main__":
    app.run(main)
