"""Analysis: result tables with Welch's t-test, rank correlation and clustering, the
elimination protocols and the final evaluation (both resumable from results files)."""

from lossevo.analysis.correlation import cluster_losses, kendall_matrix
from lossevo.analysis.elimination import (
    PROTOCOLS,
    Round,
    RoundResult,
    eliminate,
    round_trainer,
    run_elimination,
)
from lossevo.analysis.evaluation import evaluate_losses
from lossevo.analysis.stats import Row, compare_to_baseline, format_table

__all__ = [
    "PROTOCOLS",
    "Round",
    "RoundResult",
    "Row",
    "cluster_losses",
    "compare_to_baseline",
    "eliminate",
    "evaluate_losses",
    "format_table",
    "kendall_matrix",
    "round_trainer",
    "run_elimination",
]
