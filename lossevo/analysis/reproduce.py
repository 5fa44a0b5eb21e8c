"""Named reproductions of the papers' results tables: what to train, how, and which
published figures to hold the runs against (`lossevo.analysis.published`).

    python experiments/evaluate.py --workdir=runs/table4 --reproduce=002_table4 --dataset=cifar10

A reproduction fixes the recipe, the losses, the number of runs, the final-evaluation
protocol and the published table (with the filters that pick its setting); the launcher
adds the dataset and the run directory, and prints each measured mean ± std beside the
paper's with Welch's test of the difference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lossevo.analysis import published
from lossevo.analysis.stats import compare_to_baseline, format_table


@dataclasses.dataclass(frozen=True)
class Reproduction:
    """One published setting to reproduce.

    Attributes:
      name: registry key.
      recipe: the training recipe.
      losses: registry names of the losses in the table.
      runs: runs per loss, as published.
      protocol: a key of `evaluation.FINAL_PROTOCOLS`.
      table: a table id of `published.TABLES`.
      filters: `published.compare` filters that pick the setting (model, dataset, ...).
      baseline: the loss the table's own test compares with.
      description: what the table reports.
    """

    name: str
    recipe: str
    losses: tuple[str, ...]
    runs: int
    protocol: str
    table: str
    filters: tuple[tuple[str, Any], ...] = ()
    baseline: str = "cross_entropy"
    description: str = ""


REPRODUCTIONS: dict[str, Reproduction] = {
    r.name: r
    for r in (
        Reproduction(
            "002_table4",
            "convnet_standard",
            ("bessel", "neuroloss1", "neuroloss2", "neuroloss3", "cross_entropy"),
            30,
            "best_val",
            "002/4",
            (("model", "convnet"),),
            description="paper 002 Table 4: the ConvNet surrogate (convnet_standard, 8,000 steps) on CIFAR-10, "
            "30 runs, best validation accuracy",
        ),
    )
}


def get_reproduction(name: str) -> Reproduction:
    if name not in REPRODUCTIONS:
        raise ValueError(f"unknown reproduction {name!r}; known: {', '.join(REPRODUCTIONS)}")
    return REPRODUCTIONS[name]


def report(
    results: dict[str, list[float]],
    baseline: str = "cross_entropy",
    table: str | None = None,
    filters: dict[str, Any] | None = None,
    dataset: str | None = None,
) -> str:
    """The results table (mean ± std, Welch's one-sided test against `baseline`) and, with
    a published `table`, each measured mean ± std beside the paper's with Welch's two-sided
    test of the difference and a verdict. `dataset` picks the table's rows for that dataset
    when the table has any (offline stand-ins such as "synthetic" compare with all rows
    the filters leave)."""
    text = format_table(compare_to_baseline(results, baseline))
    if table is None:
        return text
    filters = dict(filters or {})
    if dataset is not None and dataset in {r.dataset for r in published.get_table(table)}:
        filters.setdefault("dataset", dataset)
    rows = published.compare(results, table, **filters)
    return (
        f"{text}\n\nAgainst the published figures (table {table}; Welch's two-sided test of the "
        f"difference):\n{published.format_comparison(rows)}"
    )
