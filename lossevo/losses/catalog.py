"""The papers' named losses as genomes (docs/reference.md §10).

Each entry gives the genome, the label smoothing the paper used with it, and where it was
published. Slot names: `y`, `y_hat`, `one`, `neg_one`, `h0`..`h3`, `root`. A leading minus
in a paper's table is the genome's `flip`. Where a table's typesetting is ambiguous the
entry encodes the reading the graph space can express; `BUILD_NOTES.md` lists each one.
"""

from __future__ import annotations

import dataclasses

from lossevo.space.graph.genome import Genome, make


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    name: str
    genome: Genome
    label_smoothing: float
    source: str
    aliases: tuple[str, ...] = ()


# Shared building blocks: q = ŷ/(y+ε), s = ŷ/sqrt(1+q²).
_Q = ("div", "y_hat", "y")
_S = ("div_sqrt", "y_hat", "h0")


def _neuro(log_op: str, tail: tuple, extra: dict | None = None, root: str = "add") -> Genome:
    nodes = {"h0": _Q, "h1": _S, "h2": (log_op, "h1"), "root": (root, "h2", "h3")}
    nodes["h3"] = tail
    nodes.update(extra or {})
    return make(nodes, flip=True)


CROSS_ENTROPY = make({"h0": ("ln", "y_hat"), "root": ("mul", "y", "h0")}, flip=True)
NEUROLOSS1 = make({"h0": _Q, "h1": _S, "h2": ("ln", "h1"), "root": ("add", "h2", "h1")}, flip=True)
NEUROLOSS2 = _neuro("log10", ("sin", "h1"))
NEUROLOSS3 = _neuro("ln", ("min", "y", "h0"))

HONORABLE = (
    # -(ln(|ŷ/sqrt(1+y²)|+ε)) / sqrt(1 + max(y, q)²)
    make(
        {
            "h0": _Q,
            "h1": ("div_sqrt", "y_hat", "y"),
            "h2": ("ln", "h1"),
            "h3": ("max", "y", "h0"),
            "root": ("div_sqrt", "h2", "h3"),
        },
        flip=True,
    ),
    _neuro("log10", ("asinh", "h1"), root="max"),
    _neuro("log10", ("square", "h1")),
    _neuro("ln", ("sinh", "h1")),
    _neuro("ln", ("erf", "h0")),
    _neuro("log10", ("tanh", "h0")),
    # -ln(y·ŷ+ε) / sqrt(1+q²)
    make(
        {"h0": _Q, "h1": ("mul", "y", "y_hat"), "h2": ("ln", "h1"), "root": ("div_sqrt", "h2", "h0")},
        flip=True,
    ),
)

BESSEL = make({"h0": ("bessel_i0e", "y_hat"), "h1": ("min", "h0", "y"), "root": ("add", "h1", "h0")})


def _of_q(*chain: str, flip: bool) -> Genome:
    """`chain[-1](...chain[0](ŷ/(y+ε)))`: unary ops applied in turn to q."""
    nodes: dict[str, tuple] = {"h0": _Q}
    prev = "h0"
    for i, op in enumerate(chain[:-1], start=1):
        nodes[f"h{i}"] = (op, prev)
        prev = f"h{i}"
    nodes["root"] = (chain[-1], prev)
    return make(nodes, flip=flip)


def _times_y_of_log(log_op: str, *chain: str, flip: bool) -> Genome:
    """`f(log(ŷ)) * y` with f the unary chain."""
    nodes: dict[str, tuple] = {"h0": (log_op, "y_hat")}
    prev = "h0"
    for i, op in enumerate(chain, start=1):
        nodes[f"h{i}"] = (op, prev)
        prev = f"h{i}"
    nodes["root"] = ("mul", prev, "y")
    return make(nodes, flip=flip)


B0 = _of_q("softplus", "sigmoid", flip=True)
B1 = _of_q("bessel_i0e", "sigmoid_deriv", flip=True)
B2 = _of_q("erf", "bessel_i1e", flip=True)
C0 = _of_q("atan", "ln", flip=True)
C1 = _of_q("softplus", "ln", flip=True)
C2 = _of_q("log10", "sigmoid", flip=True)
M0 = _times_y_of_log("log10", "atan", "bessel_i1", flip=True)
M1 = make({"h0": ("sub", "y_hat", "y"), "root": ("softplus", "h0")})
M2 = make({"h0": ("sub", "y", "y_hat"), "h1": ("bessel_i0", "h0"), "root": ("asinh", "h1")})
R0 = make({"h0": _Q, "h1": ("bessel_i0e", "h0"), "h2": ("tanh_deriv", "h1"), "root": ("add", "h2", "h1")})
# R1 and R2 print without a minus sign, but unflipped both are minimised at ŷ → 0 for the
# true class; the integrity check flips them, so the table lost the sign (BUILD_NOTES.md).
R1 = make(
    {"h0": _Q, "h1": ("log10", "h0"), "h2": ("add", "h1", "y"), "root": ("div_sqrt", "h1", "h2")},
    flip=True,
)
R2 = make(
    {"h0": _Q, "h1": ("log10", "h0"), "h2": ("bessel_i0", "y"), "root": ("mul", "h1", "h2")},
    flip=True,
)
A0 = _times_y_of_log("log10", "softsign_deriv", "ln", flip=True)
A1 = _times_y_of_log("log10", "bessel_i0e", "ln", flip=True)
A2 = make({"h0": ("ln", "y_hat"), "h1": ("bessel_i0e", "h0"), "root": ("div", "y", "h1")})
BAIKAL = make({"h0": ("ln", "y_hat"), "h1": ("div", "y", "y_hat"), "root": ("sub", "h0", "h1")}, flip=True)

_P002 = "Morgan & Hougen, Neural Loss Function Evolution for Large-Scale Image Classifier CNNs"
_P000 = "Morgan & Hougen, Evolving Loss Functions for Specific Image Augmentation Techniques"

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry("cross_entropy", CROSS_ENTROPY, 0.0, "-Σ y ln(ŷ+ε)", ("ce",)),
    CatalogEntry("cross_entropy_ls", CROSS_ENTROPY, 0.1, "CE with label smoothing 0.1", ("ce_0.10",)),
    CatalogEntry("neuroloss1", NEUROLOSS1, 0.0, f"{_P002}, Table 5", ("nl1",)),
    CatalogEntry("neuroloss2", NEUROLOSS2, 0.0, f"{_P002}, Table 5", ("nl2",)),
    CatalogEntry("neuroloss3", NEUROLOSS3, 0.0, f"{_P002}, Table 5", ("nl3",)),
    *(
        CatalogEntry(f"honorable{i}", g, 0.0, f"{_P002}, Table 6, row {i}")
        for i, g in enumerate(HONORABLE, start=1)
    ),
    CatalogEntry("bessel", BESSEL, 0.0, f"{_P002}, §4.1 (Bessel Loss)", ("bessel_loss",)),
    *(
        CatalogEntry(name.lower(), g, 0.0, f"{_P000}, Table 4")
        for name, g in (
            ("B0", B0),
            ("B1", B1),
            ("B2", B2),
            ("C0", C0),
            ("C1", C1),
            ("C2", C2),
            ("M0", M0),
            ("M1", M1),
            ("M2", M2),
            ("R0", R0),
            ("R1", R1),
            ("R2", R2),
            ("A0", A0),
            ("A1", A1),
        )
    ),
    CatalogEntry(
        "a2", A2, 0.0, f"{_P000}, Table 4 (inverse Bessel logarithm)", ("inverse_bessel_logarithm",)
    ),
    CatalogEntry("a2_ls", A2, 0.1, f"{_P000}, A2 with label smoothing 0.1", ("a2_0.10",)),
    CatalogEntry("baikal", BAIKAL, 0.0, "Baikal loss (authors' code): -Σ (ln(ŷ+ε) - y/(ŷ+ε))"),
)
