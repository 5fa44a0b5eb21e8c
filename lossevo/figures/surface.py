"""3-D loss surfaces over (y, ŷ) and their difference to cross-entropy (000, Figs. 6–8).

The surface is one class's term of the loss, `±f(y, ŷ)`, on a grid of targets and
predictions in [0, 1].
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lossevo.losses.catalog import CROSS_ENTROPY
from lossevo.space.graph import phenotype as pheno
from lossevo.space.protocol import Genome


def loss_surface(genome: Genome, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns `(Y, Y_HAT, Z)` meshes: `Z[i, j]` is the loss term at `(Y[i, j], Y_HAT[i, j])`:
    the genome's per-example loss of a single class (for graphs, the root's value, negated
    when flipped; for trees, the expression's value)."""
    eps = 1e-7
    y, y_hat = np.meshgrid(
        np.linspace(0, 1, n, dtype=np.float32),
        np.linspace(eps, 1 - eps, n, dtype=np.float32),
        indexing="ij",
    )
    with np.errstate(all="ignore"):
        z = np.broadcast_to(genome.per_example(y[..., None], y_hat[..., None], "np"), y.shape)
    return y, y_hat, z.astype(np.float64)


def plot_surface(
    genome: Genome,
    diff_to_ce: bool = False,
    normalized: bool | None = None,
    n: int = 60,
    title: str | None = None,
) -> Figure:
    """A 3-D surface of the loss term, or of its normalised difference to cross-entropy.

    Args:
      genome: the loss.
      diff_to_ce: plot `normalize(loss) - normalize(CE)` (Fig. 8) instead of the loss.
      normalized: min-max normalise the surface (default: only for differences).
      n: grid points per axis.
      title: figure title.
    """

    y, y_hat, z = loss_surface(genome, n)
    normalized = diff_to_ce if normalized is None else normalized
    finite = np.isfinite(z)
    if normalized or diff_to_ce:
        z = pheno.normalize(np.where(finite, z, np.nan))
        z = np.where(np.isnan(z), np.nan, z)
    if diff_to_ce:
        _, _, ce = loss_surface(CROSS_ENTROPY, n)
        z = z - pheno.normalize(ce)
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(y, y_hat, np.where(np.isfinite(z), z, np.nan), cmap="viridis", linewidth=0)
    ax.set_xlabel("y")
    ax.set_ylabel("ŷ")
    ax.set_zlabel("difference to CE" if diff_to_ce else ("normalised loss" if normalized else "loss"))
    if title:
        ax.set_title(title)
    return fig
