"""The rules a command's options follow, in the library (issue 24): the named setup a
command runs (`configs.resolve`), the overrides' rules (`SearchSetup.override`), datasets in
one word (`DataSpec.parse`, `DataSpec.from_options`), the evaluation's rules
(`EvaluationStudy.resolve`) and the one line and status of a user's error (`runs.exits`)."""

from __future__ import annotations

import errno

import pytest

from lossevo import configs
from lossevo.analysis.evaluation import CODE_RUNS, CODE_SETTINGS
from lossevo.data import DataSpec
from lossevo.runs import exits
from lossevo.runs.evaluation import EvaluationStudy
from lossevo.search.types import EvaluationError
from lossevo.store.errors import RunDirectoryError


@pytest.mark.parametrize(
    "name,small,representation,expected",
    [(None, False, None, "paper_002"), (None, True, None, "small"), (None, False, "tree", "paper_003"),
     (None, True, "tree", "small_tree"), ("code_main", True, "graph", "code_main")],
)  # fmt: skip
def test_resolve_names_the_default_setup_by_representation_and_size(name, small, representation, expected):
    assert configs.resolve(name, small, representation) == configs.get(expected)


def test_resolve_refuses_a_representation_the_named_setup_does_not_search():
    with pytest.raises(ValueError, match="representation 'tree' contradicts the setup 'small'"):
        configs.resolve("small", representation="tree")


def test_override_rules_pairing_flip_rule_and_pair_data():
    small = configs.get("small")
    paired = small.override(pairing="code_main", fitness="convnet_standard")
    assert (paired.search.initial_fitness, paired.search.fitness) == ("resnet_standard", "convnet_standard")
    assert small.override(flip_rule="code").search.space["flip_rule"] == "code"
    other = DataSpec.parse("synthetic", synthetic_train=300)
    pair = small.override(pair_data=[other])
    assert pair.objective == "ce_pair" and pair.pair_data == (other,)
    assert pair.override(objective="accuracy").pair_data == ()  # "accuracy" alone drops the pair data
    assert pair.override(objective="ce_pair").pair_data == (other,)
    assert small.override(batched_k=9, batch_size=2).search.batch_size == 9
    with pytest.raises(ValueError, match="unknown pairing 'nope'"):
        small.override(pairing="nope")


def test_dataspec_parse_reads_one_word():
    assert DataSpec.parse("npz:a.npz") == DataSpec("npz", "a.npz")
    assert DataSpec.parse("image_folder:imgs") == DataSpec("image_folder", "imgs", image_size=(32, 32))
    assert DataSpec.parse("cifar100", data_dir="/tfds") == DataSpec("cifar100", data_dir="/tfds")
    assert DataSpec.parse("npz:a.npz", data_dir="/tfds").data_dir is None  # tfds datasets only
    assert dict(DataSpec.parse("synthetic", synthetic_train=300).options)["num_train"] == 300


def test_dataspec_from_options_checks_the_combination():
    assert DataSpec.from_options() == DataSpec.parse("synthetic")
    assert DataSpec.from_options("image_folder", "imgs", image_size=["16", "24"]).image_size == (16, 24)
    for bad in (["16"], ["a", "b"], ["4", "4"]):
        with pytest.raises(ValueError, match="H,W of at least 8"):
            DataSpec.from_options("image_folder", "imgs", image_size=bad)
    with pytest.raises(ValueError, match="takes no --data_path"):
        DataSpec.from_options("synthetic", "x.npz")


def test_evaluation_rules():
    assert EvaluationStudy.resolve().runs == 5
    assert EvaluationStudy.resolve(small=True).runs == 2
    table4 = EvaluationStudy.resolve(reproduce="002_table4")
    assert (table4.runs, table4.protocol, table4.table) == (30, "best_val", "002/4")
    assert EvaluationStudy.resolve(reproduce="002_table4", small=True).runs == 2  # a smoke run runs twice
    assert EvaluationStudy.resolve(reproduce="002_table4", runs=3, protocol="holdout").protocol == "holdout"
    code = EvaluationStudy.resolve(protocol="code", code_setting="base")
    assert (code.runs, code.recipe) == (CODE_RUNS, CODE_SETTINGS["base"])
    with pytest.raises(ValueError, match="needs --protocol=code"):
        EvaluationStudy.resolve(code_setting="base")
    with pytest.raises(ValueError, match="--baseline 'a2' must be one of --losses"):
        EvaluationStudy.resolve(losses=["cross_entropy"], baseline="a2")
    with pytest.raises(ValueError, match="--paper_table '9/9'"):
        EvaluationStudy.resolve(table="9/9")


def test_user_errors_have_one_line_and_a_status():
    assert exits.user_error(RunDirectoryError("held")) == ("held", exits.EXIT_BAD_INPUT)
    message, status = exits.user_error(EvaluationError("boom"))
    assert status == exits.EXIT_RESUME and "boom" in message and "resume" in message
    full = OSError(errno.ENOSPC, "No space left on device", "/r/journal.jsonl")
    message, status = exits.user_error(full)
    assert status == exits.EXIT_RESUME and "writing /r/journal.jsonl" in message
    assert exits.user_error(OSError(errno.EACCES, "denied")) is None  # a cause we cannot name: traceback
    assert exits.user_error(KeyError("bug")) is None
