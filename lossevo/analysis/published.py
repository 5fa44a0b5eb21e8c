"""The papers' published results tables as data, and a comparison of measured runs against them.

Paper "002" is Morgan & Hougen, *Neural Loss Function Evolution for Large-Scale Image Classifier
CNNs* (Tables 4, 8, 9, 10, 11); paper "000" is Morgan & Hougen, *Evolving Loss Functions for
Specific Image Augmentation Techniques* (Tables 5, 6). Every figure is test accuracy in percent,
mean ± standard deviation over the caption's number of runs, exactly as printed (Table 002/4 holds
the ConvNet surrogate's validation accuracy). Cells that are blank in a paper have no row; cells left
out because they are doubtful are listed in `OMITTED`. How each table's p-values were computed is in
`P_VALUE_NOTES`. This module depends on numpy, scipy and the standard library only.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from lossevo.analysis.published_tables import DATA, OMITTED, P_VALUE_NOTES


@dataclasses.dataclass(frozen=True)
class PublishedResult:
    """One published cell: a loss's mean ± std accuracy in one table setting.

    Attributes:
        paper: "002" or "000".
        table: Table id, "<paper>/<number>", e.g. "002/4".
        loss: lossevo loss registry name.
        model: lossevo model registry name.
        dataset: Dataset name, e.g. "cifar10".
        augmentation: Augmentation technique, e.g. "cutout", "randaug_progressive".
        setting: Anything else about the run ("fine-tuning from ImageNet"); "" when none.
        mean: Mean accuracy in percent, as printed.
        std: Standard deviation in percent, as printed.
        runs: Number of independent runs.
        p_value: The printed p-value (the bound for "p < 0.001"), None when none is printed.
        p_sided: "one-sided", "two-sided", or "" when there is no p-value.
        p_relation: "=" for "p = x", "<" for "p < x", "" when there is no p-value.
    """

    paper: str
    table: str
    loss: str
    model: str
    dataset: str
    augmentation: str
    setting: str
    mean: float
    std: float
    runs: int
    p_value: float | None = None
    p_sided: str = ""
    p_relation: str = ""

    def __post_init__(self) -> None:
        if self.paper not in ("000", "002") or not self.table.startswith(self.paper + "/"):
            raise ValueError(f"bad paper/table {self.paper!r}/{self.table!r}")
        if self.runs < 1 or self.std < 0 or not 0 <= self.mean <= 100:
            raise ValueError(f"bad figures in {self}")
        if self.p_sided not in ("", "one-sided", "two-sided") or self.p_relation not in ("", "=", "<"):
            raise ValueError(f"bad p-value description in {self}")
        if (self.p_value is None) != (self.p_sided == "") or (self.p_value is None) != (
            self.p_relation == ""
        ):
            raise ValueError(f"p_value, p_sided and p_relation must be given together in {self}")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Measured runs of one loss against the published row for it.

    Attributes:
        loss: Loss name.
        n: Number of measured runs.
        mean: Measured mean accuracy in percent.
        std: Measured standard deviation in percent (ddof=1); None with fewer than 2 runs.
        published: The published row, or None when the paper has none for this loss.
        difference: Measured mean minus published mean, in percent; None without a published row.
        p_value: Two-sided Welch's t-test p-value of the difference; None with fewer than 2 runs
            or without a published row.
        verdict: "reproduced", "higher than published", "lower than published",
            "no published figure" or "too few runs".
    """

    loss: str
    n: int
    mean: float
    std: float | None
    published: PublishedResult | None
    difference: float | None
    p_value: float | None
    verdict: str


_CELL = re.compile(r"^(\d+\.\d+)±(\d+\.\d+)(?: p([=<])(\d*\.\d+))?$")


def _build() -> dict[str, tuple[PublishedResult, ...]]:
    tables: dict[str, list[PublishedResult]] = {}
    for table, shared, columns, rows in DATA:
        for loss, *cells in rows:
            for column, cell in zip(columns, cells, strict=True):
                if cell is None:
                    continue
                m = _CELL.match(cell)
                if m is None:
                    raise ValueError(f"bad cell {cell!r} in table {table}")
                fields = {"setting": "", **shared, **column}
                sided = fields.pop("p_sided", "")
                result = PublishedResult(
                    paper=table.split("/")[0],
                    table=table,
                    loss=loss,
                    mean=float(m[1]),
                    std=float(m[2]),
                    p_value=float(m[4]) if m[4] else None,
                    p_sided=sided if m[3] else "",
                    p_relation=m[3] or "",
                    **fields,
                )
                tables.setdefault(table, []).append(result)
    return {name: tuple(rows) for name, rows in tables.items()}


TABLES: dict[str, tuple[PublishedResult, ...]] = _build()
"""Every encoded table, keyed by table id ("002/4", ..., "000/6")."""


def get_table(name: str) -> tuple[PublishedResult, ...]:
    """Returns the rows of one table.

    Raises:
        ValueError: For an unknown table id; the message lists the known ids.
    """
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}")
    return TABLES[name]


def find(
    loss: str | None = None,
    model: str | None = None,
    dataset: str | None = None,
    augmentation: str | None = None,
    table: str | None = None,
    setting: str | None = None,
) -> list[PublishedResult]:
    """Returns the published rows matching every filter given (None matches anything)."""
    rows = get_table(table) if table is not None else [r for t in TABLES.values() for r in t]
    wanted = dict(loss=loss, model=model, dataset=dataset, augmentation=augmentation, setting=setting)
    return [r for r in rows if all(v is None or getattr(r, k) == v for k, v in wanted.items())]


def to_dict(result: PublishedResult) -> dict[str, Any]:
    """Returns a JSON-ready dict of one row; `from_dict` inverts it exactly."""
    return dataclasses.asdict(result)


def from_dict(data: Mapping[str, Any]) -> PublishedResult:
    """Builds a row from `to_dict`'s output.

    Raises:
        ValueError: When keys are missing or unexpected.
    """
    names = [f.name for f in dataclasses.fields(PublishedResult)]
    if set(data) != set(names):
        raise ValueError(f"expected keys {names}, got {sorted(data)}")
    p = data["p_value"]
    numbers = {"mean": float(data["mean"]), "std": float(data["std"]), "runs": int(data["runs"])}
    return PublishedResult(**{**data, **numbers, "p_value": None if p is None else float(p)})


def to_json(table: str | Iterable[PublishedResult]) -> str:
    """Serialises a whole table (given by id or as rows) to a JSON list of row dicts."""
    rows = get_table(table) if isinstance(table, str) else tuple(table)
    return json.dumps([to_dict(r) for r in rows], indent=1)


def from_json(text: str) -> tuple[PublishedResult, ...]:
    """Inverts `to_json`."""
    return tuple(from_dict(d) for d in json.loads(text))


def compare(
    measured: Mapping[str, Sequence[float]],
    table: str,
    *,
    model: str | None = None,
    dataset: str | None = None,
    augmentation: str | None = None,
    setting: str | None = None,
    alpha: float = 0.05,
) -> list[Comparison]:
    """Compares measured test accuracies with one published setting, loss by loss.

    Args:
        measured: Loss name -> test accuracies of independent runs, as fractions in [0, 1].
        table: Table id, e.g. "002/8".
        model, dataset, augmentation, setting: Filters that pick the published setting; needed
            wherever the table holds more than one row per loss.
        alpha: Significance level of the two-sided Welch's t-test.

    Returns:
        One `Comparison` per measured loss, in the order given.

    Raises:
        ValueError: For an unknown table, filters matching no row, more than one published row
            for a loss, accuracies outside [0, 1], an empty run list, or alpha outside (0, 1).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    filters = {"model": model, "dataset": dataset, "augmentation": augmentation, "setting": setting}
    rows = find(table=table, **filters)
    if not rows:
        given = ", ".join(f"{k}={v!r}" for k, v in filters.items() if v is not None)
        raise ValueError(f"no row of table {table} matches {given}")
    out = []
    for loss, values in measured.items():
        v = np.asarray(values, dtype=float)
        if v.size == 0 or not np.all((v >= 0) & (v <= 1)):
            raise ValueError(f"{loss}: expected a non-empty list of accuracies in [0, 1], got {list(values)}")
        v = v * 100.0
        mean, std = float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else None
        hits = [r for r in rows if r.loss == loss]
        if len(hits) > 1:
            options = "; ".join(
                f"model={r.model}, dataset={r.dataset}, augmentation={r.augmentation}, setting={r.setting!r}"
                for r in hits
            )
            raise ValueError(
                f"{len(hits)} rows of table {table} match loss {loss!r} ({options}); "
                "narrow them with model, dataset, augmentation or setting"
            )
        pub = hits[0] if hits else None
        diff = p = None
        if pub is None:
            verdict = "no published figure"
        else:
            diff = mean - pub.mean
            if std is None:
                verdict = "too few runs"
            else:
                p = float(
                    stats.ttest_ind_from_stats(
                        mean, std, v.size, pub.mean, pub.std, pub.runs, equal_var=False
                    ).pvalue
                )
                if p >= alpha:
                    verdict = "reproduced"
                else:
                    verdict = "higher than published" if diff > 0 else "lower than published"
        out.append(Comparison(loss, int(v.size), mean, std, pub, diff, p, verdict))
    return out


def format_comparison(rows: Sequence[Comparison]) -> str:
    """Returns a plain-text table: loss, n, measured and published mean ± std, difference, p, verdict."""

    def p_text(p: float | None) -> str:
        if p is None or math.isnan(p):
            return "—"
        return "<0.001" if p < 0.001 else f"{p:.3f}"

    header = ("loss", "n", "measured (acc. %)", "published (runs)", "difference (pp)", "p", "verdict")
    lines = [header]
    for r in rows:
        measured = f"{r.mean:.3f} ± {r.std:.3f}" if r.std is not None else f"{r.mean:.3f}"
        pub = r.published
        published = f"{pub.mean:.3f} ± {pub.std:.3f} ({pub.runs})" if pub is not None else "—"
        diff = f"{r.difference:+.3f}" if r.difference is not None else "—"
        lines.append((r.loss, str(r.n), measured, published, diff, p_text(r.p_value), r.verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


__all__ = [
    "OMITTED",
    "P_VALUE_NOTES",
    "TABLES",
    "Comparison",
    "PublishedResult",
    "compare",
    "find",
    "format_comparison",
    "from_dict",
    "from_json",
    "get_table",
    "to_dict",
    "to_json",
]
