"""Search progress (paper 002 Fig. 4): best, mean and median population fitness per
iteration, the best ever found so far (the population's best can age out; `best.json`
holds the best ever), with an optional cross-entropy band (mean ± std of CE's fitness)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure


def plot_progress(history: Sequence[dict], ce_band: tuple[float, float] | None = None) -> Figure:
    """`history`: the engine's rows (iteration, best, mean, median, ...), in the order they
    finished. A synchronous search finishes its iterations in order and is drawn against
    them; a steady-state one (threads, Ray) finishes children out of order, and is drawn
    against the count of iterations finished, which is monotone (the x-axis says which).
    With few iterations every point is marked (one iteration is one point, not an empty
    line)."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    numbers = [row["iteration"] + 1 for row in history]
    in_order = numbers == sorted(numbers)
    x = numbers if in_order else list(range(1, len(history) + 1))
    marker = "o" if len(history) <= 30 else None
    best = [row["best"] for row in history]
    ever = [max(best[: i + 1]) for i in range(len(best))]
    ax.plot(x, ever, "-", linewidth=2, marker=marker, label="best ever")
    ax.plot(x, best, "-", linewidth=1, marker=marker, markersize=4, label="population best")
    for key, style in (("median", "--"), ("mean", ":")):
        ax.plot(x, [row[key] for row in history], style, marker=marker, markersize=3, label=key)
    if ce_band is not None:
        mean, std = ce_band
        ax.axhspan(mean - std, mean + std, color="grey", alpha=0.25, label="cross-entropy ± std")
    ax.set_xlabel(
        "iteration" if in_order else "iterations finished (steady state: in the order they finished)"
    )
    ax.set_ylabel("fitness (best validation accuracy)")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig
