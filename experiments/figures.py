r"""Figures of a search run (docs/reference.md §11): progress with the CE band, phenotypes of the best
losses against CE, and their 3-D surfaces and differences to CE.

  python experiments/figures.py --run_dir=runs/search --top=3 [--ce_results=runs/eval/results.jsonl]
"""

from __future__ import annotations

import os

from absl import app, flags
from common import run

_RUN = flags.DEFINE_string("run_dir", None, "A run directory of experiments/evolve.py.", required=True)
_OUT = flags.DEFINE_string("out", None, "Output directory (default: RUN_DIR/figures).")
_TOP = flags.DEFINE_integer("top", 3, "How many of the best losses to draw.", lower_bound=1)
_CE = flags.DEFINE_string("ce_results", None, "An evaluate results.jsonl with cross_entropy runs (CE band).")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    import numpy as np

    from lossevo.runs.outputs import write_run_figures
    from lossevo.store.jsonl import read_results

    band = None
    if _CE.value:
        ce = [
            r.get("accuracy", r.get("test_accuracy"))
            for r in read_results(_CE.value)
            if r["loss"] == "cross_entropy"
        ]
        if ce:
            band = (float(np.mean(ce)), float(np.std(ce)))
    out = _OUT.value or os.path.join(_RUN.value, "figures")
    write_run_figures(_RUN.value, out, _TOP.value, band)
    print(f"figures in {out}/")


if __name__ == "__main__":
    run(main)
