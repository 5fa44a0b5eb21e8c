"""Formula rendering: text, LaTeX, SymPy (agrees numerically with the loss)."""

import numpy as np
import pytest
import sympy as sp

from lossevo.losses import catalog
from lossevo.space.graph import formula, to_latex, to_paper, to_sympy, to_text
from lossevo.space.graph.evaluate import root_values


def test_text_golden():
    assert to_text(catalog.CROSS_ENTROPY) == "y*ln(|ŷ|+ε)"
    assert to_paper(catalog.CROSS_ENTROPY) == "-1/n Σ_i (y*ln(|ŷ|+ε))"
    assert to_text(catalog.NEUROLOSS3) == "ln(|ŷ/sqrt(1+(ŷ/(y+ε))^2)|+ε) + min(y, ŷ/(y+ε))"
    assert to_paper(catalog.A2) == "1/n Σ_i (y/(bessel_i0e(ln(|ŷ|+ε))+ε))"
    # Non-atomic arguments are parenthesised where precedence needs it.
    assert to_text(catalog.M1) == "ln(|1+exp(ŷ - y)|+ε)"
    assert formula.expression_text(("mul", ("add", "y", "y_hat"), "one")) == "(y + ŷ)*1"
    assert formula.expression_text(("sub", "y", ("sub", "y_hat", "one"))) == "y - (ŷ - 1)"


def test_latex_golden():
    assert to_latex(catalog.CROSS_ENTROPY) == (
        r"-\frac{1}{n}\sum_i \left(\left(y_i\right) \cdot \left(\ln\left(\left|\hat{y}_i\right|+\epsilon\right)\right)\right)"
    )
    assert to_latex(catalog.A2).count(r"\left(") == to_latex(catalog.A2).count(r"\right)")


@pytest.mark.parametrize("entry", catalog.ENTRIES, ids=lambda e: e.name)
def test_sympy_matches_numpy_evaluation(entry):
    g = entry.genome
    expr = to_sympy(g, eps=1e-7)
    f = sp.lambdify((formula.Y, formula.Y_HAT), expr, modules=["scipy", "numpy"])
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 1, 200)
    y_hat = rng.uniform(0.01, 0.99, 200)
    with np.errstate(all="ignore"):
        got = np.broadcast_to(f(y, y_hat), y.shape).astype(np.float64)
        want = np.asarray(root_values(g, y.astype(np.float32), y_hat.astype(np.float32), "np"), np.float64)
    want = -want if g.flip else want
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=2e-4, atol=2e-5)


def test_sympy_simplify_on_request():
    raw = to_sympy(catalog.BAIKAL)
    simple = to_sympy(catalog.BAIKAL, simplify=True)
    assert sp.simplify(raw - simple) == 0
    assert to_sympy(catalog.CROSS_ENTROPY, simplify=True) == -formula.Y * sp.log(formula.EPS + formula.Y_HAT)
