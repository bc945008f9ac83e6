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
    assert r"\frac{\partial \mathcal{L}}{\partial W^{(1)}} &= \delta^{(1)} x^{\top}" in out
    assert r"(3 \times 1)(1 \times 2) \to (3 \times 2)" in out
    # every one of the four equations appears for every layer it applies to
    assert out.count("BP2") == 2 and out.count("BP4") == 3 and "BP3" not in out  # no biases


def test_scalar_latex_is_one_step_per_line_with_a_reason():
    out = models.two_two_two().derive().latex(wrt="W2")
    assert out.count(r"\begin{align*}") == out.count(r"\end{align*}") >= 3
    assert r"{\textstyle w_{jk}}\text{ enters }{\textstyle \mathcal{L}}\text{ only through" in out
    assert r"\frac{\partial \mathcal{L}}{\partial w^{(2)}_{11}}" in out
    # W2 needs only the output errors, not layer 1's
    assert r"\delta^{(1)}_{1} &=" not in out


def test_softmax_cross_entropy_simplification_is_shown():
    out = models.understanding().derive().text(level="matrix")
    assert "δ⁽³⁾ = (J_softmax)ᵀ ∇_a⁽³⁾ℒ" in out
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


def test_repr_latex_for_jupyter_is_one_delimited_math_block_of_every_step():
    d = models.two_two_two().derive()
    out = d._repr_latex_()
    # VS Code and Jupyter render LaTeX output only between $$ delimiters.
    assert out.startswith("$$\n\\begin{aligned}") and out.endswith("\\end{aligned}\n$$")
    assert out.count(r"\begin{aligned}") == 1 and "\\begin{align*}" not in out
    # The step-by-step derivation, not only the matrix equations.
    assert r"&\textbf{Forward pass}" in out
    assert r"\delta^{(1)}_{2} &= \frac{\partial \mathcal{L}}{\partial z^{(1)}_{2}}" in out
    assert out.count(r"\frac{\partial \mathcal{L}}{\partial w^{(1)}_{") == 4


def test_repr_markdown_shows_the_steps_and_a_large_network_the_matrix_level():
    small = models.two_two_two().derive()._repr_markdown_()
    assert small.startswith("## Forward pass") and "## Errors of layer 1" in small
    assert small.count("$$\n\\begin{aligned}") == small.count("\\end{aligned}\n$$") >= 6
    large = Network.from_layers([4, 8, 8, 2]).derive()._repr_markdown_()
    assert large.startswith("## Forward pass (matrix form)") and "w^{(1)}_{11}" not in large


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


# -- text that reads right (issue 13: softmax brackets, one minus sign, ⊙ in shape notes, width) --


def test_softmax_is_written_with_its_denominator_in_brackets():
    out = models.understanding().derive().text()
    assert "a⁽³⁾₁ = exp(z⁽³⁾₁)/(exp(z⁽³⁾₁) + exp(z⁽³⁾₂) + exp(z⁽³⁾₃))" in out


@pytest.mark.parametrize(
    "spec",
    [
        {"layers": [2, 4, 4, 3], "activation": "relu", "output_activation": "softmax", "loss": "cross_entropy"},
        {"layers": [2, 3, 1], "activation": "tanh", "output_activation": "sigmoid", "loss": "binary_cross_entropy"},
        {"layers": [2, 2, 2], "activation": "leaky_relu(0.1)", "output_activation": "identity", "loss": "mse"},
    ],
    ids=["softmax", "bce", "leaky"],
)
def test_text_math_uses_one_minus_sign(spec):
    d = Network.from_spec(spec).derive()
    writer = TextWriter()
    for level in ("scalar", "matrix"):
        for section in d.sections(level=level):
            for step in section.steps:
                math = [line for line in writer.step_lines(step) if not line.lstrip().startswith("[")]
                assert not any("-" in line for line in math), math


def test_shape_notes_set_the_elementwise_product_apart():
    out = models.understanding().derive().text(level="matrix", width=200)
    assert "(4×3)(3×1) ⊙ (4×1) → (4×1)" in out  # BP2: (W⁽³⁾)ᵀ δ⁽³⁾ ⊙ ReLU'(z⁽²⁾)
    assert "(3×3)(3×1) → (3×1)" in out  # BP1 with the softmax Jacobian: a matrix product
    assert r"(2 \times 1) \odot (2 \times 1) \to (2 \times 1)" in models.two_two_two().derive().latex(level="matrix")
    # The same in a network of layer kinds: back through a dense layer, then its activation's σ'.
    layered = Network.from_spec({"input": 3, "loss": "half_sse", "layers": [
        {"type": "dense", "units": 4}, {"type": "batchnorm", "activation": "relu"},
        {"type": "dense", "units": 2, "activation": "tanh"}]}).derive().text(level="matrix", width=200)
    assert "[back through layer 3 (dense); (4×2)(2×1) ⊙ (4×1) → (4×1)]" in layered
    assert "[ReLU, entry by entry; (4×1) → (4×1)]" in layered


@pytest.mark.parametrize(
    "layers", [[2, 4, 4, 3], [8, 7, 2], [2, 4, 4, 4, 3]], ids=["2-4-4-3", "8-7-2", "2-4-4-4-3"]
)
def test_text_wraps_at_its_width(layers):
    d = Network.from_layers(layers, "relu", "softmax", loss="cross_entropy").derive()
    for width in (88, 60):
        out = d.text(width=width)
        assert max(len(line) for line in out.splitlines()) <= width
    long_sum = d.text(width=60, wrt="W1[1,1]")
    assert "\n" in long_sum and any(line.lstrip().startswith("+ ") for line in long_sum.splitlines())


def test_latex_breaks_a_long_sum_over_lines_with_brackets_that_close_on_each_line():
    writer = LatexWriter(width=30)
    d = models.understanding().derive()
    step = [s for sec in d.sections(wrt="W1[1,1]") for s in sec.steps if str(s.lhs) == "delta1_1"][0]
    lines = writer.step_lines(step)
    assert len(lines) > len(step.rhs) + 1, "some side was broken"
    for line in lines:
        assert line.count(r"\left") == line.count(r"\right"), line  # \left…\right cannot span lines
    assert any(r"\Biggl(" in line for line in lines) and any(line.startswith(r" &\quad +") for line in lines)
