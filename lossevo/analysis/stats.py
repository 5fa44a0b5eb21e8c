"""Results tables (docs/reference.md §11): mean ± std of test accuracy per loss, and Welch's one-sided
t-test of each loss's mean exceeding the baseline's (cross-entropy)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats


@dataclasses.dataclass(frozen=True)
class Row:
    loss: str
    n: int
    mean: float
    std: float
    p_value: float | None  # Welch, one-sided (mean > baseline's); None for the baseline


def compare_to_baseline(results: Mapping[str, Sequence[float]], baseline: str = "cross_entropy") -> list[Row]:
    """One row per loss, best mean first. `std` is the sample standard deviation (ddof=1)."""
    if baseline not in results:
        raise ValueError(f"baseline {baseline!r} is not among the results ({', '.join(results)})")
    base = np.asarray(results[baseline], float)
    rows = []
    for name, values in results.items():
        v = np.asarray(values, float)
        p = None
        if name != baseline:
            p = (
                float(stats.ttest_ind(v, base, equal_var=False, alternative="greater").pvalue)
                if len(v) > 1
                else None
            )
        rows.append(Row(name, len(v), float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0, p))
    return sorted(rows, key=lambda r: -r.mean)


def format_table(rows: Sequence[Row], scale: float = 100.0) -> str:
    """A plain-text table: loss, n, mean ± std (accuracy in %, with `scale` 100), p-value."""
    unit = "mean ± std (acc. %)" if scale == 100.0 else "mean ± std"
    lines = [f"{'loss':<28}{'n':>4}  {unit:>18}  {'p (> baseline)':>14}"]
    for r in rows:
        p = "—" if r.p_value is None else f"{r.p_value:.4f}"
        lines.append(f"{r.loss:<28}{r.n:>4}  {r.mean * scale:>9.3f} ±{r.std * scale:>6.3f}  {p:>14}")
    return "\n".join(lines)
