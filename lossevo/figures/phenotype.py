"""Binary phenotypes against cross-entropy (paper 002, Figs. 2–3), for genomes of any
representation: the loss on the integrity check's binary grid (`genome.per_example`).

The x axis is the true class's predicted probability ŷ (y = 1), as in the papers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lossevo.losses.catalog import CROSS_ENTROPY
from lossevo.space.graph import phenotype as pheno
from lossevo.space.protocol import Genome

_CE_LABEL = "cross-entropy"


def _named(genomes: Mapping[str, Genome] | Sequence[Genome]) -> dict[str, Genome]:
    if isinstance(genomes, Mapping):
        return dict(genomes)
    return {g.to_text()[:60]: g for g in genomes}


def binary_curve(genome: Genome, normalized: bool = True):
    """The genome's per-example loss on the binary grid (`phenotype.GRID_Y`, `GRID_Y_HAT`);
    for a graph genome this is its binary phenotype, flip applied."""
    curve = genome.per_example(pheno.GRID_Y, pheno.GRID_Y_HAT, "np")
    return pheno.normalize(curve) if normalized else curve


def plot_phenotypes(
    genomes: Mapping[str, Genome] | Sequence[Genome],
    normalized: bool = True,
    include_ce: bool = True,
    zoom: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plots each genome's binary phenotype, with cross-entropy for reference.

    Args:
      genomes: genomes, or a mapping from legend label to genome.
      normalized: min-max normalise each curve (Fig. 2) or show raw values (Fig. 3).
      include_ce: add the cross-entropy curve.
      zoom: x-range to show, e.g. (0.99, 1.0) to see minima near ŷ = 1.
      ax: axes to draw on; a new figure is made when None.
    """

    if ax is None:
        fig = Figure(figsize=(7, 4.5))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    curves = _named(genomes)
    if include_ce:
        curves = {_CE_LABEL: CROSS_ENTROPY, **curves}
    x = pheno.GRID_Y_HAT[:, 1]  # the true class's probability, 1 - p
    for label, genome in curves.items():
        style = {"color": "black", "linestyle": "--"} if label == _CE_LABEL else {}
        ax.plot(x, binary_curve(genome, normalized), label=label, linewidth=1.2, **style)
    ax.set_xlabel("ŷ (predicted probability of the true class)")
    ax.set_ylabel("normalised loss" if normalized else "loss")
    if zoom:
        ax.set_xlim(*zoom)
    ax.legend(fontsize="small", loc="best")
    ax.grid(alpha=0.3)
    return fig
