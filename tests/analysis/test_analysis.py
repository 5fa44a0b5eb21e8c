"""Statistics, rank correlation, clustering and elimination on known inputs."""

import math

import numpy as np
import pytest
from scipy import stats

from lossevo.analysis import PROTOCOLS, Round, cluster_losses, compare_to_baseline, eliminate, format_table
from lossevo.analysis.correlation import kendall_matrix


def test_welch_one_sided_against_baseline():
    results = {
        "cross_entropy": [0.90, 0.91, 0.89, 0.90],
        "a2": [0.93, 0.94, 0.92, 0.93],
        "bad": [0.80, 0.81, 0.79],
    }
    rows = {r.loss: r for r in compare_to_baseline(results)}
    assert [r.loss for r in compare_to_baseline(results)] == ["a2", "cross_entropy", "bad"]
    assert rows["a2"].mean == pytest.approx(0.93) and rows["a2"].std == pytest.approx(
        np.std([0.93, 0.94, 0.92, 0.93], ddof=1)
    )
    expected = stats.ttest_ind(results["a2"], results["cross_entropy"], equal_var=False).pvalue / 2
    assert rows["a2"].p_value == pytest.approx(expected)  # one-sided, mean above baseline
    assert rows["bad"].p_value > 0.99 and rows["cross_entropy"].p_value is None
    table = format_table(compare_to_baseline(results))
    assert "93.000 ± 0.816" in table and "—" in table
    with pytest.raises(ValueError, match="baseline 'ce'"):
        compare_to_baseline(results, baseline="ce")


def test_kendall_all_and_best_k():
    base = list(range(10))
    scores = {"base": base, "same": base, "reversed": base[::-1], "mixed": [0, 1, 2, 3, 4, 9, 8, 7, 6, 5]}
    tau = kendall_matrix(scores)
    assert tau[("base", "same")] == pytest.approx(1.0) and tau[("base", "reversed")] == pytest.approx(-1.0)
    top = kendall_matrix(scores, best_k=5)
    # base's best 5 are 5..9; mixed's are the same losses, ranked in reverse.
    assert top[("base", "mixed")] == pytest.approx(-1.0)
    assert math.isnan(top[("base", "reversed")])  # best 5 sets do not overlap enough


def test_average_linkage_clusters():
    scores = {"t1": [0.1, 0.11, 0.9, 0.91, 0.5, 0.52], "t2": [0.1, 0.12, 0.9, 0.92, 0.5, 0.49]}
    labels = cluster_losses(scores, num_clusters=3)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[4] == labels[5]
    assert len(set(labels)) == 3


def test_elimination_protocols_as_data():
    assert [r.keep for r in PROTOCOLS["002"]] == [150, 50, 25, 10]
    assert [r.steps for r in PROTOCOLS["002"]] == [16000, 32000, 48000, 64000]
    assert [r.num_phases for r in PROTOCOLS["002"]] == [1, 2, 3, 4]
    assert [r.keep for r in PROTOCOLS["002_code"]] == [25, 12, 6, 4]
    assert [(r.keep, r.runs) for r in PROTOCOLS["000"]] == [(100, 1), (24, 1), (12, 1), (6, 1), (3, 0)]


def test_paper_000_averages_previous_wideresnet_runs():
    protocol = PROTOCOLS["000"]
    seen = []
    rounds = eliminate(
        {f"L{i}": i for i in range(120)}, protocol, lambda k, r, i: seen.append(k) or int(k[1:]) / 10
    )
    assert [len(r.scores) for r in rounds] == [100, 24, 12, 6, 3]
    assert all(len(v) == 3 for v in rounds[-1].runs.values())  # the best 3: mean of 3 WRN runs
    assert len(seen) == 100 + 24 + 12 + 6


def test_eliminate_keeps_the_best_and_averages_runs():
    candidates = {f"L{i}": i / 100 for i in range(20)}
    true_quality = {k: (int(k[1:]) * 7) % 20 for k in candidates}  # the rounds disagree with the search
    calls = []

    def trainer(key, rnd, run):
        calls.append((key, rnd.recipe, run))
        return true_quality[key] + 0.1 * run

    protocol = (Round(10, "a"), Round(4, "b", runs=2), Round(2, "b", runs=3))
    rounds = eliminate(candidates, protocol, trainer)
    assert list(rounds[0].scores) == [f"L{i}" for i in range(19, 9, -1)]  # search's best 10
    best4 = sorted(rounds[0].scores, key=lambda k: -true_quality[k])[:4]
    assert set(rounds[1].scores) == set(best4)
    # Round 3 re-uses round 2's runs (same recipe): 2 + 3 runs averaged.
    winner = next(iter(rounds[2].runs))
    assert len(rounds[2].runs[winner]) == 5
    assert len(calls) == 10 + 4 * 2 + 2 * 3
    # Resume: give the finished results, nothing is retrained.
    done = {}
    eliminate(candidates, protocol, trainer, on_result=lambda i, k, r, v: done.__setitem__((i, k, r), v))
    calls.clear()
    again = eliminate(candidates, protocol, trainer, done=done)
    assert calls == [] and again[-1].scores == rounds[-1].scores


def test_evaluate_losses_trains_each_run_once_and_resumes(tmp_path):
    from lossevo import data, losses
    from lossevo.analysis import evaluate_losses
    from lossevo.losses import catalog

    ds = data.load("synthetic", num_train=128, num_validation=32, num_test=32)
    made = []

    def fresh_loss():
        made.append(1)
        return losses.get("neuroloss1")

    lossset = {"cross_entropy": "cross_entropy", "nl1": fresh_loss, "a2": catalog.A2}
    path = str(tmp_path / "results.jsonl")
    lines = []
    first = evaluate_losses(lossset, ds, "convnet_surrogate", 2, path, steps=4, log=lines.append)
    assert len(lines) == 6 and len(made) == 2  # a fresh loss object per run of a factory
    assert set(first) == set(lossset) and all(
        len(v) == 2 and all(0 <= a <= 1 for a in v) for v in first.values()
    )

    def no_data():
        raise AssertionError("a finished evaluation must not load its dataset")

    again = evaluate_losses(lossset, no_data, "convnet_surrogate", 2, path, steps=4, log=lines.append)
    assert again == first and len(lines) == 6
    more = evaluate_losses(lossset, lambda: ds, "convnet_surrogate", 3, path, steps=4, log=lines.append)
    assert len(lines) == 9 and [v[:2] for v in more.values()] == list(first.values())


def test_run_elimination_resumes_from_its_file(tmp_path):
    from lossevo.analysis import Round, run_elimination

    calls = []

    def trainer(key, rnd, run):
        calls.append((key, run))
        return {"a": 0.5, "b": 0.7, "c": 0.6}[key] + run / 100

    protocol = (Round(3, "convnet_surrogate"), Round(2, "convnet_surrogate", runs=2))
    path = str(tmp_path / "elim.jsonl")
    first = run_elimination({"a": 0.9, "b": 0.1, "c": 0.5}, protocol, trainer, path, log=None)
    assert len(calls) == 3 + 4 and list(first[-1].scores) == ["b", "c"]
    again = run_elimination({"a": 0.9, "b": 0.1, "c": 0.5}, protocol, trainer, path, log=None)
    assert len(calls) == 7 and [r.scores for r in again] == [r.scores for r in first]
