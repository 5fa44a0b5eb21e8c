"""A kilobyte pickle that shares one sub-list at every level (2^40 paths) is refused at
once, naming its field, with a short message (issue 23 item 4); real pickles still load."""

import pickle

import numpy as np
import pytest

from lossevo.losses import catalog
from lossevo.space.graph import GenomeError, legacy
from tests.space.bombs import bomb, outcome_within
from tests.space.graph.test_legacy import _ce_loss


def _plant(loss, field, value):
    """`loss` with `value` at `field` ("adj", "flip", "nodes", "root.un", "nodes[2].bin", ...)."""
    if "." in field:
        owner, attr = field.split(".")
        node = loss.root if owner == "root" else loss.nodes[int(owner[6:-1])]
        setattr(node, attr, value)
    else:
        setattr(loss, field, value)
    return loss


def test_the_bomb_is_small():
    assert len(pickle.dumps(bomb(), protocol=2)) < 2000  # 285 bytes: 41 lists, 2^40 leaves


# Depth 24 took seconds and wrote a 90 MB message before the bound; depth 40 never ended.
@pytest.mark.parametrize("depth", [24, 40])
@pytest.mark.parametrize("field", ["adj", "flip", "nodes", "root.un", "root.bin", "nodes[2].un",
                                   "nodes[0].op_un_bin"])  # fmt: skip
def test_a_shared_sub_list_bomb_is_refused_within_a_second(authors, field, depth):
    data = pickle.dumps([_plant(_ce_loss(authors), field, bomb(depth=depth))], protocol=2)
    error = outcome_within(1.0, lambda: legacy.loads_pickle(data))
    assert isinstance(error, GenomeError), error
    assert error.field == field and str(error).startswith(f"{field}: ")
    assert len(str(error)) < 500


def test_wide_and_self_containing_values_are_refused(authors):
    wide = [[[0] * 50] * 50] * 50  # three levels, 125,000 entries
    error = outcome_within(
        1.0, lambda: legacy.loads_pickle(pickle.dumps(_plant(_ce_loss(authors), "adj", wide)))
    )
    assert isinstance(error, GenomeError) and error.field == "adj" and "more than" in str(error)
    looped = [0]
    looped.append(looped)
    error = outcome_within(
        1.0, lambda: legacy.loads_pickle(pickle.dumps(_plant(_ce_loss(authors), "flip", looped)))
    )
    assert isinstance(error, GenomeError) and error.field == "flip" and len(str(error)) < 500


@pytest.mark.parametrize("depth", [24, 40])
def test_from_fields_refuses_a_bomb_adjacency_at_once(depth):
    adjacency = bomb(depth=depth)
    error = outcome_within(1.0, lambda: legacy.from_fields(adjacency, [0] * 5, [0] * 5, [0] * 5, True))
    assert isinstance(error, GenomeError) and error.field == "adjacency" and len(str(error)) < 500


def test_bad_values_are_quoted_briefly(authors):
    bad = _plant(_ce_loss(authors), "root.un", [list(range(200))])  # within the bound, not an int
    error = outcome_within(1.0, lambda: legacy.loads_pickle(pickle.dumps(bad)))
    assert isinstance(error, GenomeError) and error.field == "unary_ops[4]"
    assert "expected an integer, got [[0, 1, 2" in str(error) and len(str(error)) < 300


def test_real_pickles_still_load(authors):
    plain = _ce_loss(authors)
    as_lists = _ce_loss(authors, flip=False)
    as_lists.adj = as_lists.adj.tolist()  # a 9x9 list of lists: the largest real field
    as_lists.flip = np.bool_(False)
    algo = authors.GeneticAlgorithmRegularized()
    algo.gen = np.asarray([plain, as_lists], dtype=object)
    for protocol in (2, 5):
        data = pickle.dumps(algo, protocol=protocol)
        assert legacy.loads_pickle(data) == [catalog.CROSS_ENTROPY, catalog.CROSS_ENTROPY.replace(flip=False)]
