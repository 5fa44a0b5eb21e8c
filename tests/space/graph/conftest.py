"""The fixture both tests of the authors' pickles use (`test_legacy`, `test_legacy_bounds`)."""

import sys
import types

import pytest


def legacy_module():
    """Classes shaped like the authors' Node/Loss, living in a module of their name."""
    mod = types.ModuleType("loss_function_evolution")

    class Node:
        def __init__(self, op_un_bin, un, bi, ident):
            self.un_bin_perc = [0.7, 0.3]
            self.op_un_bin, self.un, self.bin, self.id = op_un_bin, un, bi, ident

    class Loss:
        pass

    class GeneticAlgorithmRegularized:
        pass

    for cls in (Node, Loss, GeneticAlgorithmRegularized):
        cls.__module__ = mod.__name__
        cls.__qualname__ = cls.__name__
        setattr(mod, cls.__name__, cls)
    return mod


@pytest.fixture
def authors():
    mod = legacy_module()
    sys.modules[mod.__name__] = mod
    yield mod
    del sys.modules[mod.__name__]
