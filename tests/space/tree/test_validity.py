"""Paper 003's value-range rule, on the loss: the class mean of a tree's term on the binary
grid, finite everywhere, its largest |value| in [1e-6, 1e6] (docs/reference.md §12)."""

import numpy as np
import pytest

from lossevo.losses.ngl import NGL_TREE
from lossevo.space.tree import Limits, validity

CE = ("neg", ("mul", "y", ("log", "y_hat")))
MSE = ("mul", ("sub", "y", "y_hat"), ("sub", "y", "y_hat"))


@pytest.mark.parametrize("expr", [CE, MSE, NGL_TREE.expression], ids=["ce", "mse", "ngl"])
def test_cross_entropy_mse_and_ngl_pass(expr):
    assert validity.check_expression(expr).ok


def test_the_first_builds_term_rule_rejected_ce_and_mse():
    term = Limits(range_rule="term")
    assert validity.check_expression(CE, term).reason == "out_of_range"  # 0 for the wrong class
    assert validity.check_expression(MSE, term).reason == "out_of_range"  # 0 at a perfect prediction
    with pytest.raises(ValueError, match="range_rule"):
        Limits(range_rule="values")


def test_a_loss_that_leaves_the_range_is_rejected():
    tiny = ("div", ("mul", "y", "y_hat"), 1e8)  # at most 5e-9
    huge = ("exp", ("mul", ("add", "y", "y_hat"), 20.0))  # e^20 / 2 ... e^40 / 2
    assert validity.check_expression(tiny).reason == "out_of_range"
    assert validity.check_expression(huge).reason == "out_of_range"
    assert validity.check_expression(("log", ("sub", "y", "y"))).reason in ("missing_input", "too_short")


def test_the_loss_grid_golden_values():
    # CE's loss at prediction p for target (1, 0): -ln(p + 1e-8) / 2 (class mean of two classes).
    loss = validity.loss_values(CE)
    p = validity.LOSS_Y_HAT[0]
    np.testing.assert_allclose(loss[1:], -np.log(p[1:] + 1e-8) / 2, rtol=1e-5)
    assert loss[-1] == pytest.approx(0.0, abs=1e-7) and loss[0] == pytest.approx(-np.log(1e-8) / 2, rel=1e-5)
    np.testing.assert_allclose(validity.loss_values(MSE), (1 - p) ** 2, rtol=1e-5, atol=1e-7)


def test_binary_ngl_has_its_minimum_near_0_57():
    # Paper 003 (lines ~438 and ~680): the binary NGL minimum for y = 1 lies at ŷ ≈ 0.57.
    loss = validity.loss_values(NGL_TREE.expression)
    p = validity.LOSS_Y_HAT[0]
    assert p[np.argmin(loss)] == pytest.approx(0.57, abs=0.01)
    assert loss[0] > loss.min() < loss[-1]  # a true interior minimum: not monotone like CE
