"""Analysis: result tables with Welch's t-test, rank correlation and clustering, the
elimination protocols."""

from lossevo.analysis.correlation import cluster_losses, kendall_matrix
from lossevo.analysis.elimination import PROTOCOLS, Round, eliminate
from lossevo.analysis.stats import Row, compare_to_baseline, format_table

__all__ = [
    "PROTOCOLS",
    "Round",
    "Row",
    "cluster_losses",
    "compare_to_baseline",
    "eliminate",
    "format_table",
    "kendall_matrix",
]
