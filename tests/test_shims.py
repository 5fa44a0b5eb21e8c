"""The deprecated shim packages of the first build resolve each old name, with a warning,
to the object that moved (`lossevo._moved.resolver`)."""

import re

import pytest

from lossevo import evolution, gp, search
from lossevo.space import tree


def test_old_names_resolve_to_the_moved_objects_with_a_warning():
    with pytest.warns(DeprecationWarning, match=r"lossevo\.gp\.TreeGenome moved to lossevo\.space\.tree"):
        assert gp.TreeGenome is tree.TreeGenome
    with pytest.warns(DeprecationWarning, match=r"lossevo\.evolution\.run_search moved to lossevo\.search"):
        assert evolution.run_search is search.run_search


def test_an_unknown_old_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match=re.escape("module 'lossevo.gp' has no attribute 'nope'")):
        gp.nope  # noqa: B018
