"""The printers: notation, structure of the output, and that the LaTeX compiles."""

from __future__ import annotations

import subprocess

import pytest
import sympy

from symbackprop import Network, models
from symbackprop.printing import LatexWriter, MarkdownWriter, TextWriter, latex, text
from tests.conftest import require_latex


def test_symbol_names_follow_the_convention():
    w, delta, x = sympy.symbols("w2_13 delta1_2 x3")
    assert latex(w) == "w^{(2)}_{13}"
    assert latex(delta) == r"\delta^{(1)}_{2}"
    assert latex(x) == "x_{3}"
    assert text(w) == "w⁽²⁾₁₃"
    assert text(sympy.Symbol("w1_3_12")) == "w⁽¹⁾₃,₁₂"


def test_matrix_level_uses_odot_transpose_and_layer_superscripts():
    d = models.beginner().derive()
    out = d.latex(level="matrix")
    assert r"\odot" in out
    assert r"\left(W^{(3)}\right)^{\top} \delta^{(3)}" in out
    assert r"\frac{\partial L}{\partial W^{(1)}} &= \delta^{(1)} x^{\top}" in out
    assert r"(3 \times 1)(1 \times 2) \to (3 \times 2)" in out
    # every one of the four equations appears for every layer it applies to
    assert out.count("BP2") == 2 and out.count("BP4") == 3 and "BP3" not in out  # no biases


def test_scalar_latex_is_one_step_per_line_with_a_reason():
    out = models.two_two_two().derive().latex(wrt="W2")
    assert out.count(r"\begin{align*}") == out.count(r"\end{align*}") >= 3
    assert r"\text{$\textstyle w_{jk}$ enters $\textstyle L$ only through" in out
    assert r"\frac{\partial L}{\partial w^{(2)}_{11}}" in out
    # W2 needs only the output errors, not layer 1's
    assert r"\delta^{(1)}_{1} &=" not in out


def test_softmax_cross_entropy_simplification_is_shown():
    out = models.understanding().derive().text(level="matrix")
    assert "δ⁽³⁾ = (J_softmax)ᵀ ∇_a⁽³⁾L" in out
    assert "= a⁽³⁾ - y" in out or "= a⁽³⁾ − y" in out


def test_relu_derivative_convention_is_stated():
    out = Network.from_layers([2, 2, 1], "relu", "sigmoid").derive().text()
    assert "ReLU'(0) is taken as 0" in out
    assert "[z⁽¹⁾₁ > 0]" in out or "[a⁽¹⁾₁ > 0]" in out


def test_writers_reject_unknown_settings():
    for writer in (LatexWriter, MarkdownWriter, TextWriter):
        with pytest.raises(TypeError, match="unknown"):
            writer(colour="red")


def test_markdown_wraps_math_in_display_blocks():
    out = models.two_two_two().derive().markdown(level="matrix")
    assert out.startswith("## Forward pass")
    assert out.count("$$\n\\begin{aligned}") == out.count("\\end{aligned}\n$$") == 3


def test_repr_latex_for_jupyter_is_one_math_block():
    out = models.two_two_two().derive()._repr_latex_()
    assert out.startswith(r"\begin{align*}") and out.endswith(r"\end{align*}")


@pytest.mark.parametrize(
    "net",
    [models.two_two_two(), models.understanding(), Network.from_layers([2, 2, 1], "leaky_relu(0.1)", "tanh")],
    ids=["2-2-2", "understanding", "leaky-tanh"],
)
def test_latex_document_compiles(tmp_path, net):
    require_latex()
    d = net.derive()
    source = LatexWriter().document(d, d.sections(wrt=net.parameter_names()[0]))
    (tmp_path / "d.tex").write_text(source)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "d.pdf").stat().st_size > 1000
