"""Analysis: result tables with Welch's t-test, the papers' published results as data,
rank correlation and clustering, the elimination protocols and the final evaluation (both
resumable from results files)."""

from lossevo.analysis import published, reproduce
from lossevo.analysis.correlation import cluster_losses, kendall_matrix
from lossevo.analysis.elimination import (
    PROTOCOLS,
    Protocol,
    Round,
    RoundResult,
    eliminate,
    get_protocol,
    round_recipe,
    round_trainer,
    run_elimination,
)
from lossevo.analysis.evaluation import FINAL_PROTOCOLS, evaluate_losses, with_test_as_validation
from lossevo.analysis.stats import Row, compare_to_baseline, format_table

__all__ = [
    "FINAL_PROTOCOLS",
    "PROTOCOLS",
    "Protocol",
    "Round",
    "RoundResult",
    "Row",
    "cluster_losses",
    "compare_to_baseline",
    "eliminate",
    "evaluate_losses",
    "format_table",
    "get_protocol",
    "kendall_matrix",
    "published",
    "reproduce",
    "round_recipe",
    "round_trainer",
    "run_elimination",
    "with_test_as_validation",
]
