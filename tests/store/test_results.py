"""The run-directory store's results file: one study per file, the done-map, durable
appends with the identity added, and a torn last line left out and cut off."""

import json
import re

import pytest

from lossevo.store import CorruptJournalError, ResultsFile, RunDirectoryError, read_results

STUDY = {"surrogate": "convnet_standard", "seed": 0, "dataset": "cifar10"}


def _lines(path):
    return path.read_bytes().decode().splitlines()


def test_append_adds_the_identity_and_reads_back(tmp_path):
    path = tmp_path / "scores.jsonl"
    results = ResultsFile(str(path), STUDY)
    written = results.append({"index": 0, "augmentation": "base", "fitness": 0.5})
    assert written == {"index": 0, "augmentation": "base", "fitness": 0.5, **STUDY}
    results.append({"index": 1, "augmentation": "base", "fitness": 0.25})
    assert read_results(str(path)) == [
        {"index": 0, "augmentation": "base", "fitness": 0.5, **STUDY},
        {"index": 1, "augmentation": "base", "fitness": 0.25, **STUDY},
    ]
    assert len(_lines(path)) == 2
    again = ResultsFile(str(path), STUDY)
    assert again.done(("index", "augmentation"), "fitness") == {(0, "base"): 0.5, (1, "base"): 0.25}


def test_the_done_map_keys_by_fields_or_a_function_and_a_later_record_wins(tmp_path):
    path = str(tmp_path / "results.jsonl")
    results = ResultsFile(path, {"protocol": "holdout"})
    assert results.done(("loss", "run")) == {}  # no file yet
    results.append({"loss": "ce", "run": 0, "accuracy": 0.5})
    results.append({"loss": "ce", "run": 1, "accuracy": 0.6})
    results.append({"loss": "ce", "run": 0, "accuracy": 0.7})
    done = results.done(("loss", "run"))
    assert done[("ce", 0)] == {"loss": "ce", "run": 0, "accuracy": 0.7, "protocol": "holdout"}
    assert sorted(done) == [("ce", 0), ("ce", 1)]
    assert results.done(lambda r: r["run"], "accuracy") == {0: 0.7, 1: 0.6}


def test_a_file_of_another_study_is_refused_naming_each_field_that_differs(tmp_path):
    path = str(tmp_path / "scores.jsonl")
    ResultsFile(path, STUDY).append({"index": 0, "fitness": 0.5})
    other = ResultsFile(path, {**STUDY, "surrogate": "resnet", "seed": 3})
    message = f"{path} holds another study (surrogate: file convnet_standard, now resnet; seed: file 0, now 3); " \
              "use another directory"  # fmt: skip
    with pytest.raises(RunDirectoryError, match=f"^{re.escape(message)}$"):
        other.done(("index",), "fitness")
    named = ResultsFile(
        path, {**STUDY, "seed": 3}, what="elimination", now="command", advice="use another output directory"
    )
    with pytest.raises(
        RunDirectoryError,
        match=re.escape("holds another elimination (seed: file 0, command 3); use another output"),
    ):
        named.records()
    assert ResultsFile(path, STUDY).done(("index",), "fitness") == {(0,): 0.5}  # the same study reads it


def test_a_record_without_a_field_is_checked_only_against_a_default(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"loss": "ce", "run": 0, "accuracy": 0.5}) + "\n")  # before "protocol" existed
    assert ResultsFile(str(path), {"protocol": "code"}).done(("loss", "run"), "accuracy") == {("ce", 0): 0.5}
    assert ResultsFile(str(path), {"protocol": "holdout"}, defaults={"protocol": "holdout"}).records()
    refused = ResultsFile(str(path), {"protocol": "code"}, defaults={"protocol": "holdout"},
                          message=lambda p, d: f"{p}: {d['protocol'][0]} not {d['protocol'][1]}")  # fmt: skip
    with pytest.raises(RunDirectoryError, match=f"^{re.escape(str(path))}: holdout not code$"):
        refused.records()


@pytest.mark.parametrize("torn", [b'{"index": 2, "fit', b'{"index": 2, "fitness": 0.1}'])
def test_a_torn_last_line_is_left_out_and_cut_off_before_the_next_append(tmp_path, torn):
    path = tmp_path / "scores.jsonl"
    results = ResultsFile(str(path), STUDY)
    results.append({"index": 0, "fitness": 0.5})
    results.append({"index": 1, "fitness": 0.25})
    with open(path, "ab") as f:  # a kill mid-write (or before the newline)
        f.write(torn)
    assert results.done(("index",), "fitness") == {(0,): 0.5, (1,): 0.25}
    results.append({"index": 2, "fitness": 0.75})
    results.append({"index": 3, "fitness": 1.0})  # a second append keeps the first
    assert ResultsFile(str(path), STUDY).done(("index",), "fitness") == {(0,): 0.5, (1,): 0.25, (2,): 0.75,
                                                                         (3,): 1.0}  # fmt: skip
    assert len(_lines(path)) == 4


def test_an_unreadable_line_before_the_last_is_corrupt_naming_file_and_line(tmp_path):
    path = tmp_path / "scores.jsonl"
    path.write_text(
        json.dumps({"index": 0, **STUDY}) + "\nnot json\n" + json.dumps({"index": 1, **STUDY}) + "\n"
    )
    with pytest.raises(CorruptJournalError, match=f"^{re.escape(str(path))}: line 2 is not a result record"):
        ResultsFile(str(path), STUDY).records()


def test_a_directory_in_its_place_is_a_run_directory_error(tmp_path):
    (tmp_path / "scores.jsonl").mkdir()
    with pytest.raises(RunDirectoryError, match="is a directory, not a results file"):
        ResultsFile(str(tmp_path / "scores.jsonl"), STUDY).records()
