"""The papers' published tables as data, and comparisons of measured runs against them."""

import dataclasses
import json
import math

import numpy as np
import pytest
from scipy import special

from lossevo.analysis import published, published_tables
from lossevo.analysis.published import (
    OMITTED,
    P_VALUE_NOTES,
    TABLES,
    Comparison,
    PublishedResult,
    compare,
    find,
    format_comparison,
    from_dict,
    from_json,
    get_table,
    to_dict,
    to_json,
)


def _welch_two_sided(m1, s1, n1, m2, s2, n2):
    """Welch's t-test by hand: t, Welch–Satterthwaite df, and the Student-t tail through the
    regularised incomplete beta function, P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2)."""
    v1, v2 = s1**2 / n1, s2**2 / n2
    t = (m1 - m2) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    return float(special.betainc(df / 2, 0.5, df / (df + t * t)))


def _runs(mean_pct, std_pct, n, seed=0):
    """n accuracies as fractions whose sample mean and std (ddof=1) are exactly the given percents."""
    x = np.random.default_rng(seed).normal(size=n)
    x = (x - x.mean()) / x.std(ddof=1)
    return list((mean_pct + std_pct * x) / 100.0)


def test_table_ids_and_row_counts():
    counts = {name: len(rows) for name, rows in TABLES.items()}
    assert counts == {
        "002/4": 5,
        "002/8": 16,
        "002/9": 25,
        "002/10": 15,
        "002/11": 15,
        "000/5": 176,  # 18 losses x 5 augmentations x 2 datasets, less 4 omitted cells
        "000/6": 89,  # (11 + 4 + 4) losses x 5 augmentations, less 6 omitted cells
    }
    assert set(P_VALUE_NOTES) == set(TABLES) and len(OMITTED) == 5
    for name, rows in TABLES.items():
        assert all(r.table == name and r.paper == name.split("/")[0] for r in rows)
        keys = [(r.loss, r.model, r.dataset, r.augmentation, r.setting) for r in rows]
        assert len(keys) == len(set(keys)), name


def test_table_002_4_golden():
    rows = {r.loss: r for r in get_table("002/4")}
    expected = {
        "bessel": (58.839, 0.572, None),
        "neuroloss1": (58.711, 0.455, 0.171),
        "neuroloss2": (58.579, 0.612, 0.047),
        "neuroloss3": (58.660, 0.557, 0.112),
        "cross_entropy": (58.474, 0.569, 0.008),
    }
    assert set(rows) == set(expected)
    for loss, (mean, std, p) in expected.items():
        r = rows[loss]
        assert (r.mean, r.std, r.runs, r.p_value) == (mean, std, 30, p), loss
        assert (r.model, r.dataset, r.paper) == ("convnet", "cifar10", "002")
        assert r.p_sided == ("one-sided" if p is not None else "")
        assert r.p_relation == ("=" if p is not None else "")


def test_table_002_4_p_values_are_one_sided_against_bessel():
    """The printed p-values reproduce from the printed figures as one-sided Welch tests of Bessel
    Loss's mean exceeding each row's (half the two-sided p, as Bessel's mean is the larger)."""
    bessel = find(loss="bessel", table="002/4")[0]
    for r in get_table("002/4"):
        if r.p_value is not None:
            one_sided = _welch_two_sided(bessel.mean, bessel.std, 30, r.mean, r.std, 30) / 2
            assert one_sided == pytest.approx(r.p_value, abs=0.0015), r.loss


def test_spot_checks_of_other_tables():
    (r,) = find(loss="neuroloss1", table="002/8", dataset="cifar100", augmentation="cutmix")
    assert (r.mean, r.std, r.runs, r.model, r.p_value, r.p_relation) == (
        70.877,
        0.270,
        30,
        "davidnet",
        0.001,
        "<",
    )
    (r,) = find(loss="neuroloss2", table="002/8", dataset="cifar10", augmentation="cutmix")
    assert (r.mean, r.std, r.p_value, r.p_relation) == (91.409, 0.178, 0.581, "=")
    assert (
        find(loss="cross_entropy", table="002/8", dataset="cifar10", augmentation="cutout")[0].p_value is None
    )
    (r,) = find(loss="cross_entropy", model="seresnext29_4x64d", dataset="cifar100")
    assert (r.table, r.mean, r.std, r.runs, r.augmentation) == ("002/9", 80.526, 0.228, 5, "cutout")
    (r,) = find(loss="bessel", table="002/9")  # its WideResNet and SEResNeXt cells are blank
    assert (r.model, r.mean, r.std, r.augmentation) == (
        "efficientnetv2s",
        94.510,
        0.115,
        "randaug_progressive",
    )
    (r,) = find(loss="cross_entropy_ls", table="002/10", dataset="cars196")
    assert (r.mean, r.std, r.setting) == (84.674, 0.254, "from scratch")
    (r,) = find(loss="neuroloss2", table="002/11", dataset="oxford_flowers102")
    assert (r.mean, r.std, r.setting) == (97.421, 0.139, "fine-tuning from ImageNet")
    (r,) = find(loss="a2_ls", table="000/5", dataset="cifar100", augmentation="all")
    assert (r.mean, r.std, r.runs, r.model) == (81.728, 0.809, 5, "wideresnet28_10")
    (r,) = find(loss="r0", table="000/5", dataset="cifar100", augmentation="mixup")
    assert (r.mean, r.std) == (25.345, 0.881)
    (r,) = find(loss="a2", table="000/6", dataset="caltech101", augmentation="all")
    assert (r.mean, r.std, r.model, r.setting) == (
        91.561,
        0.232,
        "efficientnetv2s",
        "fine-tuning from ImageNet",
    )
    (r,) = find(loss="c0", table="000/6", augmentation="mixup")
    assert (r.dataset, r.mean, r.std) == ("cars196", 85.646, 0.185)
    assert all(
        r.p_value is None for name in ("002/9", "002/10", "002/11", "000/5", "000/6") for r in TABLES[name]
    )


def test_doubtful_duplicated_cells_are_left_out():
    assert not find(loss="b0", table="000/5", dataset="cifar100", augmentation="randaug")
    assert not find(loss="b0", table="000/5", dataset="cifar100", augmentation="all")
    assert not find(loss="b2", table="000/5", dataset="cifar100", augmentation="cutout")
    for loss in ("m0", "m2", "a0"):
        assert {r.augmentation for r in find(loss=loss, table="000/6")} == {"base", "randaug", "all"}
    assert any("b0" in line and "31.988" in line for line in OMITTED)


def test_names_are_lossevo_registry_names():
    import lossevo.losses
    import lossevo.models
    from lossevo.data import technique_names
    from lossevo.data.sources import TFDS_SOURCES

    rows = [r for t in TABLES.values() for r in t]
    assert {r.loss for r in rows} <= set(lossevo.losses.names())
    assert {r.model for r in rows} <= set(lossevo.models.names())
    assert {r.dataset for r in rows} <= set(TFDS_SOURCES)
    assert {r.augmentation for r in rows} <= set(technique_names()) | {"randaug_progressive"}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_json_round_trip(name):
    rows = get_table(name)
    text = to_json(name)
    assert from_json(text) == rows and to_json(from_json(text)) == text
    assert json.loads(text)[0]["table"] == name
    assert all(from_dict(to_dict(r)) == r for r in rows)


def test_from_dict_and_validation_reject_bad_rows():
    row = dict(to_dict(get_table("002/4")[0]))
    with pytest.raises(ValueError, match="expected keys"):
        from_dict({**row, "extra": 1})
    with pytest.raises(ValueError, match="together"):
        dataclasses.replace(get_table("002/4")[0], p_value=0.5)


def test_unknown_table_lists_known_ids():
    with pytest.raises(ValueError, match="unknown table '002/7'") as err:
        get_table("002/7")
    for name in TABLES:
        assert name in str(err.value)
    with pytest.raises(ValueError, match="000/5"):
        compare({"a2": [0.9, 0.91]}, "5")


def test_compare_reproduced_lower_higher():
    ce = find(loss="cross_entropy", table="002/4")[0]
    measured = {
        "cross_entropy": _runs(ce.mean, ce.std, 30),
        "neuroloss1": _runs(58.711 - 3.0, 0.455, 30, seed=1),
        "neuroloss2": _runs(58.579 + 1.0, 0.612, 10, seed=2),
        "a2": [0.6, 0.61],
        "bessel": [0.588],
    }
    rows = {r.loss: r for r in compare(measured, "002/4")}
    r = rows["cross_entropy"]
    assert r.verdict == "reproduced" and r.p_value == pytest.approx(1.0)
    assert r.n == 30 and r.mean == pytest.approx(58.474) and r.std == pytest.approx(0.569)
    assert r.published == ce and r.difference == pytest.approx(0.0, abs=1e-9)
    r = rows["neuroloss1"]
    assert r.verdict == "lower than published" and r.p_value < 0.05 and r.difference == pytest.approx(-3.0)
    assert rows["neuroloss2"].verdict == "higher than published" and rows["neuroloss2"].p_value < 0.05
    no_row = Comparison(
        "a2", 2, pytest.approx(60.5), pytest.approx(0.7071068), None, None, None, "no published figure"
    )
    assert rows["a2"] == no_row
    assert rows["bessel"].verdict == "too few runs" and rows["bessel"].p_value is None
    assert rows["bessel"].std is None and rows["bessel"].difference == pytest.approx(58.8 - 58.839)


def test_compare_golden_p_value_by_hand():
    runs = [0.9388, 0.9403, 0.9375, 0.9394, 0.9413, 0.9382]
    (r,) = compare({"neuroloss1": runs}, "002/8", dataset="cifar10", augmentation="cutout")
    pct = np.asarray(runs) * 100
    m, s = pct.mean(), pct.std(ddof=1)
    assert r.published.mean == 94.042 and r.published.runs == 30
    expected = _welch_two_sided(m, s, 6, 94.042, 0.126, 30)
    assert r.p_value == pytest.approx(expected, rel=1e-9)
    # golden: mean 93.925, s 0.13925, t = -1.9078 on 6.7405 Welch df
    assert (m, s) == (pytest.approx(93.925), pytest.approx(0.139248, abs=1e-6))
    assert r.p_value == pytest.approx(0.099677, abs=1e-6)
    assert r.verdict == "reproduced" and r.difference == pytest.approx(m - 94.042)
    (r,) = compare({"neuroloss1": runs}, "002/8", dataset="cifar10", augmentation="cutout", alpha=0.2)
    assert r.verdict == "lower than published"


def test_compare_errors():
    with pytest.raises(ValueError, match=r"4 rows of table 002/8 match loss 'neuroloss1'.*dataset"):
        compare({"neuroloss1": [0.94, 0.95]}, "002/8")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        compare({"cross_entropy": [58.4, 58.5]}, "002/4")  # percents, not fractions
    with pytest.raises(ValueError, match="no row of table 002/9 matches dataset='cifar-10'"):
        compare({"cross_entropy": [0.95, 0.96]}, "002/9", dataset="cifar-10")
    with pytest.raises(ValueError, match="alpha"):
        compare({"cross_entropy": [0.58, 0.59]}, "002/4", alpha=1.5)


def test_format_comparison_shows_published_figures():
    ce = find(loss="cross_entropy", table="002/4")[0]
    rows = compare({"cross_entropy": _runs(ce.mean - 3.0, ce.std, 30), "a2": [0.5, 0.52]}, "002/4")
    text = format_comparison(rows)
    lines = text.splitlines()
    assert lines[0].split() == [
        "loss",
        "n",
        "measured",
        "(acc.",
        "%)",
        "published",
        "(runs)",
        "difference",
        "(pp)",
        "p",
        "verdict",
    ]
    assert "58.474 ± 0.569 (30)" in lines[1] and "55.474 ± 0.569" in lines[1]
    assert "-3.000" in lines[1] and "<0.001" in lines[1] and "lower than published" in lines[1]
    assert "no published figure" in lines[2] and "—" in lines[2]


def _lossevo_imports(path: str) -> list[str]:
    source = open(path, encoding="utf-8").read()
    return [line for line in source.splitlines() if line.startswith(("import", "from")) and "lossevo" in line]


def test_module_imports_only_its_tables_from_lossevo():
    assert [line.split()[1] for line in _lossevo_imports(published.__file__)] == [
        "lossevo.analysis.published_tables"
    ]
    assert _lossevo_imports(published_tables.__file__) == []
    assert isinstance(get_table("002/4")[0], PublishedResult)
