"""The worksheet of batch norm of an image (models.small_batchnorm_image: a 2-channel 2×2 image,
a 1×1 convolution of 2 channels, batch norm per channel over 2 samples, one sigmoid unit):
its exercises, the key's answers judged by verify, every number of the key recomputed here
with NumPy (the statistics per channel over the batch and the positions, δ by finite
differences of the loss, the gradients by the compiled gradient and by finite differences of
the loss), the student's copy without the key's values, and the PDFs inside their margins."""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop import models, verify
from symbackprop.display import Partial
from symbackprop.worksheets import render
from symbackprop.worksheets.layered import build

from .conftest import require_installed, require_latex
from .test_worksheet_layers import _array, _labels, _latex
from .test_worksheet_pages import beyond_margins, compile_tex, pages, pdf_text

NET = models.small_batchnorm_image()
EPSILON = 1e-5


@pytest.fixture(scope="module", params=[1, 4])
def sheet(request):
    return build(NET, seed=request.param)


def test_the_exercises_ask_for_gamma_beta_and_the_kernel_below_on_a_batch_of_two_images(sheet):
    assert [e.parameter for e in sheet.exercises] == ["gamma2", "beta2", "W1", ""]
    assert sheet.featured == 2 and sheet.samples == 2
    assert sheet.title == "Backpropagation through batch norm of an image"
    assert sheet.check.passed and sheet.check.entries == NET.parameter_count()
    md = render(sheet, "md")
    assert "$M = N H W$ entries" in md and "shown sample by sample" in md and "$1 \\times 1$ convolution" in md


def test_each_answer_is_judged_correct_and_the_classic_mistakes_are_not(sheet):
    answers = {s.exercise.parameter: str(s.answer.args[0]) for s in sheet.solutions[:-1]}
    assert answers["gamma2"] == r"\sum_{i=1}^{N H W} \delta^{(2)}_i \odot \hat{x}^{(2)}_i"
    assert answers["W1"].startswith(r"\frac{\gamma^{(2)}}{N H W \sigma_B}\left(N H W \delta^{(2)}")
    for wrt, latex in answers.items():
        assert verify(NET, wrt, latex, syntax="latex", points=4).correct, latex
    for wrong, mistake in ((answers["W1"].replace("N H W", "N"), "batchnorm-count-without-positions"),
                           (r"\left(\frac{\gamma}{\sigma_B} \odot \delta^{(2)}\right) x^T",
                            "normalisation-without-mean-and-variance")):
        verdict = verify(NET, "W1", wrong, syntax="latex", points=4)
        assert not verdict.correct and verdict.diagnosis.name == mistake


def _inputs(sheet):
    given = {str(step.lhs): _array(step.rhs[0]) for step in sheet.given}
    by_name = {name: given[label] for name, label in _labels(NET).items() if label in given}
    shapes = NET.parameter_shapes()
    params = {k: by_name[k].reshape(shapes[k]) for k in NET.parameter_names()}
    # x sample by sample, a row per channel holding its 2×2 positions
    X = np.stack([given[rf"x\ \text{{(sample {n})}}"].reshape(2, 2, 2) for n in (1, 2)])
    Y = by_name["y"].reshape(2, 1)
    return params, X, Y


def _by_sample(steps, array):
    """The steps of an image quantity of the batch, sample by sample, against ``array`` (N, C, H, W)."""
    assert len(steps) == 2
    for n, step in enumerate(steps):
        assert str(step.lhs).endswith(rf"\ \text{{(sample {n + 1})}}")
        assert np.allclose(_array(step.rhs[0]), array[n].reshape(2, 4), rtol=1e-3, atol=1e-9), str(step.lhs)


def _loss_from_z2(Z2, params, Y):
    """The batch loss from batch norm's output z⁽²⁾ (N, C, H, W) on: flatten, dense, sigmoid, ½ SSE."""
    A4 = 1 / (1 + np.exp(-(Z2.reshape(2, -1) @ params["W4"].T + params["b4"])))
    return float(np.mean(0.5 * np.sum((A4 - Y) ** 2, axis=1)))


def _normalised(A1):
    """μ, σ² and x̂ of each channel over the batch and the positions (8 entries a channel)."""
    mu, var = A1.mean(axis=(0, 2, 3)), A1.var(axis=(0, 2, 3))  # the variance biased, as batch norm's
    return mu, var, (A1 - mu[None, :, None, None]) / np.sqrt(var + EPSILON)[None, :, None, None]


def _loss_from_a1(A1, params, Y):
    xhat = _normalised(A1)[2]
    return _loss_from_z2(params["gamma2"][None, :, None, None] * xhat + params["beta2"][None, :, None, None], params, Y)


def _central_differences(loss, array):
    out = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        for sign in (1, -1):
            shifted = array.copy()
            shifted[index] += sign * 1e-6
            out[index] += sign * loss(shifted) / 2e-6
    return out


def test_every_number_of_the_key_is_recomputed_with_numpy(sheet):
    for value in _inputs(sheet)[0].values():
        assert np.allclose(value * 10, np.round(value * 10))  # whole tenths, to work by hand
    params, X, Y = _inputs(sheet)
    A1 = np.einsum("dc,ncij->ndij", params["W1"][:, :, 0, 0], X)  # the 1×1 convolution, no bias
    mu, var, xhat = _normalised(A1)
    Z2 = params["gamma2"][None, :, None, None] * xhat + params["beta2"][None, :, None, None]
    delta = _central_differences(lambda z: _loss_from_z2(z, params, Y), Z2)  # δ⁽²⁾ of the batch loss
    below = _central_differences(lambda a: _loss_from_a1(a, params, Y), A1)  # ∂L/∂a⁽¹⁾, the three paths
    f = NET.compile()
    _, grads = f(params, X, Y)
    numeric = {}
    for name, value in params.items():
        def loss(v, name=name):
            return f.loss({**params, name: v}, X, Y)
        numeric[name] = _central_differences(loss, value)
    steps = sheet.solutions[-1].sections[0].steps
    assert len(steps) == 7  # δ and ∂L/∂a⁽¹⁾ (two samples each), the three gradients
    _by_sample(steps[0:2], delta)
    _by_sample(steps[2:4], below)
    assert str(steps[2].lhs).startswith(r"\frac{\partial \mathcal{L}}{\partial a^{(1)}}")
    for step in steps[4:]:
        shown = _array(step.rhs[0])
        name = next(k for k in params if _latex(k) == step.lhs.args[1].name)
        assert np.allclose(shown.reshape(params[name].shape), grads[name], rtol=1e-3, atol=1e-12), name
        assert np.allclose(shown.reshape(params[name].shape), numeric[name], rtol=1e-3, atol=1e-9), name
    forward = {str(step.lhs): step for step in sheet.forward}
    assert np.allclose(_array(forward[r"\mu^{(2)}"].rhs[0]), mu.reshape(2, 1), rtol=1e-3)
    assert np.allclose(_array(forward[r"\sigma^{(2)}"].rhs[0]), np.sqrt(var + EPSILON).reshape(2, 1), rtol=1e-3)
    _by_sample([step for step in sheet.forward if str(step.lhs).startswith(r"\hat{x}^{(2)}")], xhat)
    _by_sample([step for step in sheet.forward if str(step.lhs).startswith("z^{(2)}")], Z2)
    assert abs(float(sheet.forward[-1].rhs[0].value) - _loss_from_z2(Z2, params, Y)) < 1e-12


def test_the_students_copy_has_room_and_none_of_the_keys_values(sheet):
    student = render(sheet.student_copy(student="Ada"), "tex")
    assert "Ada" in student and "Key" not in student and "judged correct" not in student
    for solution in sheet.solutions[:-1]:
        assert str(solution.answer) not in student
    for step in sheet.solutions[-1].sections[0].steps:
        if isinstance(step.lhs, Partial) or not str(step.lhs).startswith("x"):
            for row in step.rhs[0].tolist():
                assert all(entry.text not in student for entry in row if abs(entry.value) > 1e-3)


def test_the_pdfs_compile_inside_their_margins(sheet, tmp_path):
    require_latex()
    require_installed("pdftotext")
    for copy, document in (("teacher", sheet), ("student", sheet.student_copy())):
        pdf = compile_tex(render(document, "tex"), tmp_path / f"{copy}.tex")
        bad = beyond_margins(pdf)
        assert not bad, bad[:5]
        assert pages(pdf) <= (5 if copy == "teacher" else 4)
        assert sheet.title in pdf_text(pdf)
