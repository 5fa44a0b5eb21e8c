"""Search progress (paper 002 Fig. 4): best, mean and median population fitness per
iteration, the best ever found so far (the population's best can age out; `best.json`
holds the best ever), with an optional cross-entropy band (mean ± std of CE's fitness)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure


def plot_progress(history: Sequence[dict], ce_band: tuple[float, float] | None = None) -> Figure:
    """`history`: the engine's rows (iteration, best, mean, median, ...)."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    x = [row["iteration"] + 1 for row in history]
    best = [row["best"] for row in history]
    ever = [max(best[: i + 1]) for i in range(len(best))]
    ax.plot(x, ever, "-", linewidth=2, label="best ever")
    ax.plot(x, best, "-", linewidth=1, label="population best")
    for key, style in (("median", "--"), ("mean", ":")):
        ax.plot(x, [row[key] for row in history], style, label=key)
    if ce_band is not None:
        mean, std = ce_band
        ax.axhspan(mean - std, mean + std, color="grey", alpha=0.25, label="cross-entropy ± std")
    ax.set_xlabel("iteration")
    ax.set_ylabel("fitness (best validation accuracy)")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig
