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


_C10, _C100, _CARS, _FLOWERS, _CALTECH = "cifar10", "cifar100", "cars196", "oxford_flowers102", "caltech101"
_CE, _LS, _NL = "cross_entropy", "cross_entropy_ls", ("neuroloss1", "neuroloss2", "neuroloss3")
_FT, _RP = "fine-tuning from ImageNet", "randaug_progressive"
_AUG5 = tuple({"augmentation": a} for a in ("base", "cutout", "mixup", "randaug", "all"))
_FOR3 = tuple({"dataset": d} for d in (_CARS, _FLOWERS, _CALTECH))

# Blocks of (table, fields shared by the block, per-column fields, rows of (loss, *cells)).
# A cell is "mean±std", optionally followed by " p=x" or " p<x"; None means no row (blank or in OMITTED).
# Printed with two-decimal stds, kept as printed: 000/5 cifar10 a2_ls all (0.19), 000/6 cars196 c0 base (34.32).
# fmt: off
_DATA: tuple[tuple[str, dict[str, Any], tuple[dict[str, str], ...], tuple[tuple[Any, ...], ...]], ...] = (
    ("002/4", {"model": "convnet", "dataset": _C10, "augmentation": "none", "runs": 30, "p_sided": "one-sided",
               "setting": "surrogate function, validation accuracy"}, ({},), (
        ("bessel", "58.839±0.572"), (_NL[0], "58.711±0.455 p=0.171"), (_NL[1], "58.579±0.612 p=0.047"),
        (_NL[2], "58.660±0.557 p=0.112"), (_CE, "58.474±0.569 p=0.008"))),
    ("002/8", {"model": "davidnet", "runs": 30, "p_sided": "one-sided"}, (
        {"dataset": _C10, "augmentation": "cutout"}, {"dataset": _C10, "augmentation": "cutmix"},
        {"dataset": _C100, "augmentation": "cutout"}, {"dataset": _C100, "augmentation": "cutmix"}), (
        (_NL[0], "94.042±0.126 p<0.001", "91.621±0.184 p<0.001", "74.959±0.212 p=0.003", "70.877±0.270 p<0.001"),
        (_NL[1], "93.787±0.138 p=0.298", "91.409±0.178 p=0.581", "74.814±0.254 p=0.421", "70.736±0.244 p<0.001"),
        (_NL[2], "94.006±0.134 p<0.001", "91.601±0.169 p<0.001", "74.834±0.263 p=0.302", "71.176±0.288 p<0.001"),
        (_CE, "93.761±0.134", "91.419±0.197", "74.802±0.208", "69.534±0.228"))),
    ("002/9", {"dataset": _C10, "runs": 5}, (
        {"model": "efficientnetv2s", "augmentation": _RP}, {"model": "wideresnet28_10", "augmentation": "cutout"},
        {"model": "seresnext29_4x64d", "augmentation": "cutout"}), (
        ("bessel", "94.510±0.115", None, None),
        (_NL[0], "95.952±0.106", "95.860±0.142", "95.830±0.123"),
        (_NL[1], "95.906±0.050", "95.836±0.052", "95.604±0.032"),
        (_NL[2], "95.816±0.060", "95.764±0.050", "95.788±0.078"),
        (_CE, "95.826±0.118", "95.670±0.156", "95.222±0.063"))),
    ("002/9", {"dataset": _C100, "runs": 5}, (
        {"model": "efficientnetv2s", "augmentation": _RP}, {"model": "wideresnet28_10", "augmentation": "cutout"},
        {"model": "seresnext29_4x64d", "augmentation": "cutout"}), (
        (_NL[0], "78.172±0.249", "79.848±0.061", "79.964±0.167"),
        (_NL[1], "77.926±0.189", "79.628±0.242", "80.152±0.263"),
        (_NL[2], "78.230±0.154", "80.038±0.271", "79.804±0.263"),
        (_CE, "77.130±0.228", "79.640±0.213", "80.526±0.228"))),
    ("002/10", {"model": "efficientnetv2s", "augmentation": _RP, "runs": 5, "setting": "from scratch"}, _FOR3, (
        (_NL[0], "85.457±0.244", "88.584±0.508", "85.148±0.210"),
        (_NL[1], "85.698±0.361", "87.380±0.461", "84.234±0.341"),
        (_NL[2], "86.439±0.418", "88.408±0.440", "84.822±0.285"),
        (_CE, "82.729±0.285", "88.154±0.299", "84.116±0.119"),
        (_LS, "84.674±0.254", "87.819±0.228", "84.499±0.332"))),
    ("002/11", {"model": "efficientnetv2s", "augmentation": _RP, "runs": 5, "setting": _FT}, _FOR3, (
        (_NL[0], "91.635±0.109", "97.313±0.095", "90.556±0.279"),
        (_NL[1], "91.660±0.053", "97.421±0.139", "90.565±0.428"),
        (_NL[2], "91.635±0.091", "97.287±0.138", "90.302±0.295"),
        (_CE, "91.725±0.233", "97.190±0.188", "90.217±0.250"),
        (_LS, "91.496±0.122", "97.320±0.277", "90.434±0.141"))),
    ("000/5", {"model": "wideresnet28_10", "dataset": _C10, "runs": 5}, _AUG5, (
        (_CE, "94.116±0.238", "95.400±0.107", "96.616±0.600", "95.012±0.261", "96.258±0.227"),
        (_LS, "94.080±0.245", "95.326±0.240", "96.598±0.576", "94.864±0.199", "96.368±0.244"),
        ("b0", "94.018±0.371", "95.222±0.106", "94.396±0.358", "94.510±0.153", "91.040±0.182"),
        ("b1", "94.272±0.175", "95.324±0.066", "95.212±0.397", "94.628±0.226", "92.400±0.110"),
        ("b2", "94.392±0.226", "95.544±0.090", "95.552±0.531", "94.902±0.116", "93.954±0.138"),
        ("c0", "94.446±0.202", "95.600±0.154", "95.934±0.441", "95.022±0.169", "95.076±0.148"),
        ("c1", "94.238±0.344", "95.496±0.048", "95.936±0.634", "95.090±0.276", "95.012±0.174"),
        ("c2", "94.454±0.212", "95.710±0.141", "95.030±0.482", "95.164±0.143", "93.284±0.181"),
        ("m0", "94.432±0.286", "95.482±0.188", "96.174±0.358", "94.740±0.240", "96.044±0.125"),
        ("m1", "94.446±0.141", "95.528±0.097", "96.162±0.435", "95.092±0.202", "95.268±0.080"),
        ("m2", "94.364±0.322", "95.510±0.065", "96.644±0.447", "95.068±0.233", "95.448±0.072"),
        ("r0", "94.250±0.267", "95.434±0.165", "93.136±0.404", "94.660±0.227", "89.364±0.253"),
        ("r1", "94.106±0.222", "95.514±0.125", "95.546±0.572", "94.876±0.210", "94.204±0.046"),
        ("r2", "93.704±0.344", "95.172±0.184", "95.486±0.468", "93.858±0.263", "92.550±0.123"),
        ("a0", "94.258±0.140", "95.488±0.147", "96.654±0.507", "94.758±0.270", "96.152±0.287"),
        ("a1", "94.566±0.178", "95.390±0.130", "96.086±0.081", "94.866±0.249", "96.110±0.185"),
        ("a2", "94.304±0.231", "95.374±0.149", "96.246±0.440", "95.142±0.224", "96.076±0.239"),
        ("a2_ls", "93.946±0.276", "95.270±0.100", "96.644±0.519", "94.898±0.243", "96.418±0.19"))),
    ("000/5", {"model": "wideresnet28_10", "dataset": _C100, "runs": 5}, _AUG5, (
        (_CE, "75.678±0.452", "77.540±0.472", "80.054±1.734", "77.354±0.448", "81.166±1.203"),
        (_LS, "75.916±0.391", "76.692±0.703", "80.488±1.644", "76.522±0.871", "80.748±1.666"),
        ("b0", "59.652±1.505", "41.734±0.602", "45.960±0.833", None, None),
        ("b1", "21.852±0.893", "20.504±1.966", "31.602±1.071", "11.940±1.665", "16.392±0.448"),
        ("b2", "54.822±2.624", None, "78.464±1.162", None, "49.318±1.225"),
        ("c0", "74.494±1.012", "76.098±0.632", "79.658±2.038", "75.654±0.661", "79.412±0.640"),
        ("c1", "75.748±0.600", "76.410±0.656", "79.498±2.454", "75.934±0.844", "79.288±0.787"),
        ("c2", "76.694±0.419", "78.866±0.544", "78.914±2.127", "76.926±0.614", "72.340±0.545"),
        ("m0", "75.670±0.495", "77.290±0.626", "79.670±1.849", "75.850±0.524", "79.394±0.907"),
        ("m1", "62.826±0.822", "55.574±0.565", "49.208±0.984", "40.786±0.653", "28.504±0.712"),
        ("m2", "76.430±0.585", "77.278±0.533", "74.998±1.387", "61.574±1.980", "40.036±0.251"),
        ("r0", "31.658±0.676", "26.438±0.455", "25.345±0.881", "15.038±0.706", "10.280±0.451"),
        ("r1", "17.732±1.834", "30.760±1.598", "46.834±1.729", "15.120±0.117", "12.291±0.374"),
        ("r2", "73.854±0.666", "60.856±0.859", "51.300±1.668", "25.148±2.357", "15.964±0.383"),
        ("a0", "75.552±0.606", "76.798±0.550", "78.810±1.971", "75.272±0.253", "80.320±1.475"),
        ("a1", "75.278±0.589", "76.630±0.727", "78.394±1.946", "76.652±0.228", "81.058±0.814"),
        ("a2", "76.034±0.771", "77.486±0.460", "80.252±2.101", "77.020±0.729", "79.378±0.427"),
        ("a2_ls", "75.714±0.609", "76.954±0.482", "79.114±1.853", "76.516±0.688", "81.728±0.809"))),
    ("000/6", {"model": "efficientnetv2s", "dataset": _CARS, "runs": 5, "setting": _FT}, _AUG5, (
        (_CE, "88.740±0.195", "89.506±0.124", "88.390±0.189", "91.914±0.077", "91.747±0.076"),
        (_LS, "89.628±0.140", "89.643±0.084", "88.700±0.101", "91.909±0.110", "91.765±0.159"),
        ("c0", "53.212±34.32", "81.129±1.577", "85.646±0.185", "83.592±1.707", "90.902±0.098"),
        ("c1", "89.026±0.893", "89.583±0.112", "85.654±0.368", "90.593±2.959", "90.969±0.203"),
        ("c2", "77.766±0.532", "69.161±0.493", "61.137±0.782", "46.126±1.119", "31.501±0.425"),
        ("m0", "84.932±0.245", None, None, "90.728±0.213", "90.899±0.085"),
        ("m2", "72.459±1.016", None, None, "58.866±1.864", "11.800±1.122"),
        ("a0", "86.758±0.214", None, None, "91.063±0.152", "91.466±0.123"),
        ("a1", "87.136±0.283", "88.019±0.165", "88.780±0.116", "91.071±0.056", "91.404±0.135"),
        ("a2", "88.820±0.190", "89.255±0.196", "88.720±0.157", "91.899±0.077", "91.775±0.108"),
        ("a2_ls", "89.810±0.117", "89.909±0.259", "88.999±0.122", "91.989±0.095", "91.780±0.172"))),
    ("000/6", {"model": "efficientnetv2s", "dataset": _FLOWERS, "runs": 5, "setting": _FT}, _AUG5, (
        (_CE, "89.403±0.338", "89.985±0.477", "87.985±0.426", "93.283±0.205", "92.181±0.171"),
        (_LS, "92.613±0.110", "93.710±0.415", "89.816±0.422", "94.786±0.156", "92.753±0.211"),
        ("a2", "89.605±0.228", "89.855±0.663", "88.769±0.331", "93.644±0.333", "92.340±0.273"),
        ("a2_ls", "91.778±0.293", "92.961±0.483", "89.631±0.270", "94.819±0.167", "93.020±0.276"))),
    ("000/6", {"model": "efficientnetv2s", "dataset": _CALTECH, "runs": 5, "setting": _FT}, _AUG5, (
        (_CE, "90.621±0.629", "91.318±0.411", "90.053±0.203", "90.595±0.308", "91.085±0.137"),
        (_LS, "93.261±0.241", "92.932±0.451", "90.756±0.076", "91.437±0.235", "91.381±0.158"),
        ("a2", "90.510±0.578", "91.032±0.233", "90.746±0.220", "90.756±0.174", "91.561±0.232"),
        ("a2_ls", "93.041±0.234", "92.794±0.397", "90.986±0.394", "91.252±0.276", "91.423±0.319"))),
)
# fmt: on

OMITTED: tuple[str, ...] = (
    "000/5 cifar100 b0 randaug and all: both printed 31.988±0.425 (a duplicated cell; which is genuine is unknown)",
    "000/5 cifar100 b2 cutout and randaug: both printed 22.892±2.199 (duplicated cell)",
    "000/6 cars196 m0 cutout and mixup: both printed 88.394±0.150 (duplicated cell)",
    "000/6 cars196 m2 cutout and mixup: both printed 36.426±1.270 (duplicated cell)",
    "000/6 cars196 a0 cutout and mixup: both printed 88.638±0.186 (duplicated cell)",
)
"""Published cells deliberately left out of `TABLES`, with the reason."""

P_VALUE_NOTES: dict[str, str] = {
    "002/4": "One-sided Welch's t-test of Bessel Loss's mean exceeding the row's. The caption names "
    "cross-entropy as the reference and the text says two-sided, but the Bessel row has no p-value and every "
    "printed value reproduces from the printed statistics as one-sided against Bessel Loss.",
    "002/8": "Welch's t-test of the NeuroLoss mean exceeding cross-entropy's. The caption says 'two-sided' "
    "but tests a difference 'larger than zero', and 11 of 12 printed values reproduce one-sided from the "
    "printed statistics; NL2 cifar10/cutout (p=0.298) reproduces neither way (one-sided 0.231).",
    "002/9": "No p-values printed.",
    "002/10": "No p-values printed.",
    "002/11": "No p-values printed.",
    "000/5": "No p-values printed.",
    "000/6": "No p-values printed.",
}
"""How each table's printed p-values were computed, and what reproduces from its figures."""

_CELL = re.compile(r"^(\d+\.\d+)±(\d+\.\d+)(?: p([=<])(\d*\.\d+))?$")


def _build() -> dict[str, tuple[PublishedResult, ...]]:
    tables: dict[str, list[PublishedResult]] = {}
    for table, shared, columns, rows in _DATA:
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

    header = ("loss", "n", "measured", "published (runs)", "difference", "p", "verdict")
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
