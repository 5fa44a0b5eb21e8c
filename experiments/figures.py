r"""Figures of a search run (docs/reference.md §11): progress with the CE band, phenotypes of the best
losses against CE, and their 3-D surfaces and differences to CE (`lossevo.runs.write_run_figures`).

  python experiments/figures.py --run_dir=runs/search --top=3 [--ce_results=runs/eval/results.jsonl]
"""

from __future__ import annotations

import os

from absl import flags
from common import F, define_all, run

flags.DEFINE_string("run_dir", None, "A run directory of experiments/evolve.py.", required=True)
define_all(
    {  # flag: (type, default, lower bound, help)
        "out": (str, None, None, "Output directory (default: RUN_DIR/figures)."),
        "top": (int, 3, 1, "How many of the best losses to draw."),
        "ce_results": (str, None, None, "An evaluate results.jsonl with cross_entropy runs (CE band)."),
    }
)


def main(argv):
    from lossevo.runs.outputs import ce_band, write_run_figures

    out = F.out or os.path.join(F.run_dir, "figures")
    write_run_figures(F.run_dir, out, F.top, ce_band(F.ce_results) if F.ce_results else None)
    print(f"figures in {out}/")


if __name__ == "__main__":
    run(main)
