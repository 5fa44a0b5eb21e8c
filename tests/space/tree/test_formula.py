"""Rendering trees: text, LaTeX, SymPy; the SymPy form agrees with the TF values."""

import numpy as np
import pytest
import sympy as sp

from lossevo.losses.ngl import NGL_CONSTANT, NGL_TREE
from lossevo.space import tree as gp
from lossevo.space.tree import TreeGenome, formula
from lossevo.space.tree.evaluate import values


def test_text_and_paper():
    assert gp.to_text(NGL_TREE) == "exp(2.4092 - ŷ - (ŷ*y)) - cos(cos(sin(ŷ)))"
    assert gp.to_paper(NGL_TREE) == "1/N Σ_i (exp(2.4092 - ŷ - (ŷ*y)) - cos(cos(sin(ŷ))))"
    g = TreeGenome(("div", ("neg", ("add", "y", 3.0)), ("sqrt", ("log", "y_hat"))))
    assert gp.to_text(g) == "(-(y + 3))/(sqrt(|log(|ŷ|+ε)|+ε)+ε)"
    assert gp.to_text(TreeGenome(("mul", ("add", "y", "y_hat"), -1.5))) == "(y + ŷ)*(-1.5)"
    assert repr(NGL_TREE).startswith("TreeGenome('exp(2.4092")


def test_latex():
    g = TreeGenome(("mul", "y", ("log", ("div", "y_hat", 0.5))))
    assert gp.to_latex(g) == (
        r"\frac{1}{N}\sum_{i=1}^{N} \left(\left(y_i\right) \cdot \left(\ln\left(\left|"
        r"\frac{\hat{y}_i}{0.5+\epsilon}\right|+\epsilon\right)\right)\right)"
    )
    assert r"e^{2.4092" in gp.to_latex(NGL_TREE)


def test_ngl_tree_is_the_papers_formula_in_sympy():
    y, p = formula.Y, formula.Y_HAT
    alpha = sp.Rational(str(NGL_CONSTANT))
    hand_written = sp.exp(alpha - p - p * y) - sp.cos(sp.cos(sp.sin(p)))
    assert sp.simplify(gp.to_sympy(NGL_TREE) - hand_written) == 0
    # The paper's typesetting, exp(α - ŷ(1 + y)), is the same function.
    assert sp.simplify(gp.to_sympy(NGL_TREE) - (sp.exp(alpha - p * (1 + y)) - sp.cos(sp.cos(sp.sin(p))))) == 0
    assert sp.simplify(gp.to_sympy(NGL_TREE) - (sp.exp(alpha - p) - sp.cos(sp.cos(sp.sin(p))))) != 0


def test_protected_forms_in_sympy():
    g = TreeGenome(("add", ("sqrt", "y"), ("div", ("log", "y_hat"), "y")))
    e = formula.EPS
    want = sp.sqrt(sp.Abs(formula.Y) + e) + sp.log(sp.Abs(formula.Y_HAT) + e) / (formula.Y + e)
    assert sp.simplify(gp.to_sympy(g) - want) == 0
    assert gp.to_sympy(g, eps=0) == sp.sqrt(formula.Y) + sp.log(formula.Y_HAT) / formula.Y


@pytest.mark.parametrize("seed", range(6))
def test_sympy_agrees_with_tensorflow_on_random_trees(seed):
    y = np.array([0.0, 1.0, 0.0, 1.0], np.float32)
    p = np.array([0.1, 0.3, 0.7, 0.95], np.float32)
    for g in gp.sample_trees(8, np.random.default_rng(seed)):
        fn = sp.lambdify((formula.Y, formula.Y_HAT), gp.to_sympy(g, eps=gp.EPSILON), "numpy")
        # float32 inputs: the float32 rounding (1 + ε == 1) decides some values.
        with np.errstate(all="ignore"):
            want = np.broadcast_to(fn(y, p), y.shape)
            # Where a relative change of 1e-6 in ŷ moves the value (sin of ~1e8, say), float32
            # cannot agree with anything: only well-conditioned points are compared.
            nearby = np.broadcast_to(fn(y.astype(np.float64), p.astype(np.float64) * (1 + 1e-6)), y.shape)
        stable = np.abs(want - nearby) < 1e-3
        got = np.broadcast_to(values(g.expression, y, p, "np"), y.shape)
        np.testing.assert_allclose(got[stable], want[stable], rtol=2e-4, atol=1e-5, err_msg=gp.to_text(g))


def test_every_genome_renders_itself_through_the_protocol():
    from lossevo.losses import catalog
    from lossevo.space import Genome
    from lossevo.space.graph import formula as graph_formula

    assert NGL_TREE.to_text() == gp.to_text(NGL_TREE) and NGL_TREE.to_sympy() == gp.to_sympy(NGL_TREE)
    assert catalog.CROSS_ENTROPY.to_paper() == graph_formula.to_paper(catalog.CROSS_ENTROPY)
    assert catalog.A2.to_latex() == graph_formula.to_latex(catalog.A2)
    assert isinstance(NGL_TREE, Genome) and isinstance(catalog.A2, Genome) and not isinstance("y", Genome)
