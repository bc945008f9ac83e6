"""verify on batch norm, layer norm, dropout and the recurrent layer.

Textbook forms accepted in both syntaxes (batch norm's dx = (γ/(Nσ))(N dy −
Σ dy − x̂ Σ dy x̂) and its staged form through μ and σ², BPTT's Σₜ δₜ xₜᵀ),
each classic mistake rejected with its diagnosis and a counterexample that is
recomputed here from the compiled NumPy gradient, the verifier's truth (the
plan, evaluated on a batch of three for batch norm) against the compiled
gradient and finite differences, the documented examples, and refusals.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop import Network
from symbackprop.derive import Derivation
from symbackprop.errors import ExpressionError, ShapeError, UnsupportedError
from symbackprop.symbols import Name, mask, parameter, weight
from symbackprop.verification import verify
from symbackprop.verification.context import names_for
from symbackprop.verification.points import sample

from .test_verify_layers import (
    assert_diagnosed,
    assert_reference_formulas_equal_the_plan,
    assert_right,
    docs_spec,
)
from .test_verify_notation import documented_examples as notation_examples

BATCHNORM = Network.from_spec(docs_spec("batchnorm.json"))  # B: 2 → dense(2), no bias → batchnorm → 1 sigmoid
LAYERNORM = Network.from_spec(docs_spec("layernorm.json"))  # N: 2 → dense(3) → layernorm → 1 sigmoid
DROPOUT = Network.from_spec(docs_spec("dropout.json"))  # D: 3 → dense(3) tanh → dropout ½ → 1 sigmoid
_dropout = docs_spec("dropout.json")
_dropout["layers"][1]["p"] = 0.3
DROPOUT_03 = Network.from_spec(_dropout)
RNN = Network.from_spec(docs_spec("rnn.json"))  # R: 3 steps of 2 inputs → rnn(2) tanh → 1 unit
RNN_L2 = Network.from_spec({**docs_spec("rnn.json"), "l2": 0.05})
# Batch norm of an image (tests/test_verify_batchnorm_image.py): I, a 1×1 convolution of 2 channels below
# it; J, a 2×2 kernel with tanh; and batch norm straight on a 3-channel 1×2 image with a ReLU.
IMAGE_1X1 = Network.from_spec(docs_spec("batchnorm-image.json"))
IMAGE_CONV = Network.from_spec(docs_spec("conv-batchnorm.json"))
IMAGE_INPUT = Network.from_spec(
    {"input": [3, 1, 2], "loss": "mse",
     "layers": [{"type": "batchnorm", "activation": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 2}]}
)
BATCHNORM_RELU = Network.from_spec(
    {"input": 3, "loss": "mse", "layers": [{"type": "dense", "units": 2, "activation": "tanh"},
                                           {"type": "batchnorm", "activation": "relu"}, {"type": "dense", "units": 2}]}
)

BN_DX = (
    "gamma2 / (N * sigma2) * (N * dy - np.sum(dy, axis=1, keepdims=True)"
    " - xhat2 * np.sum(dy * xhat2, axis=1, keepdims=True))"
)
# CS231n's staged batch norm backward, through x̂, σ² and μ.
BN_STAGED = """dxhat = dout * gamma2
dvar = np.sum(dxhat * (a1 - mu2), axis=1, keepdims=True) * -0.5 * (var2 + eps)**-1.5
dmu = np.sum(-dxhat / np.sqrt(var2 + eps), axis=1, keepdims=True) + dvar * np.mean(-2 * (a1 - mu2), axis=1, keepdims=True)
dx = dxhat / np.sqrt(var2 + eps) + dvar * 2 * (a1 - mu2) / N + dmu / N
dW1 = dx @ x.T"""
BN_DX_LATEX = (
    r"\frac{\gamma}{N \sigma_B}\left(N \delta^{(2)} - \sum_i \delta^{(2)}_i"
    r" - \hat{x} \odot \sum_i \delta^{(2)}_i \odot \hat{x}_i\right)"
)

RIGHT = [
    (BATCHNORM, "W1", "python", f"dX = {BN_DX}; dW1 = dX @ x.T"),
    (BATCHNORM, "W1", "python", BN_STAGED),
    (BATCHNORM, "W1", "python",
     "dA1 = gamma2 / sigma2 * (dy - np.mean(dy, axis=1, keepdims=True) - xhat2 * np.mean(dy * xhat2, axis=1, keepdims=True));"
     " dW1 = dA1 @ x.T"),
    (BATCHNORM, "W1", "latex", BN_DX_LATEX + " x^T"),
    (BATCHNORM, "W1", "latex",
     r"\frac{\gamma^{(2)}}{N \sqrt{\sigma_B^2 + \epsilon}}\left(N \delta^{(2)} - \sum_{i=1}^{N} \delta^{(2)}_i"
     r" - \hat{x}^{(2)} \odot \sum_{i=1}^{N} \delta^{(2)}_i \odot \hat{x}^{(2)}_i\right) (a^{(0)})^T"),
    (BATCHNORM, "gamma2", "python", "np.sum(dy * xhat2, axis=1, keepdims=True)"),
    (BATCHNORM, "gamma2", "python", "np.sum(delta2 * (a1 - mu2) / np.sqrt(var2 + eps), axis=1, keepdims=True)"),
    (BATCHNORM, "gamma2", "latex", r"\sum_{i=1}^{N} \delta^{(2)}_i \odot \hat{x}_i"),
    (BATCHNORM, "beta2", "python", "np.sum(delta2, axis=1, keepdims=True)"),
    (BATCHNORM, "beta2", "latex", r"\sum_{i} \delta^{(2)}_i"),
    (BATCHNORM, "W3", "python", "delta3 @ a2.T"),
    (BATCHNORM_RELU, "W1", "python",
     f"dZ2 = dA2 * relu_prime(z2); dX = {BN_DX.replace('dy', 'dZ2')}; dW1 = (dX * (1 - a1**2)) @ x.T"),
    (LAYERNORM, "W1", "python",
     "g = gamma2 * delta2; dA1 = (3 * g - sum(g) - xhat2 * sum(g * xhat2)) / (3 * sigma2); dW1 = dA1 @ x.T"),
    (LAYERNORM, "W1", "latex",  # σ⁽²⁾ as derive prints it: with no argument after it, not the logistic function
     r"\frac{1}{3 \sigma^{(2)}}\left(3\, \gamma^{(2)} \odot \delta^{(2)} - \sum_{j} \gamma^{(2)}_j \delta^{(2)}_j"
     r" - \hat{x}^{(2)} \sum_{j} \gamma^{(2)}_j \delta^{(2)}_j \hat{x}^{(2)}_j\right) x^T"),
    (LAYERNORM, "gamma2", "python", "delta2 * xhat2"),
    (LAYERNORM, "beta2", "latex", r"\delta^{(2)}"),
    (DROPOUT, "W1", "python", "((W3.T @ delta3) * m2 * (1 - a1**2)) @ x.T"),
    (DROPOUT, "W1", "latex", r"\left(m^{(2)} \odot (W^{(3)})^T \delta^{(3)} \odot (1 - (a^{(1)})^2)\right) x^T"),
    (DROPOUT, "W3", "python", "delta3 @ (m2 * a1).T"),
    (DROPOUT_03, "b1", "python", "(W3.T @ delta3) * m2 * tanh_prime(z1)"),
    (RNN, "W1", "python", "delta1.T @ x"),
    (RNN, "W1", "python", "np.outer(delta1_1, x_1) + np.outer(delta1_2, x_2) + np.outer(delta1_3, x_3)"),
    (RNN, "W1", "python",
     "d3 = (W2.T @ delta2) * (1 - h1_3**2); d2 = (U1.T @ d3) * (1 - h1_2**2); d1 = (U1.T @ d2) * (1 - h1_1**2);"
     " dW1 = d3 @ x_3.T + d2 @ x_2.T + d1 @ x_1.T"),
    (RNN, "W1", "latex", r"\sum_{t=1}^{T} \delta^{(1)}_t x_t^T"),
    (RNN, "U1", "python", "delta1.T @ lag(h1)"),
    (RNN, "U1", "python", "np.outer(delta1_3, h1_2) + np.outer(delta1_2, h1_1)"),
    (RNN, "U1", "latex", r"\sum_{t=2}^{T} \delta^{(1)}_t (h^{(1)}_{t-1})^T"),
    (RNN, "U1", "latex", r"\delta^{(1)}_T (h^{(1)}_{T-1})^T + \delta^{(1)}_{T-1} (h^{(1)}_{T-2})^T"),
    (RNN, "b1", "python", "np.sum(delta1, axis=0, keepdims=True).T"),
    (RNN, "b1", "latex", r"\sum_{t=1}^{T} \delta^{(1)}_t"),
    (RNN, "W2", "python", "delta2 @ h1_3.T"),
    # min-char-rnn's names: Wxh, Whh, bh for the RNN, Why, by for the layer that reads h_T
    (RNN, "W1", "python",
     "d3 = (Why.T @ delta2) * (1 - h1_3**2); d2 = (Whh.T @ d3) * (1 - h1_2**2); d1 = (Whh.T @ d2) * (1 - h1_1**2);"
     " dWxh = d3 @ x_3.T + d2 @ x_2.T + d1 @ x_1.T"),
    (RNN, "W1", "latex",
     r"\frac{\partial L}{\partial W_{xh}} = \delta^{(1)}_T x_T^T + \left(W_{hh}^T \delta^{(1)}_T \odot "
     r"(1 - h^{(1)}_{T-1} \odot h^{(1)}_{T-1})\right) x_{T-1}^T + \delta^{(1)}_{T-2} x_{T-2}^T"),
    (RNN, "U1", "latex", r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=2}^{T} \delta^{(1)}_t (h^{(1)}_{t-1})^T"),
    (RNN, "b1", "latex", r"\nabla_{b_h} L = \sum_{t=1}^{T} \delta^{(1)}_t"),
    (RNN, "W2", "latex", r"\frac{\partial L}{\partial W_{hy}} = \delta^{(2)} (h^{(1)}_T)^T"),
    (RNN, "b2", "latex", r"\frac{\partial L}{\partial b_y} = \delta^{(2)}"),
    (RNN, "b2", "python", "dby = Why @ h1_3 + by - y"),
    (RNN_L2, "U1", "python", "delta1.T @ lag(h1) + lam * U1"),
    (RNN_L2, "b1", "python", "delta1_1 + delta1_2 + delta1_3"),
]


@pytest.mark.parametrize(("net", "wrt", "syntax", "formula"), RIGHT, ids=range(len(RIGHT)))
def test_right_formulas_are_right(net, wrt, syntax, formula):
    assert_right(net, wrt, syntax, formula)


# -- each classic mistake: its name, and a counterexample recomputed from the compiled gradient ------

WRONG = [
    ("normalisation-without-mean-and-variance", BATCHNORM, "W1", "python", "(gamma2 * dy / sigma2) @ x.T"),
    ("normalisation-without-mean-and-variance", BATCHNORM, "W1", "latex",
     r"\left(\frac{\gamma}{\sqrt{\sigma_B^2 + \epsilon}} \odot \delta^{(2)}\right) x^T"),
    ("normalisation-without-variance-path", BATCHNORM, "W1", "python",
     "(gamma2 / (N * sigma2) * (N * dy - np.sum(dy, axis=1, keepdims=True))) @ x.T"),
    ("normalisation-without-mean-path", BATCHNORM, "W1", "latex",
     r"\frac{\gamma}{N \sigma_B}\left(N \delta^{(2)} - \hat{x} \odot \sum_i \delta^{(2)}_i \odot \hat{x}_i\right) x^T"),
    ("normalisation-without-mean-and-variance", BATCHNORM_RELU, "W1", "python",
     "((gamma2 * dA2 * relu_prime(z2) / sigma2) * (1 - a1**2)) @ x.T"),
    ("normalisation-without-mean-and-variance", LAYERNORM, "W1", "python", "(gamma2 * delta2 / sigma2) @ x.T"),
    ("normalisation-without-mean-and-variance", LAYERNORM, "W1", "latex",
     r"\left(\frac{\gamma^{(2)} \odot \delta^{(2)}}{\sigma^{(2)}}\right) x^T"),
    ("normalisation-without-variance-path", LAYERNORM, "W1", "python",
     "g = gamma2 * delta2; dW1 = ((3 * g - sum(g)) / (3 * sigma2)) @ x.T"),
    ("dropout-mask-forgotten", DROPOUT, "W1", "python", "((W3.T @ delta3) * (1 - a1**2)) @ x.T"),
    ("dropout-mask-forgotten", DROPOUT_03, "W1", "latex",
     r"\left((W^{(3)})^T \delta^{(3)} \odot (1 - (a^{(1)})^2)\right) x^T"),
    ("dropout-not-rescaled", DROPOUT, "W1", "python", "((W3.T @ delta3) * (m2 > 0) * (1 - a1**2)) @ x.T"),
    ("dropout-not-rescaled", DROPOUT_03, "b1", "python", "(W3.T @ delta3) * (m2 > 0) * tanh_prime(z1)"),
    ("bptt-one-step", RNN, "W1", "python", "d3 = (W2.T @ delta2) * (1 - h1_3**2); dW1 = d3 @ x_3.T"),
    ("bptt-one-step", RNN, "W1", "latex", r"\delta^{(1)}_T x_T^T"),
    ("bptt-one-step", RNN, "U1", "python", "np.outer(delta1_3, h1_2)"),
    ("bptt-one-step", RNN, "b1", "latex", r"\left((W^{(2)})^T \delta^{(2)}\right) \odot (1 - (h^{(1)}_T)^2)"),
    ("bptt-same-step-state", RNN, "U1", "python", "delta1.T @ h1"),
    ("bptt-same-step-state", RNN, "U1", "latex", r"\sum_{t=1}^{T} \delta^{(1)}_t (h^{(1)}_t)^T"),
    ("l2-on-bias", RNN_L2, "b1", "python", "np.sum(delta1, axis=0, keepdims=True).T + lam * b1"),
    ("l2-missing", RNN_L2, "U1", "latex", r"\sum_{t=2}^{T} \delta^{(1)}_t (h^{(1)}_{t-1})^T"),
]

WORDS = {  # what each diagnosis must say, in a student's words
    "normalisation-without-mean-and-variance": "without the paths through the mean and the variance",
    "normalisation-without-variance-path": "without the path through the variance",
    "normalisation-without-mean-path": "without the path through the mean",
    "dropout-mask-forgotten": "the dropout mask is missing",
    "dropout-not-rescaled": "without its scale",
    "bptt-one-step": "stopped after one step",
    "bptt-same-step-state": "h_{t−1} belongs",
    "l2-on-bias": "not the biases",
    "l2-missing": "L2",
}


def _batch(net, point):
    """(params, X, Y, seed) of a point for the compiled gradient: a batch norm point is a batch;
    a dropout point's mask is folded into the next layer's weights, with dropout switched off."""
    inputs = point.inputs(net.parameter_names())
    shapes = net.parameter_shapes()
    params = {k: np.array(inputs[k], dtype=float).reshape(shapes[k]) for k in net.parameter_names()}
    samples = names_for(net).samples
    X = np.array(inputs["x"], dtype=float).reshape(samples, *net.input_shape)
    Y = np.array(inputs["y"], dtype=float).reshape(samples, net.output_size)
    masks = {k: np.array(v, dtype=float) for k, v in inputs.items() if k not in ("x", "y", *params)}
    for name, m in masks.items():
        after = _after(name)
        params[after] = params[after] * m[None, :]  # z = W (m ⊙ a) = (W diag m) a
    return params, X, Y, masks


def _after(mask_name):
    """The weights that read a dropout layer's output: W of the next layer."""
    return str(weight(Name.parse(mask_name).layer + 1))


def _compiled_gradient(net, point):
    params, X, Y, masks = _batch(net, point)
    loss, grads = net.compile()(params, X, Y, seed=None) if masks else net.compile()(params, X, Y)
    for name, m in masks.items():  # ∂L/∂W of the unfolded weights: the folded one's, times m
        after = _after(name)
        grads[after] = grads[after] * m[None, :]
    return loss, grads


@pytest.mark.parametrize(("mistake", "net", "wrt", "syntax", "formula"), WRONG, ids=[f"{w[0]}-{w[3]}" for w in WRONG])
def test_each_mistake_is_diagnosed_with_a_counterexample(mistake, net, wrt, syntax, formula):
    verdict = assert_diagnosed(
        mistake, net, wrt, syntax, formula, lambda net, point, wrt: _compiled_gradient(net, point)[1][wrt]
    )
    assert WORDS[mistake] in verdict.diagnosis.message


def test_a_wrong_line_of_the_staged_batch_norm_is_diagnosed_at_that_line():
    staged = BN_STAGED.replace("+ dmu / N", "").replace("dx = ", "dA1 = ").replace("dW1 = dx", "dW1 = dA1")
    verdict = verify(BATCHNORM, "W1", staged, points=4)
    assert verdict.first_wrong_line == 4
    assert verdict.diagnosis.name == "normalisation-without-mean-path"
    assert verdict.counterexample.entry.startswith("dA1[")
    assert "a batch of 3 samples" in verdict.report()


# -- the verifier's truth: the plan, against the compiled gradient and finite differences ---------

TRUTH = [BATCHNORM, BATCHNORM_RELU, LAYERNORM, DROPOUT, DROPOUT_03, RNN, RNN_L2, IMAGE_1X1, IMAGE_CONV, IMAGE_INPUT]
TRUTH_IDS = ["batchnorm", "batchnorm-relu", "layernorm", "dropout", "dropout-0.3", "rnn", "rnn-l2",
             "batchnorm-image-1x1", "batchnorm-image-conv-tanh", "batchnorm-image-input"]


@pytest.mark.parametrize("net", TRUTH, ids=TRUTH_IDS)
def test_the_truth_is_the_compiled_gradient_and_finite_differences(net):
    f = net.compile()
    for point in sample(Derivation(net), net.parameter_names()[0], count=3, seed=2):
        params, X, Y, masks = _batch(net, point)
        loss, grads = _compiled_gradient(net, point)
        assert abs(float(point.loss) - loss) < 1e-12
        for name in net.parameter_names():
            shape = net.parameter_shapes()[name]
            truth = np.array([float(v) for v in point.values[f"d{name}"].flat]).reshape(shape)
            assert np.allclose(truth, grads[name], rtol=1e-10, atol=1e-13), name
            h = 1e-6
            which = parameter(name)
            folded = masks.get(str(mask(which.layer - 1))) if which.stem == "W" else None
            numeric = np.zeros(shape)
            for index in np.ndindex(shape):
                for sign in (1, -1):
                    shifted = {k: v.copy() for k, v in params.items()}
                    # a weight with a mask folded in moves by m when its own entry moves by h
                    shifted[name][index] += sign * h * (folded[index[1]] if folded is not None else 1)
                    numeric[index] += sign * f.loss(shifted, X, Y, seed=None if masks else 0) / (2 * h)
            assert np.allclose(truth, numeric, atol=1e-6), name


@pytest.mark.parametrize("net", TRUTH, ids=TRUTH_IDS)
def test_the_reference_formulas_equal_the_plan(net):
    assert_reference_formulas_equal_the_plan(net)


def test_batch_norm_is_judged_on_a_batch_and_the_others_on_one_sample():
    assert names_for(BATCHNORM).samples == 3
    assert names_for(BATCHNORM).shapes["x"] == (2, 3)  # column i is sample i
    assert names_for(BATCHNORM).shapes["gamma2"] == (2, 1)
    assert names_for(LAYERNORM).samples == names_for(RNN).samples == names_for(DROPOUT).samples == 1
    assert names_for(RNN).shapes["x"] == (3, 2)  # row t is step t


# -- documented examples --------------------------------------------------------------------------

DOC_NETS = {
    "B": BATCHNORM, "N": LAYERNORM, "D": DROPOUT, "R": RNN,
    # batch norm of an image: a 1×1 convolution below it, and a 2×2 kernel with tanh
    "I": IMAGE_1X1, "J": IMAGE_CONV,
}


def documented_examples() -> list[tuple[str, str, str, str]]:
    return notation_examples("batch and sequence notation table") + notation_examples("image batch norm notation table")


def test_the_tables_are_there():
    assert len(documented_examples()) >= 12 + 10


@pytest.mark.parametrize(("syntax", "example", "net", "wrt"), documented_examples())
def test_every_documented_example_is_right(syntax, example, net, wrt):
    verdict = verify(DOC_NETS[net], wrt, example, syntax=syntax, points=4)
    assert verdict.correct, verdict.report()


# -- refusals -------------------------------------------------------------------------------------

BATCHNORM_IMAGE = Network.from_spec(
    {"input": [1, 3, 3], "loss": "half_sse",
     "layers": [{"type": "conv2d", "channels": 1, "kernel": 2}, {"type": "batchnorm"}, {"type": "flatten"},
                {"type": "dense", "units": 1}]}
)


@pytest.mark.parametrize(
    ("net", "wrt", "syntax", "formula", "error", "message"),
    [
        (BATCHNORM_IMAGE, "W1", "python", "correlate(x, delta1)", UnsupportedError,
         "^verify cannot judge ∂L/∂W1: W1 has shape 1×1×2×2: .* a kernel larger than 1×1"),
        (RNN, "W1", "python", "x_4", ExpressionError, "unknown name 'x_4'"),
        (BATCHNORM, "W1", "latex", r"\sigma_B^3", ExpressionError, "power 2 only"),
        (DROPOUT, "W1", "latex", r"\hat{x}", ExpressionError, "no normalisation"),
        (LAYERNORM, "W1", "python", "N * W1", ExpressionError, "unknown name 'N'"),
        (BATCHNORM, "W1", "python", "np.mean(x, axis=1)", ExpressionError, "keepdims=True"),
        (RNN, "W1", "latex", r"\sum_{t=4}^{T} \delta^{(1)}_t x_t^T", ShapeError, "starts at 4"),
        (BATCHNORM, "W1", "latex", r"W_{xh}", ExpressionError,
         r"W_\{xh\} names a parameter of the one recurrent layer of a network \(or of the dense layer it feeds\), "
         r"and this network has no such layer: write the layer, as in W\^\{\(1\)\}$"),
        (RNN, "W1", "latex", r"\frac{\partial L}{\partial W_{hh}} = \delta^{(1)} (h^{(1)})^T", ExpressionError,
         r"the last line is ∂L/∂U⁽¹⁾, but the question asks for ∂L/∂W1"),
    ],
)
def test_refusals_say_what_and_why(net, wrt, syntax, formula, error, message):
    with pytest.raises(error, match=message):
        verify(net, wrt, formula, syntax=syntax, points=2)


def test_ngs_m_is_the_batch_and_never_a_dropout_mask():
    # Ng's m counts the samples a formula is judged on: N of a batch norm network (1 elsewhere).
    with_m = f"dX = {BN_DX.replace('N', 'm')}; dW1 = dX @ x.T"
    assert verify(BATCHNORM, "W1", with_m).correct
    assert not verify(BATCHNORM, "W1", with_m.replace("(m * sigma2)", "(m * m * sigma2)")).correct
    assert verify(BATCHNORM, "W1", BN_DX_LATEX.replace("N", "m") + " x^T", syntax="latex").correct
    # With a dropout layer, m in LaTeX is its mask, m^{(2)}, never the number of samples.
    masked = r"\left(m^{(2)} \odot (W^{(3)})^T \delta^{(3)} \odot (1 - (a^{(1)})^2)\right) x^T"
    assert verify(DROPOUT, "W1", masked, syntax="latex").correct
    assert not verify(DROPOUT, "W1", masked.replace("m^{(2)}", "m^{(2)} m^{(2)}"), syntax="latex").correct


def test_the_recurrent_subscripts_name_w_and_u_not_one_another():
    """W_{xh} is the input's weights W⁽¹⁾ and W_{hh} the recurrent U⁽¹⁾: swapped, δ₂ is wrong."""
    bptt = (
        r"\delta^{(1)}_T x_T^T + \left(W_{%s}^T \delta^{(1)}_T \odot (1 - h^{(1)}_{T-1} \odot h^{(1)}_{T-1})\right) x_{T-1}^T"
        r" + \delta^{(1)}_{T-2} x_{T-2}^T"
    )
    assert verify(RNN, "W1", bptt % "hh", syntax="latex", points=4).correct
    assert not verify(RNN, "W1", bptt % "xh", syntax="latex", points=4).correct


@pytest.mark.parametrize(("wrt", "written", "right"), [
    ("gamma2", r"\gamma^{(2)}", r"\sum_{n=1}^{N} \delta^{(2)}_n \odot \hat{x}^{(2)}_n"),
    ("beta2", r"\beta^{(2)}", r"\sum_{n=1}^{N} \delta^{(2)}_n"),
])
def test_a_scale_or_shift_gradient_may_be_written_as_an_equation(wrt, written, right):
    net = BATCHNORM
    lhs = rf"\frac{{\partial \mathcal{{L}}}}{{\partial {written}}} = "
    assert verify(net, wrt, lhs + right, syntax="latex").correct
    assert not verify(net, wrt, lhs + r"\sum_{n=1}^{N} \delta^{(2)}_n \odot \hat{x}^{(2)}_n \odot \hat{x}^{(2)}_n",
                      syntax="latex").correct
    other = "beta2" if wrt == "gamma2" else "gamma2"
    with pytest.raises(ExpressionError, match="but the question asks for"):
        verify(net, other, lhs + right, syntax="latex")
