"""A drawing of the genome graph (000, Fig. 1): inputs, hidden nodes, root; active nodes in
blue, inactive in grey, the root in white; edge labels give a binary node's argument order."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lossevo.space.graph.formula import to_paper
from lossevo.space.graph.genome import Genome
from lossevo.space.graph.slots import NUM_INPUTS, ROOT, SLOT_NAMES

_INPUT_LABELS = ("y", "ŷ", "1", "-1")
_ACTIVE, _INACTIVE, _ROOT, _INPUT = "#6fa8dc", "#d9d9d9", "white", "#f6f6f6"


def _positions() -> dict[int, tuple[float, float]]:
    pos = {i: (0.0, 3.0 - i) for i in range(NUM_INPUTS)}
    pos.update({4: (1.2, 3.2), 5: (2.0, 2.2), 6: (1.2, 0.8), 7: (2.0, -0.2)})
    pos[ROOT] = (3.2, 1.5)
    return pos


def draw_genome(genome: Genome, ax: Axes | None = None, title: bool = True) -> Figure:
    """Draws the genome's nodes and edges; returns the figure."""
    if ax is None:
        fig = Figure(figsize=(7, 4.2))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    pos = _positions()
    active = genome.active
    for slot in range(NUM_INPUTS, ROOT + 1):
        node = genome.node(slot)
        for k, arg in enumerate(node.args):
            on = slot in active
            (x0, y0), (x1, y1) = pos[arg], pos[slot]
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "black" if on else "#b0b0b0",
                    "linestyle": "-" if on else "--",
                    "shrinkA": 16,
                    "shrinkB": 16,
                    "connectionstyle": "arc3,rad=0.12" if arg > slot or arg == slot else "arc3,rad=0.0",
                },
            )
            if node.arity == 2:
                ax.text(x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0), str(k + 1), fontsize=7, color="dimgray")
    for slot, (x, y) in pos.items():
        if slot < NUM_INPUTS:
            label, color = _INPUT_LABELS[slot], _INPUT
        else:
            label = f"{SLOT_NAMES[slot]}\n{genome.node(slot).op}"
            color = _ROOT if slot == ROOT else (_ACTIVE if slot in active else _INACTIVE)
        ax.text(
            x, y, label, ha="center", va="center", fontsize=8,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": color, "edgecolor": "black"},
        )  # fmt: skip
    ax.set_xlim(-0.5, 3.8)
    ax.set_ylim(-0.8, 3.8)
    ax.axis("off")
    if title:
        ax.set_title(to_paper(genome) + ("   (flip)" if genome.flip else ""), fontsize=8)
    return fig
