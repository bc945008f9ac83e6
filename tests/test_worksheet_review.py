"""A lecturer's review of the worksheets, point by point, without external tools.

The student's copy shows no number or formula a student is asked to find;
exercises ask about distinct units and refer back instead of re-deriving;
final answers are in chain order; the worked backward pass shows its
intermediate numbers (checked against a NumPy pass written here); page 1
states the chain rule and the four equations; plain names; the diagram
carries the example's numbers.  The same checks on PDF text and rendered
HTML are in tests/test_worksheet_pages.py.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
import sympy

from symbackprop import Network, models
from symbackprop.display import Numeral, value
from symbackprop.printing import latex, text
from symbackprop.worksheets import build, render
from symbackprop.worksheets.drawing import layout, svg
from symbackprop.worksheets.example import Example
from symbackprop.worksheets.html import render as render_html
from symbackprop.worksheets.katex import Assets
from symbackprop.worksheets.page import step_lines

from .test_worksheet import CLASSIC

NETWORKS = {
    "2-2-2": models.two_two_two,
    "beginner": models.beginner,
    "understanding": models.understanding,
    "bce": lambda: Network.from_spec(
        {"layers": [3, 2, 2], "activation": "tanh", "output_activation": "sigmoid", "loss": "binary_cross_entropy"}
    ),
    "l2": models.l2_mlp,
}


def _numerals(objects) -> set[str]:
    out = set()
    for obj in objects:
        out |= {n.text for n in sympy.sympify(obj).atoms(Numeral)}
    return out


def shown_numbers(sheet) -> set[str]:
    """Numbers both copies show: the given ones and the forward pass."""
    steps = [*(step for row in sheet.given for step in row), *sheet.forward]
    return _numerals(side for step in steps for side in (step.lhs, *step.rhs))


def key_numbers(sheet) -> set[str]:
    """Numbers only the key shows, with at least three significant digits (so no 0, 1 or 0.5)."""
    steps = [step for sol in sheet.solutions for section in sol.sections for step in section.steps]
    numbers = _numerals(side for step in steps for side in step.rhs) - shown_numbers(sheet)
    return {n for n in numbers if len(re.sub(r"[-.e+]|^[-0.]+", "", n.split("e")[0])) >= 3}


def key_expressions(sheet) -> set[str]:
    """The key's formulas as LaTeX: every side of every step, but short ones (a lone symbol)."""
    steps = [step for sol in sheet.solutions for section in sol.sections for step in section.steps]
    sides = {latex(side) for step in steps for side in step.rhs}
    return {side for side in sides if len(side) >= 25}


def html_text(sheet) -> str:
    """The HTML page without KaTeX's script and stylesheet (whose digits are not the sheet's), unescaped."""
    return html.unescape(render_html(sheet, katex=Assets("none", "", "")))


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("seed", [0, 3])
def test_the_student_copy_shows_nothing_the_student_is_asked_to_find(name, seed):
    sheet = build(NETWORKS[name](), seed=seed)
    numbers, expressions = key_numbers(sheet), key_expressions(sheet)
    assert len(numbers) >= 10 and len(expressions) >= 8, "the key has something to hide"
    teacher = render(sheet, "md")
    assert all(n in teacher for n in numbers)
    student = sheet.student_copy()
    for fmt in ("md", "tex", "html"):
        copy = render(student, fmt) if fmt != "html" else html_text(student)
        found = sorted(n for n in numbers if re.search(rf"(?<![0-9.]){re.escape(n)}(?![0-9])", copy))
        assert not found, f"{fmt}: the student copy shows the key's numbers {found[:5]}"
        leaked = [e for e in expressions if e in copy]
        assert not leaked, f"{fmt}: the student copy shows the key's formulas {leaked[:2]}"
    assert student.solutions == () and "Hint:" in render(student, "md")


def test_the_classic_key_reproduces_the_published_updates():
    sheet = build(models.two_two_two(), seed=0, **CLASSIC)
    assert [e.wrt for e in sheet.exercises] == ["W2[2,2]", "W1[2,2]", "b1[1]", "W2", None]
    md = render(sheet, "md")
    # Mazur's w8 and w4 after one step, to six significant digits.
    assert r"\text{new } w^{(2)}_{22} &= 0.55 - 0.5 \cdot \left(-0.0227402\right) = 0.561370" in md
    assert r"\text{new } w^{(1)}_{22} &= 0.3 - 0.5 \cdot 0.000995425 = 0.299502" in md


@pytest.mark.parametrize("name", NETWORKS)
def test_exercises_ask_about_distinct_units_then_the_matrix_then_the_numbers(name):
    network = NETWORKS[name]()
    for seed in range(12):
        exercises = build(network, seed=seed).exercises
        assert [e.kind for e in exercises][3:] == ["vectorised", "numbers"]
        units = [(e.parameter[1:], e.row) for e in exercises[:3]]
        assert len(set(units)) == 3, (seed, units)
        assert exercises[3].wrt == f"W{network.depth}" and exercises[4].wrt is None


def test_final_answers_are_written_in_chain_order():
    sheet = build(models.two_two_two(), seed=0, **CLASSIC)
    out, hidden, bias = (text(sol.answer) for sol in sheet.solutions[:3])
    assert out == "(a⁽²⁾₂ − y₂) · a⁽²⁾₂·(1 − a⁽²⁾₂) · a⁽¹⁾₂"  # ∂ℒ/∂a, then σ', then the input
    assert hidden == (
        "((a⁽²⁾₁ − y₁) · a⁽²⁾₁·(1 − a⁽²⁾₁) · w⁽²⁾₁₂ + (a⁽²⁾₂ − y₂) · a⁽²⁾₂·(1 − a⁽²⁾₂) · w⁽²⁾₂₂)"
        " · a⁽¹⁾₂·(1 − a⁽¹⁾₂) · x₂"
    )
    assert bias.endswith(") · a⁽¹⁾₁·(1 − a⁽¹⁾₁)")
    # The same chain order in the printed derivation.
    d = models.two_two_two().derive()
    assert d.text(wrt="W1[2,2]").splitlines()[-3].strip().startswith("= ((a⁽²⁾₁ − y₁) · a⁽²⁾₁·(1 − a⁽²⁾₁) · w⁽²⁾₁₂")


@pytest.mark.parametrize("name", NETWORKS)
def test_each_error_is_derived_once_and_referred_to_after(name):
    sheet = build(NETWORKS[name](), seed=1)
    derived: dict[str, int] = {}
    for sol in sheet.solutions[:3]:
        for section in sol.sections:
            for step in section.steps:
                if not str(step.lhs).startswith("delta"):
                    continue
                layer = str(step.lhs).split("_")[0]
                if len(step.rhs) > 1:  # derived through the chain rule
                    assert layer not in derived, f"{layer} derived twice"
                    derived[layer] = sol.exercise.number
                else:  # its result, pointing back
                    assert layer in derived and re.match(r"as (above|in exercise \d)", step.why), step.why
    assert derived


def test_the_worked_backward_pass_shows_the_numbers_in_between():
    """Every vector of the key's backward pass equals a NumPy pass written here."""
    sheet = build(models.two_two_two(), seed=0, **CLASSIC)
    x, y = np.array(CLASSIC["x"]), np.array(CLASSIC["y"])
    W1, b1, W2, b2 = (np.array(CLASSIC["params"][k]) for k in ("W1", "b1", "W2", "b2"))
    sigmoid = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    a1 = sigmoid(W1 @ x + b1)
    a2 = sigmoid(W2 @ a1 + b2)
    dL_da = a2 - y
    delta2 = dL_da * a2 * (1 - a2)
    back = W2.T @ delta2
    delta1 = back * a1 * (1 - a1)
    expected = [dL_da, a2 * (1 - a2), delta2, back, a1 * (1 - a1), delta1]
    steps = sheet.solutions[4].sections[0].steps
    assert [text(step.lhs) for step in steps] == ["∂ℒ/∂a⁽²⁾", "σ'(z⁽²⁾)", "δ⁽²⁾", "W⁽²⁾ᵀ δ⁽²⁾", "σ'(z⁽¹⁾)", "δ⁽¹⁾"]
    for step, numbers in zip(steps, expected, strict=True):
        assert len(step.rhs) >= 3, "formula, the numbers put in, the result"
        result = [n.value for n in step.rhs[-1]]
        np.testing.assert_allclose(result, numbers, rtol=1e-12)
        shown = [float(n.text) for n in step.rhs[-1]]
        np.testing.assert_allclose(shown, numbers, rtol=5e-6)  # six significant digits
    assert latex(steps[0].rhs[1]) == r"\left[\begin{matrix}0.751365 - 0.01\\0.772928 - 0.99\end{matrix}\right]"
    forward = render(sheet.student_copy(), "md")  # the loss with its numbers, on both copies
    assert r"\frac{\left(0.751365 - 0.01\right)^{2}}{2} + \frac{\left(0.772928 - 0.99\right)^{2}}{2}" in forward


def test_page_one_states_the_chain_rule_and_the_four_equations_in_plain_words():
    sheet = build(models.understanding(), seed=0)
    md = render(sheet.student_copy(), "md")
    first = md[: md.index("## The worked example")]
    assert "## The chain rule and the four equations" in first and "The chain rule:" in first
    for label in ("(BP1)", "(BP2)", "(BP3)", "(BP4)"):
        assert label in first
    assert "Nielsen, Neural Networks and Deep Learning, chapter 2" in first
    assert r"the number of layers, here 3" in first and r"| $\mathcal{L}$ | the loss of one sample" in first
    assert "w^{(1)}_{12}$ joins unit 2 of layer 0 to unit 1 of layer 1" in first
    assert "Iverson bracket" in first  # ReLU' and the softmax Jacobian are written [P]
    assert "two ReLU hidden layers, a softmax output and the cross-entropy loss" in first
    for internal in ("half_sse", "cross_entropy", "relu of each entry", "sheet 0", "Solution key"):
        assert internal not in md
    no_bias = render(build(models.beginner(), seed=0), "md")
    assert "(BP3)" not in no_bias and "without biases" in no_bias


def test_binary_cross_entropy_after_a_sigmoid_is_shown_as_a_minus_y():
    network = NETWORKS["bce"]()
    d = network.derive()
    a, y = d.symbols.layers[-1].a[0], d.symbols.y[0]
    assert sympy.simplify(d.deltas[-1][0] - (a - y)) == 0  # what is computed is the rule as written
    steps = {str(step.lhs): step for section in d.sections(wrt="W2[1,1]") for step in section.steps}
    identity = steps["delta2_j"]
    assert text(identity.rhs[-1]) == "a_j − y_j" and "binary cross-entropy" in identity.why
    assert text(steps["delta2_1"].rhs[-1]) == "a⁽²⁾₁ − y₁"
    assert sympy.simplify(value(steps["delta2_1"].rhs[-2]) - (a - y)) == 0, "the factors shown cancel to a − y"
    matrix = d.text(level="matrix")
    assert "= a⁽²⁾ − y" in matrix


def test_the_diagram_carries_the_example_numbers_like_the_published_ones():
    sheet = build(models.two_two_two(), seed=0, **CLASSIC)
    picture = sheet.picture
    weights = {e.value for e in picture.edges if picture.units[e.source].kind == "unit" and e.value}
    assert weights == {"0.15", "0.2", "0.25", "0.3", "0.4", "0.45", "0.5", "0.55"}
    biases = [e.value for e in picture.edges if picture.units[e.source].kind == "bias"]
    assert biases == ["0.35", "0.35", "0.6", "0.6"] and sum(u.kind == "bias" for u in picture.units) == 2
    assert [u.value for u in picture.units if u.value] == ["0.05", "0.1", "y1 = 0.01", "y2 = 0.99"]
    # A wide network names only the exercises' parameters.
    wide = build(models.understanding(), seed=0).picture
    assert not any(e.value for e in wide.edges) and not any(u.kind == "bias" for u in wide.units)


@pytest.mark.parametrize("name", ["2-2-2", "bce", "2-3-2"])
def test_a_marked_parameter_s_name_stands_clear_of_every_number_and_name(name):
    """On a weight the name sits past its number; on a bias before it, near the unit marked 1."""
    from symbackprop.worksheets.drawing import _label_point, _name_at, _value_at

    network = Network.from_layers([2, 3, 2]) if name == "2-3-2" else NETWORKS[name]()
    for seed in range(4):
        picture = build(network, seed=seed).picture
        numbers = [_label_point(picture, e, _value_at(picture, e)) for e in picture.edges if e.value]
        names = [_label_point(picture, e, _name_at(picture, e)) for e in picture.edges if e.label]
        assert len(names) == 3 and len(numbers) > 10
        for i, point in enumerate(names):
            others = numbers + names[:i] + names[i + 1:]
            assert min(np.hypot(point[0] - x, point[1] - y) for x, y in others) > 0.55, (seed, i)


def test_svg_indices_are_stacked_as_in_print():
    out = svg(layout(models.two_two_two(), highlight=("w2_12",)))
    label = re.search(r'<text><tspan x="([\d.]+)"[^>]*font-style="italic">a</tspan><tspan x="([\d.]+)"[^>]*>\(1\)</tspan>'
                      r'<tspan x="([\d.]+)"', out)
    assert label and label.group(2) == label.group(3), "superscript and subscript start at the same x"


def test_numbers_keep_the_digits_asked_for():
    assert latex(Numeral.rounded(0.593269992, 6)) == "0.593270"
    assert latex(Numeral.rounded(0.593269992, 5)) == "0.59327"
    assert latex(Numeral.rounded(2.0004, 3)) == "2.00"  # rounded: every digit shows
    assert latex(Numeral.rounded(-2.41234e-7, 3)) == r"-2.41 \cdot 10^{-7}"
    assert text(Numeral.rounded(-2.41234e-7, 3)) == "−2.41·10^−7"
    # A number the digits hold exactly is written as short as it is.
    assert text(Numeral.rounded(1.0, 6)) == "1" and text(Numeral.exact(0.35)) == "0.35"


def test_example_keeps_given_numbers_as_given():
    d = models.two_two_two().derive()
    sheet = build(models.two_two_two(), seed=0, **CLASSIC)
    example = Example(d, sheet.values, 6)
    assert example.numeral(d.symbols.layers[0].W[0, 0]).text == "0.15"
    assert example.numeral(d.symbols.layers[0].a[0]).text == "0.593270"


@pytest.mark.parametrize("name", ["2-2-2", "understanding"])
def test_each_exercise_has_its_own_room_and_the_key_comes_where_the_room_was(name):
    sheet = build(NETWORKS[name](), seed=0)
    teacher, student = render(sheet, "md"), render(sheet.student_copy(), "md")
    for copy, inside in ((teacher, "#### Key"), (student, "> ")):
        blocks = re.split(r"^### Exercise \d+:", copy, flags=re.M)[1:]
        assert len(blocks) == len(sheet.exercises) == 5
        assert all(inside in block for block in blocks[:4])  # the numbers exercise has blanks, not a box
    for block in re.split(r"^### Exercise \d+:", student, flags=re.M)[1:]:
        assert "Key" not in block
    # Room sized to the expected answer: a line more than the key's derivation of it (the chain, the
    # factors, the result) takes when typeset at the page width; a longer answer gets a taller box.
    gradients = [(ex, sol) for ex, sol in zip(sheet.exercises, sheet.solutions, strict=True) if ex.asks_gradient]
    typeset = [len(step_lines(sol.sections[-1].steps[-1])) for _, sol in gradients]
    rooms = [ex.room[0].lines for ex, _ in gradients]
    assert all(room >= lines + 1 for room, lines in zip(rooms, typeset, strict=True)), (rooms, typeset)
    widths = [len(latex(sol.answer)) for _, sol in gradients]
    assert rooms[widths.index(max(widths))] > rooms[widths.index(min(widths))], (rooms, widths)
