"""What a finished search leaves in its run directory besides the journal.

- `population.jsonl`: the final population, best first (fitness, age, hash, formula, genome);
- `best.json`: the best loss ever evaluated with the search's fitness (from the journal, as
  `best_candidates` reads it: a loss that aged out of the population still counts), with the
  final population's best beside it; no `best.json` when no candidate passed;
- `progress.png`: best, median and mean fitness per iteration;
- `best_phenotypes.png`: the best five losses on the binary grid, against cross-entropy.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from lossevo.figures import plot_phenotypes, plot_progress, plot_surface
from lossevo.runs.rundir import best_candidates, load_run
from lossevo.store.errors import RunDirectoryError
from lossevo.store.jsonl import read_results

OUTPUTS = ("population.jsonl", "best.json", "progress.png", "best_phenotypes.png")
TENSORBOARD = "tb"


def check_output_paths(workdir: str, tensorboard: bool = True) -> None:
    """Raises `RunDirectoryError` when a file the search writes into `workdir` is taken by
    something that is not a file (a directory named `best.json`), or `tb/` by a file:
    checked before the search starts, not found after it ran."""
    for name in OUTPUTS:  # the journal's own check says "not a journal file"
        path = os.path.join(workdir, name)
        if os.path.lexists(path) and not os.path.isfile(path):
            raise RunDirectoryError(f"{path} is not a file, but the search writes its {name} there: move it "
                                    "away, or use another run directory")  # fmt: skip
    tb = os.path.join(workdir, TENSORBOARD)
    if tensorboard and os.path.lexists(tb) and not os.path.isdir(tb):
        raise RunDirectoryError(f"{tb} is not a directory, but the search writes its TensorBoard scalars "
                                "there: move it away, or use another run directory")  # fmt: skip


def member_record(member: Any) -> dict[str, Any]:
    return {"candidate": member.candidate_id, "fitness": member.fitness, "age": member.age,
            "hash": member.genome.hash_hex, "formula": member.genome.to_paper(),
            "genome": member.genome.to_dict()}  # fmt: skip


def _best_record(best: dict[str, tuple[Any, float]]) -> dict[str, Any] | None:
    """The first of `best_candidates`' losses as `{"fitness", "hash", "formula", "genome"}`,
    or None when there is none."""
    if not best:
        return None
    h, (genome, fitness) = next(iter(best.items()))
    return {"fitness": fitness, "hash": h, "formula": genome.to_paper(), "genome": genome.to_dict()}


def best_ever(workdir: str) -> dict[str, Any] | None:
    """The best loss of the run directory's journal (`best_candidates`), or None when no
    candidate passed: `{"fitness", "hash", "formula", "genome"}`."""
    return _best_record(best_candidates(workdir, 1))


def summary_lines(workdir: str, engine: Any, best: dict[str, Any] | None) -> list[str]:
    """What a finished search reports: the best loss ever found (`best`, from `best_ever`),
    the final population's best when the best ever aged out, and the iterations run."""
    lines = []
    if best is not None:
        lines.append(f"best fitness {best['fitness']:.4f} (the best ever found): {best['formula']}")
        final = engine.best()
        if final.genome.hash_hex != best["hash"]:
            lines.append(f"the final population's best: {final.fitness:.4f} (the best ever aged out)")
    skipped = engine.skipped_iterations
    lines.append(f"{len(engine.history)} iterations ({skipped} skipped); results in {workdir}/")
    return lines


def write_outputs(workdir: str, engine: Any, dpi: int = 110) -> dict[str, Any] | None:
    """Writes the files above from a finished engine; returns the best ever (`best_ever`),
    None when no candidate passed (then no `best.json`)."""
    members = sorted((m for m in engine.population if math.isfinite(m.fitness)), key=lambda m: -m.fitness)
    with open(os.path.join(workdir, "population.jsonl"), "w") as f:
        for m in members:
            f.write(json.dumps(member_record(m)) + "\n")
    top = best_candidates(workdir, 5)  # one read of the journal for best.json and the figure
    best = _best_record(top)
    stale = os.path.join(workdir, "best.json")
    if best is None:
        if os.path.exists(stale):
            os.remove(stale)
    else:
        final = {"fitness": members[0].fitness, "hash": members[0].genome.hash_hex} if members else None
        with open(stale, "w") as f:
            json.dump({**best, "final_population_best": final}, f, indent=1)
    plot_progress(engine.history).savefig(os.path.join(workdir, "progress.png"), dpi=dpi)
    best_five = {f"#{i} {f:.3f}": g for i, (g, f) in enumerate(top.values())}
    if best_five:
        plot_phenotypes(best_five).savefig(os.path.join(workdir, "best_phenotypes.png"), dpi=dpi)
    return best


def ce_band(results_path: str, loss: str = "cross_entropy") -> tuple[float, float] | None:
    """Mean and standard deviation of `loss`'s accuracies in an evaluation's results file
    (`experiments/evaluate.py`'s `results.jsonl`), or None when it has no run of it."""
    runs = [
        r.get("accuracy", r.get("test_accuracy")) for r in read_results(results_path) if r["loss"] == loss
    ]
    return (float(np.mean(runs)), float(np.std(runs))) if runs else None


def write_run_figures(run_dir: str, out: str, top: int = 3, ce_band: tuple[float, float] | None = None,
                      dpi: int = 110) -> list[str]:  # fmt: skip
    """The figures of a run directory (docs/reference.md §11), read-only (a running search's so far):
    progress (with a CE band: `ce_band`), the best `top` losses' phenotypes (normalised and
    raw) and their 3-D surfaces and differences to CE. Returns the files written."""
    run = load_run(run_dir)
    os.makedirs(out, exist_ok=True)
    written = []

    def save(figure, name: str, resolution: int = dpi) -> None:
        figure.savefig(os.path.join(out, name), dpi=resolution)
        written.append(name)

    save(plot_progress(run.engine.history, ce_band), "progress.png")
    best = run.best(top)
    named = {f"{h[:8]} ({f:.3f})": g for h, (g, f) in best.items()}
    save(plot_phenotypes(named), "phenotypes.png")
    save(plot_phenotypes(named, normalized=False), "phenotypes_raw.png")
    for h, (g, _) in best.items():
        save(plot_surface(g, title=h[:8]), f"surface_{h[:8]}.png", 90)
        save(plot_surface(g, diff_to_ce=True, title=f"{h[:8]} - CE"), f"surface_diff_{h[:8]}.png", 90)
    return written
