"""Worksheets of a convolution (a 1-channel 4×4 image, a 2×2 kernel), an RNN over 3 steps,
batch norm over 3 samples, layer norm of one sample and dropout with its mask: the
exercises, the key's answers judged by verify, its numbers against the compiled gradient
and against finite differences at the worked example's inputs (a dropout mask folded into
the weights after it), the student's copy without the key's numbers or formulas, and the
PDFs compiled, inside their margins."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from symbackprop import Network, models, verify
from symbackprop.display import Partial
from symbackprop.errors import UnsupportedError
from symbackprop.gradient_check import central_differences
from symbackprop.printing import latex as latex_text
from symbackprop.symbols import LOSS
from symbackprop.worksheets import LayerSheet, render, worksheet
from symbackprop.worksheets.layered import build

from .conftest import require_installed, require_latex
from .test_worksheet_pages import MARGIN_PT, SLACK_PT, compile_tex, pages, pdf_text, words
from .test_worksheet_review import _numerals, html_text

DOCS = Path(__file__).resolve().parent.parent / "docs" / "files"

def _with_l2(make):
    return lambda: Network.from_spec({**make().to_spec(), "l2": 0.1})


def _strided():  # the small convolution with stride 2 and padding 1: a 3×3 output
    spec = models.small_conv().to_spec()
    spec["layers"][0] |= {"stride": 2, "padding": 1}
    return Network.from_spec(spec)


SMALL = {"conv": models.small_conv, "conv-strided": _strided, "rnn": models.small_rnn, "batchnorm": models.small_batchnorm,
         "layernorm": models.small_layernorm, "dropout": models.small_dropout,
         "rnn-l2": _with_l2(models.small_rnn), "dropout-l2": _with_l2(models.small_dropout)}
EXERCISES = {  # the parameters the exercises ask about, the numbers exercise last
    "conv": ["W1", "b1", ""],
    "conv-strided": ["W1", "b1", ""],
    "rnn": ["W1", "U1", "b1", ""],
    "batchnorm": ["gamma2", "beta2", "W1", ""],
    "layernorm": ["gamma2", "beta2", "W1", ""],
    "dropout": ["W3", "W1", "b1", ""],
    "rnn-l2": ["W1", "U1", "b1", ""],
    "dropout-l2": ["W3", "W1", "b1", ""],
}
ANSWERS = {  # the classic form each key must give, in LaTeX
    "conv": {"W1": r"\delta^{(1)} \star x"},
    "conv-strided": {"W1": r"\operatorname{dilate}_{2}(\delta^{(1)}) \star \operatorname{pad}_{1}(x)"},
    "rnn": {"W1": r"\sum_{t=1}^{T} \delta^{(1)}_t (x_t)^T", "U1": r"(h^{(1)}_{t-1})^T"},
    "batchnorm": {"W1": r"\frac{\gamma^{(2)}}{N \sigma_B}\left(N \delta^{(2)} - \sum_n \delta^{(2)}_n"},
    "layernorm": {"W1": r"\frac{1}{3 \sigma^{(2)}}\left(3\, \gamma^{(2)} \odot \delta^{(2)} - \sum_{j}", "gamma2": r"\odot \hat{x}^{(2)}"},
    "dropout": {"W1": r"m^{(2)} \odot (W^{(3)})^T \delta^{(3)} \odot \tanh'(z^{(1)})", "W3": r"(m^{(2)} \odot a^{(1)})^T"},
    "rnn-l2": {"W1": r"(x_t)^T + \lambda W^{(1)}", "U1": r"(h^{(1)}_{t-1})^T + \lambda U^{(1)}"},
    "dropout-l2": {"W1": r"x^T + \lambda W^{(1)}", "W3": r"(m^{(2)} \odot a^{(1)})^T + \lambda W^{(3)}"},
}


@pytest.fixture(scope="module", params=list(SMALL))
def sheet(request) -> tuple[str, LayerSheet]:
    return request.param, build(SMALL[request.param](), seed=1)


def test_the_exercises_ask_for_the_featured_layers_gradients(sheet):
    name, s = sheet
    assert [e.parameter for e in s.exercises] == EXERCISES[name]
    assert s.samples == (3 if name == "batchnorm" else 1)
    assert s.check.passed and s.check.entries == s.network.parameter_count()


def test_each_answer_of_the_key_is_judged_correct_by_verify_and_its_classic_mistake_is_not(sheet):
    name, s = sheet
    for solution in s.solutions[:-1]:
        answer = solution.answer.args[0] if hasattr(solution.answer, "args") else solution.answer
        latex = str(answer)
        assert verify(s.network, solution.exercise.parameter, latex, syntax="latex", points=4).correct, latex
    for wrt, part in ANSWERS[name].items():
        assert any(part in str(sol.answer) for sol in s.solutions if sol.exercise.parameter == wrt), (wrt, part)
    # The mistakes the sheet's tasks warn about are not what the key says.
    mistakes = {"conv": ("W1", r"\delta^{(1)} \ast x"), "rnn": ("W1", r"\delta^{(1)}_T x_T^T"),
                "conv-strided": ("W1", r"\operatorname{dilate}_{2}(\delta^{(1)}) \ast \operatorname{pad}_{1}(x)"),
                "batchnorm": ("W1", r"\left(\frac{\gamma}{\sigma_B} \odot \delta^{(2)}\right) x^T"),
                "layernorm": ("W1", r"\left(\frac{\gamma^{(2)} \odot \delta^{(2)}}{\sigma^{(2)}}\right) x^T"),
                "dropout": ("b1", r"(W^{(3)})^T \delta^{(3)} \odot \tanh'(z^{(1)})"),
                "rnn-l2": ("U1", r"\sum_{t=2}^{T} \delta^{(1)}_t (h^{(1)}_{t-1})^T"),  # λU forgotten
                "dropout-l2": ("b1", r"m^{(2)} \odot (W^{(3)})^T \delta^{(3)} \odot \tanh'(z^{(1)}) + \lambda b^{(1)}")}
    wrt, wrong = mistakes[name]
    assert not verify(s.network, wrt, wrong, syntax="latex", points=4).correct


def test_the_worked_example_is_in_tenths_and_its_numbers_are_the_compiled_gradient_and_finite_differences(sheet):
    name, s = sheet
    given = {str(step.lhs): _array(step.rhs[0]) for step in s.given}
    for values in given.values():
        assert np.allclose(values * 10, np.round(values * 10))  # whole tenths (a mask of 0s and 2s), to work by hand
    net = s.network
    shapes = net.parameter_shapes()
    by_name = {net_name: given[label] for net_name, label in _labels(net).items()}
    params = {k: by_name[k].reshape(shapes[k]) for k in net.parameter_names()}
    X = by_name["x"].T.reshape(s.samples, *net.input_shape) if s.samples > 1 else by_name["x"].reshape(1, *net.input_shape)
    Y = by_name["y"].reshape(s.samples, net.output_size)
    f = net.compile()
    if name.startswith("dropout"):  # the sheet's own mask, folded into the weights after it, with the compiled draw off
        mask = given["m^{(2)}"].reshape(-1)
        assert set(mask) <= {0.0, 2.0} and "m^{(2)}" in render(s.student_copy(), "tex")  # 1/(1 − p) = 2, printed on both copies
        lam = net.l2
        def fold(p):
            return {**p, "W3": p["W3"] * mask[None, :]}
        def loss(p):  # the L2 term of the weights as they are, not of the folded ones
            return f.loss(fold(p), X, Y, seed=None) + lam / 2 * float((p["W3"] ** 2 - fold(p)["W3"] ** 2).sum())
        _, folded = f(fold(params), X, Y, seed=None)
        grads = {**folded, "W3": (folded["W3"] - lam * fold(params)["W3"]) * mask[None, :] + lam * params["W3"]}
    else:
        _, grads = f(params, X, Y)
        def loss(p):
            return f.loss(p, X, Y)
    numeric = central_differences(loss, params)
    # ∂L/∂θ's line of the numbers key, by the name of θ
    numbers = {step.lhs.args[1].name: _array(step.rhs[0])
               for step in s.solutions[-1].sections[0].steps if isinstance(step.lhs, Partial)}
    for wrt in EXERCISES[name][:-1]:
        shown = numbers[_latex(wrt)].reshape(shapes[wrt])
        assert np.allclose(shown, grads[wrt], rtol=10 ** (1 - s.digits), atol=1e-12), wrt
        assert np.allclose(shown, numeric[wrt], rtol=10 ** (1 - s.digits), atol=1e-8), wrt
    if name == "dropout":  # a dropped unit: no gradient reaches its weights or its bias
        dropped = mask == 0
        assert dropped.any() and not grads["W1"][dropped].any() and not grads["W3"][:, dropped].any()
    if net.l2:  # a weight's gradient is its data term plus λW: the λW is on the sheet
        assert "L2 term" in s.exercises[0].task and any(r"\lambda" in m for m, _ in s.notation)


def test_layer_norms_sums_are_the_numbers_of_its_textbook_dx():
    s = build(models.small_layernorm(), seed=1)
    rows = {latex_text(step.lhs): _array(step.rhs[0]) for step in s.solutions[-1].sections[0].steps}
    delta, g = rows[r"\delta^{(2)}"], rows[r"g = \gamma^{(2)} \odot \delta^{(2)}"]
    forward = {latex_text(step.lhs): _array(step.rhs[0]) for step in s.forward if step.lhs != LOSS}
    xhat, sigma = forward[r"\hat{x}^{(2)}"], forward[r"\sigma^{(2)}"][0, 0]
    given = {latex_text(step.lhs): _array(step.rhs[0]) for step in s.given}
    assert np.allclose(g, given[r"\gamma^{(2)}"] * delta, rtol=1e-3)
    n = 3
    dx = (n * g - rows[r"\sum_j g_j"] - xhat * rows[r"\sum_j g_j \hat{x}^{(2)}_j"]) / (n * sigma)
    assert np.allclose(dx, rows[r"\frac{\partial \mathcal{L}}{\partial a^{(1)}}"], rtol=1e-3, atol=1e-6)
    assert np.allclose(dx @ given["x"].T, rows[r"\frac{\partial \mathcal{L}}{\partial W^{(1)}}"], rtol=1e-3, atol=1e-6)


def _array(matrix) -> np.ndarray:
    """The numbers of a printed matrix (of Numerals: their values, not their rounded text)."""
    return np.array([[entry.value for entry in row] for row in matrix.tolist()])


def _labels(net: Network) -> dict[str, str]:
    return {"x": "x", "y": "y", **{k: _latex(k) for k in net.parameter_names()}}


def _latex(name: str) -> str:
    from symbackprop.symbols import Name

    return Name.parse(name).latex


def test_the_students_copy_has_room_and_no_key(sheet):
    name, s = sheet
    student = s.student_copy(student="Ada")
    tex = render(student, "tex")
    assert not student.solutions and "Ada" in tex and "Key" not in tex
    for solution in s.solutions[:-1]:
        assert str(solution.answer) not in tex
    steps = [step for sol in s.solutions for section in sol.sections for step in section.steps]
    shown = _numerals(side for step in (*s.given, *s.forward) for side in (step.lhs, *step.rhs))
    hidden = {n for n in _numerals(side for step in steps for side in step.rhs) - shown
              if "e" not in n and len(re.sub(r"[-.]|^[-0.]+", "", n)) >= 3}  # no 0, 1 or 0.5; 1e-7 prints as 10^{-7}
    assert len(hidden) >= 5 and all(n in render(s, "md") for n in hidden)
    for fmt in ("md", "tex", "html"):
        copy = render(student, fmt) if fmt != "html" else html_text(student)
        found = sorted(n for n in hidden if re.search(rf"(?<![0-9.]){re.escape(n)}(?![0-9])", copy))
        assert not found, f"{fmt}: the student copy shows the key's numbers {found[:5]}"
    teacher = render(s, "tex")
    assert "Key: derived by SymPy" in teacher and "judged correct by symbackprop verify" in teacher


def test_the_pdfs_compile_inside_their_margins(sheet, tmp_path):
    require_latex()
    require_installed("pdftotext")
    name, s = sheet
    for copy, document in (("teacher", s), ("student", s.student_copy())):
        pdf = compile_tex(render(document, "tex"), tmp_path / f"{name}-{copy}.tex")
        bad = [(page, word) for page, word, left, right, width in words(pdf)
               if left < MARGIN_PT - SLACK_PT or right > width - MARGIN_PT + SLACK_PT]
        assert not bad, bad[:5]
        assert pages(pdf) <= (4 if copy == "teacher" else 3)
        assert s.title in pdf_text(pdf)


def test_the_command_writes_a_layer_sheet_and_refuses_what_it_cannot_do(tmp_path, run_cli):
    spec = tmp_path / "rnn.json"
    spec.write_text('{"input": [3, 2], "loss": "half_sse", "layers": [{"type": "rnn", "units": 2}, {"type": "dense", "units": 1}]}')
    out = tmp_path / "rnn.md"
    result = run_cli("worksheet", "--spec", str(spec), "-o", str(out), "--seed", "2")
    assert result.status == 0, result.stderr
    assert "Backpropagation through time" in out.read_text()
    params = tmp_path / "p.json"
    params.write_text("{}")
    result = run_cli("worksheet", "--spec", str(spec), "-o", str(tmp_path / "b.md"), "--params", str(params))
    assert result.status == 2 and "draws its own worked example" in result.stderr and "Traceback" not in result.stderr
    two_channels = Network.from_spec({"input": [2, 3, 3], "loss": "half_sse", "layers": [
        {"type": "conv2d", "channels": 1, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]})
    with pytest.raises(UnsupportedError, match="^a worksheet works with matrices, but W1 has shape 1×2×2×2"):
        worksheet(two_channels, tmp_path / "c.md")
    odd = Network.from_spec({"input": [1, 5, 5], "loss": "half_sse", "layers": [
        {"type": "conv2d", "channels": 1, "kernel": 2, "stride": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]})
    with pytest.raises(UnsupportedError, match=r"^the windows of conv2d\(1, 2×2, stride 2\) leave out the last rows"):
        worksheet(odd, tmp_path / "o.md")
    normalised_after = Network.from_spec({"input": 2, "loss": "half_sse", "layers": [
        {"type": "dense", "units": 3, "activation": "tanh"}, {"type": "dropout", "p": 0.5}, {"type": "layernorm"},
        {"type": "dense", "units": 1}]})
    with pytest.raises(UnsupportedError, match="^a worksheet folds a dropout mask into the dense layer after it"):
        worksheet(normalised_after, tmp_path / "l.md")
    result = run_cli("worksheet", "--spec", str(DOCS / "layernorm.json"), "-o", str(tmp_path / "ln.md"))
    assert result.status == 0 and "Backpropagation through layer norm" in (tmp_path / "ln.md").read_text()


def test_a_mask_kept_entry_that_is_no_short_decimal_is_given_as_a_fraction_and_the_key_uses_it_exactly():
    spec = models.small_dropout().to_spec()
    spec["layers"][1]["p"] = 0.3
    s = build(Network.from_spec(spec), seed=0)
    mask_step = next(step for step in s.given if str(step.lhs) == "m^{(2)}")
    entries = [entry for row in mask_step.rhs[0].tolist() for entry in row]
    assert {entry.text for entry in entries} <= {"0", "10/7"} and any(entry.text == "10/7" for entry in entries)
    assert {entry.value for entry in entries} <= {0.0, 1 / (1 - 0.3)}
    for copy in (s, s.student_copy()):  # the sheet calls given numbers exact: 1/(1 − p) is not rounded
        text = render(copy, "md")
        assert "1/(1 - p) = 10/7" in text and "1.429" not in text and "1.43" not in text
    given = {str(step.lhs): _array(step.rhs[0]) for step in s.given}
    mask = given["m^{(2)}"].reshape(-1)
    params = {"W1": given["W^{(1)}"], "b1": given["b^{(1)}"].reshape(-1),
              "W3": given["W^{(3)}"] * mask[None, :], "b3": given["b^{(3)}"].reshape(-1)}
    _, grads = s.network.compile()(params, given["x"].reshape(1, -1), given["y"].reshape(1, -1), seed=None)
    numbers = {step.lhs.args[1].name: _array(step.rhs[0])
               for step in s.solutions[-1].sections[0].steps if isinstance(step.lhs, Partial)}
    # the key's ∂L/∂W⁽³⁾ = δ⁽³⁾ (m ⊙ a⁽¹⁾)ᵀ: the folded weights' gradient, times the mask
    assert np.allclose(numbers["W^{(3)}"], grads["W3"] * mask[None, :], rtol=10 ** (1 - s.digits), atol=1e-12)
    assert np.allclose(numbers["W^{(1)}"], grads["W1"], rtol=10 ** (1 - s.digits), atol=1e-12)


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_a_bias_under_batch_norm_whose_gradient_is_zero_gets_a_sheet(activation):
    # The normalisation takes away the bias's shift: ∂L/∂b⁽¹⁾ is 0, computed as rounding noise.
    net = Network.from_spec({"input": 2, "loss": "half_sse", "layers": [
        {"type": "dense", "units": 2, "activation": activation}, {"type": "batchnorm"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]})
    for seed in range(3):
        s = build(net, seed=seed)
        assert s.check.passed
        _, grads = net.compile()(*_given_point(s))
        assert np.abs(grads["W1"]).max() > 1e-6
        if activation == "identity":  # (under a ReLU, only a unit active on every sample has 0)
            assert np.abs(grads["b1"]).max() < 1e-12


def _given_point(s):
    """The sheet's parameters and batch, as the compiled gradient takes them."""
    net, given = s.network, {str(step.lhs): _array(step.rhs[0]) for step in s.given}
    shapes = net.parameter_shapes()
    params = {k: given[label].reshape(shapes[k]) for k, label in _labels(net).items() if k in shapes}
    return params, given["x"].T.reshape(s.samples, *net.input_shape), given["y"].reshape(s.samples, net.output_size)


def test_the_same_seed_gives_the_same_sheet_and_another_seed_other_numbers():
    a, b, c = (build(models.small_rnn(), seed=seed) for seed in (4, 4, 5))
    assert render(a, "md") == render(b, "md") != render(c, "md")


def test_a_strided_padded_kernels_numbers_are_the_padded_input_correlated_with_the_spread_error():
    s = build(_strided(), seed=1)
    rows = {latex_text(step.lhs): _array(step.rhs[0]) for step in s.solutions[-1].sections[0].steps}
    delta, spread = rows[r"\delta^{(1)}"], rows[r"\operatorname{dilate}_{2}(\delta^{(1)})"]
    assert spread.shape == (5, 5) and np.array_equal(spread[::2, ::2], delta) and not spread[1::2].any()
    given = {latex_text(step.lhs): _array(step.rhs[0]) for step in s.given}
    padded = np.pad(given["x"], 1)
    # stride 1 again: the 5×5 spread error slid over the 6×6 padded input gives the 2×2 kernel's gradient
    kernel = np.array([[(spread * padded[u:u + 5, v:v + 5]).sum() for v in range(2)] for u in range(2)])
    assert np.allclose(kernel, rows[r"\frac{\partial \mathcal{L}}{\partial W^{(1)}}"], rtol=1e-3, atol=1e-6)
    assert "$\\operatorname{dilate}_{2}(\\delta^{(1)})$" in s.exercises[-1].task and "start 2 apart" in s.exercises[0].task


def test_digits_round_a_layer_sheet_and_a_learning_rate_is_refused(run_cli, tmp_path):
    spec = str(DOCS / "rnn.json")
    for digits in ("2", "7"):
        made = run_cli("worksheet", "--spec", spec, "-o", str(tmp_path / f"d{digits}.md"), "--digits", digits)
        assert made.status == 0, made.stderr
        assert f"rounded to {digits} significant digits" in (tmp_path / f"d{digits}.md").read_text()
    assert (tmp_path / "d2.md").read_text() != (tmp_path / "d7.md").read_text()
    refused = run_cli("worksheet", "--spec", spec, "-o", str(tmp_path / "lr.md"), "--lr", "0.3")
    assert refused.status == 2 and refused.stderr.count("\n") == 1 and "lr is for the sheets of an MLP" in refused.stderr
    assert not (tmp_path / "lr.md").exists()
