"""Run directories end to end: run a named setup (`run_search_setup`), write and read its
outputs (`write_outputs`, `load_run`, `best_candidates`, `write_run_figures`), and resolve
loss names, genome files and `run:DIR:K` (`resolve_losses`). The layer above the search,
fitness and figures; launchers and notebooks call it."""

from lossevo.runs.losses import resolve_losses
from lossevo.runs.outputs import OUTPUTS, write_outputs, write_run_figures
from lossevo.runs.rundir import Run, best_candidates, load_run
from lossevo.runs.search import Execution, run_search_setup

__all__ = [
    "OUTPUTS",
    "Execution",
    "Run",
    "best_candidates",
    "load_run",
    "resolve_losses",
    "run_search_setup",
    "write_outputs",
    "write_run_figures",
]
