"""Statistics, rank correlation, clustering and elimination on known inputs."""

import math

import numpy as np
import pytest
from scipy import stats

from lossevo.analysis import (
    PROTOCOLS,
    Protocol,
    Round,
    cluster_losses,
    compare_to_baseline,
    eliminate,
    format_table,
    get_protocol,
    round_recipe,
)
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
    p002 = PROTOCOLS["002"]
    assert [r.keep for r in p002.rounds] == [150, 50, 25, 10] and p002.batches == 1
    assert [r.num_phases for r in p002.rounds] == [1, 2, 3, 4]
    code = PROTOCOLS["002_code"]
    assert (code.batches, code.size) == (2, 150)
    assert [(r.keep, r.num_phases, r.runs) for r in code.rounds] == [
        (75, 1, 1), (25, 2, 1), (12, 3, 1), (6, 4, 1), (4, None, 0)
    ]  # fmt: skip
    assert [(r.keep, r.runs) for r in PROTOCOLS["000"].rounds] == [(100, 1), (24, 1), (12, 1), (6, 1), (3, 0)]
    with pytest.raises(ValueError, match="known: 002, 002_code, 000"):
        get_protocol("003")


def test_paper_000_averages_previous_wideresnet_runs_each_with_its_own_seed():
    seen = []

    def trainer(key, rnd, seed):
        seen.append((key, rnd.recipe, seed))
        return int(key[1:]) / 10

    rounds = eliminate({f"L{i}": i for i in range(120)}, PROTOCOLS["000"], trainer)
    assert [len(r.scores) for r in rounds] == [100, 24, 12, 6, 3]
    assert all(len(v) == 3 for v in rounds[-1].runs.values())  # the best 3: mean of 3 WRN runs
    assert len(seen) == 100 + 24 + 12 + 6
    # Every run of a loss has a seed of its own (the 3 WRN runs of a finalist included).
    per_loss = {}
    for key, _, seed in seen:
        per_loss.setdefault(key, []).append(seed)
    assert all(len(set(s)) == len(s) for s in per_loss.values())
    assert len(per_loss["L119"]) == 4  # the surrogate retrain, then three WRN runs
    # Within one round and run, every loss gets the same seed (paired comparisons).
    assert len({seed for key, recipe, seed in seen[:100]}) == 1


def test_the_codes_variant_eliminates_two_batches_of_75():
    calls = []

    def trainer(key, rnd, seed):
        calls.append((key, rnd.num_phases))
        return 1 - int(key[1:]) / 1000  # rank as in the search

    rounds = eliminate({f"L{i:03d}": 1 - i / 1000 for i in range(200)}, PROTOCOLS["002_code"], trainer)
    assert sum(n == 1 for _, n in calls) == 150 and sum(n == 4 for _, n in calls) == 12
    # Each batch keeps its own best 4: the best 4 of 0..74 and of 75..149.
    assert sorted(rounds[-1].scores) == ["L000", "L001", "L002", "L003", "L075", "L076", "L077", "L078"]
    # Rounds of different phases do not pool their runs.
    assert all(len(v) == 1 for v in rounds[1].runs.values())


def test_002_rounds_train_under_one_uncut_schedule():
    from lossevo.training import WarmupCosineDecay, make_schedule

    full = WarmupCosineDecay(1e-3, 64000, 6400)
    for rnd in PROTOCOLS["002"].rounds:
        recipe = round_recipe(rnd)
        assert (recipe.num_phases, recipe.steps, recipe.steps_per_phase) == (
            rnd.num_phases,
            16000 * rnd.num_phases,
            16000,
        )
        last = recipe.steps - 1
        assert float(make_schedule(recipe)(last)) == pytest.approx(float(full(last)), rel=1e-6)
        assert recipe.phase_stop == (0.45, 40)
    # The first round ends inside the cosine, far above zero; a rescaled schedule would end at 0.
    assert float(full(15999)) > 8e-4
    # Paper 000's 96k retrain keeps the surrogate's 1,000-step warm-up.
    retrain = round_recipe(PROTOCOLS["000"].rounds[0])
    assert (retrain.steps, retrain.warmup_steps, retrain.total_schedule_steps) == (96000, 1000, 96000)


def test_round_trainer_uses_the_techniques_augmentation_and_the_seed(monkeypatch):
    from lossevo.analysis import elimination

    recorded = []

    class Result:
        diverged, best_val_accuracy = False, 0.5

    def fake_train(model, loss, dataset, recipe, seed, evaluate_test):
        recorded.append((recipe.name, recipe.augmentation, seed))
        return Result()

    monkeypatch.setattr(elimination, "train", fake_train)
    trainer = elimination.round_trainer({"a": "cross_entropy"}, dataset=None, augmentation="mixup")
    for rnd in PROTOCOLS["000"].rounds[:2]:
        assert trainer("a", rnd, 17) == 0.5
    assert recorded == [("resnet9v2_6m_surrogate", "mixup", 17), ("wideresnet_000", "mixup", 17)]


def test_a_loss_that_diverges_late_keeps_its_best_accuracy():
    """Real training: a loss that turns NaN at step 25 of 40 keeps the best validation
    accuracy it reached (the authors' `np.max(val_accuracy)` ranking), and outranks a
    loss that is worse without diverging; `diverged="fail"` is lossevo's earlier rule."""
    from lossevo import data
    from lossevo.analysis import elimination
    from tests.diverging import nan_after

    ds = data.load("synthetic", num_train=256, num_validation=64, num_test=8)
    rnd = Round(2, "convnet_standard")
    scores = {}
    for diverged in ("best", "fail"):
        trainer = elimination.round_trainer(
            {"late": nan_after(25)}, ds, "convnet", scale=0.005, diverged=diverged
        )
        scores[diverged] = trainer("late", rnd, 3)
    assert 0.0 < scores["best"] <= 1.0 and math.isnan(scores["fail"])
    assert all(p.diverged == "best" for p in PROTOCOLS.values())
    rounds = eliminate({"late": 1.0, "worse": 0.5}, Protocol("t", (Round(2, "a"), Round(1, "a", runs=0))),
                       lambda key, r, seed: scores["best"] if key == "late" else scores["best"] / 2)  # fmt: skip
    assert list(rounds[-1].scores) == ["late"]
    with pytest.raises(ValueError, match="diverged must be one of best, fail"):
        Protocol("t", (Round(2, "a"),), diverged="drop")


def test_eliminate_keeps_the_best_and_averages_runs():
    candidates = {f"L{i}": i / 100 for i in range(20)}
    true_quality = {k: (int(k[1:]) * 7) % 20 for k in candidates}  # the rounds disagree with the search
    calls = []

    def trainer(key, rnd, seed):
        calls.append((key, rnd.recipe, seed))
        return true_quality[key] + 0.1 * len([c for c in calls if c[0] == key])

    protocol = Protocol("t", (Round(10, "a"), Round(4, "b", runs=2), Round(2, "b", runs=3)))
    rounds = eliminate(candidates, protocol, trainer)
    assert list(rounds[0].scores) == [f"L{i}" for i in range(19, 9, -1)]  # search's best 10
    best4 = sorted(rounds[0].scores, key=lambda k: -true_quality[k])[:4]
    assert set(rounds[1].scores) == set(best4)
    # Round 3 re-uses round 2's runs (same training): 2 + 3 runs averaged.
    winner = next(iter(rounds[2].runs))
    assert len(rounds[2].runs[winner]) == 5
    assert len(calls) == 10 + 4 * 2 + 2 * 3
    # Resume: give the finished results, nothing is retrained.
    done = {}
    calls.clear()
    eliminate(candidates, protocol, trainer, on_result=lambda i, k, r, s, v: done.__setitem__((i, k, r), v))
    first = dict(done)
    calls.clear()
    again = eliminate(candidates, protocol, trainer, done=first)
    assert calls == [] and set(again[-1].scores) == set(rounds[-1].scores)


@pytest.mark.slow
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
    first = evaluate_losses(lossset, ds, "convnet_standard", 2, path, steps=4, log=lines.append)
    assert len(lines) == 6 and len(made) == 2  # a fresh loss object per run of a factory
    assert set(first) == set(lossset) and all(
        len(v) == 2 and all(0 <= a <= 1 for a in v) for v in first.values()
    )

    def no_data():
        raise AssertionError("a finished evaluation must not load its dataset")

    again = evaluate_losses(lossset, no_data, "convnet_standard", 2, path, steps=4, log=lines.append)
    assert again == first and len(lines) == 6
    more = evaluate_losses(lossset, lambda: ds, "convnet_standard", 3, path, steps=4, log=lines.append)
    assert len(lines) == 9 and [v[:2] for v in more.values()] == list(first.values())


def test_run_elimination_resumes_from_its_file(tmp_path):
    from lossevo.analysis import Protocol, Round, run_elimination

    calls = []

    def trainer(key, rnd, seed):
        calls.append((key, seed))
        return {"a": 0.5, "b": 0.7, "c": 0.6}[key] + seed / 1e12

    protocol = Protocol("t", (Round(3, "convnet_standard"), Round(2, "convnet_standard", runs=2, steps=5)))
    path = str(tmp_path / "elim.jsonl")
    first = run_elimination({"a": 0.9, "b": 0.1, "c": 0.5}, protocol, trainer, path, log=None)
    assert len(calls) == 3 + 4 and list(first[-1].scores) == ["b", "c"]
    again = run_elimination({"a": 0.9, "b": 0.1, "c": 0.5}, protocol, trainer, path, log=None)
    assert len(calls) == 7 and [r.scores for r in again] == [r.scores for r in first]
