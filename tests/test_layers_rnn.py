"""The recurrent layer: specs, backpropagation through time against SymPy's derivative of the
unrolled forward pass, the printed recursion, and the compiled gradients against finite
differences, the expanded loss and PyTorch autograd in float64; an RNN learns a sequence task."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network, datasets
from symbackprop.errors import SpecError
from symbackprop.gradient_check import gradcheck, random_batch
from symbackprop.layers.indexed import derivatives
from symbackprop.params import init_params
from symbackprop.symbolic import Symbolic

from .layer_support import (
    assert_equals_pytorch_autograd,
    assert_grad_json_equals_finite_differences,
)

RNN = {
    "input": [3, 2], "loss": "half_sse", "l2": 0.01,
    "layers": [{"type": "rnn", "units": 2}, {"type": "dense", "units": 1, "activation": "sigmoid"}],
}


def _params(net: Network, seed: int) -> dict[str, np.ndarray]:
    """Drawn parameters with biases away from 0."""
    params = init_params(net, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return {name: value + (rng.normal(scale=0.3, size=value.shape) if name.startswith("b") else 0)
            for name, value in params.items()}


# -- specs --------------------------------------------------------------------------------------


def test_parameters_and_shapes():
    net = Network.from_spec(RNN)
    assert net.parameter_shapes() == {"W1": (2, 2), "U1": (2, 2), "b1": (2,), "W2": (1, 2), "b2": (1,)}
    assert net.input_shape == (3, 2) and net.layers[0].activation.name == "tanh"  # tanh unless told
    assert Network.from_spec(net.to_spec()) == net
    assert net.describe() == "3×2 → rnn(2) tanh → dense(1) sigmoid, half_sse, l2 0.01"


def test_an_rnn_needs_a_sequence():
    with pytest.raises(SpecError) as caught:
        Network.from_spec({"input": 4, "layers": [{"type": "rnn", "units": 0, "activation": "softmax"},
                                                  {"type": "dense", "units": 1}]})
    text = str(caught.value)
    assert "layer 1 (rnn): 'units' must be a whole number of at least 1, got 0" in text
    assert "layer 1 (rnn): softmax is only for a dense output layer" in text
    with pytest.raises(SpecError, match=r"layer 1 \(rnn\): reads a sequence \(steps, features\), but its input has shape 4; give 'input' as \[T, n\]"):
        Network.from_spec({"input": 4, "layers": [{"type": "rnn", "units": 2}, {"type": "dense", "units": 1}]})


def test_verify_judges_it_and_a_worksheet_asks_for_bptt_with_l2(tmp_path):
    import symbackprop as sbp

    assert sbp.verify(RNN, "W1", "delta1.T @ x + lam * W1", points=2).correct  # row t of δ is step t
    text = sbp.worksheet(Network.from_spec(RNN), tmp_path / "sheet.md").read_text()
    assert "# Backpropagation through time" in text and r"+ \lambda U^{(1)}" in text


# -- backpropagation through time against SymPy ------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_backprop_through_time_equals_sympys_derivative_of_the_unrolled_recurrence(activation):
    """h_T written out in SymPy for T = 3 (h₁ = σ(W x₁ + b), h₂ = σ(W x₂ + U h₁ + b), …) and
    differentiated: the plan's δ recursion, Σ_t δ_t x_tᵀ, Σ_t δ_t h_{t−1}ᵀ, Σ_t δ_t and Wᵀ δ_t agree."""
    steps, n, units = 3, 2, 2
    net = Network.from_spec({"input": [steps, n], "layers": [
        {"type": "rnn", "units": units, "activation": activation}, {"type": "dense", "units": 1}]})
    layer = net.layers[0]
    act = layer.activation
    W, U = (sympy.Matrix(units, k, lambda r, c, s=s: sympy.Symbol(f"{s}{r}{c}", real=True)) for s, k in (("W", n), ("U", units)))
    b = sympy.Matrix(units, 1, lambda r, c: sympy.Symbol(f"b{r}", real=True))
    x = sympy.Matrix(steps, n, lambda r, c: sympy.Symbol(f"x{r}{c}", real=True))
    g = sympy.Matrix(units, 1, lambda r, c: sympy.Symbol(f"g{r}", real=True))  # ∂L/∂h_T
    h = sympy.zeros(units, 1)
    for t in range(steps):
        h = (W * x[t, :].T + U * h + b).applyfunc(act)
    loss = (g.T * h)[0]
    rng = np.random.default_rng(5)
    numbers = {s: rng.normal(scale=0.8) for s in loss.free_symbols}
    value = {name: np.array(m.xreplace(numbers), dtype=float) for name, m in (("W", W), ("U", U), ("b", b), ("x", x), ("g", g))}
    entry = layer.rules(1, _plan(net).x)
    X = value["x"][None]
    Z = entry.forward[0].rule.compute(X, value["W"], value["U"], value["b"][:, 0])
    H = np.vectorize(lambda z: float(act(sympy.Float(z))))(Z)
    slope = np.vectorize(lambda z, a: float(act.derivative_at(sympy.Float(z), sympy.Float(a))))(Z, H)
    D = entry.backward(None).compute(value["g"].T, slope, value["U"])
    grads = {gr.target.name.stem: gr.rule for gr in entry.gradients}
    collapsed = {
        "W": grads["W"].compute(D, X), "U": grads["U"].compute(D, H), "b": grads["b"].compute(D),
        "x": entry.input_gradient.compute(D, value["W"])[0],
    }
    for name, symbols in (("W", W), ("U", U), ("b", b), ("x", x)):
        derived = np.array(sympy.Matrix(symbols.shape[0], symbols.shape[1],
                                        lambda r, c, symbols=symbols: sympy.diff(loss, symbols[r, c])).xreplace(numbers), dtype=float)
        assert np.allclose(collapsed[name].reshape(derived.shape), derived, rtol=1e-10, atol=1e-12), name


def _plan(net):
    from symbackprop.backprop import plan

    return plan(net)


def test_sympy_collapses_the_indexed_rule_to_the_textbook_sums():
    rule = Network.from_spec(RNN).layers[0].index_rule(1)
    found = {str(d.base.label): d for d in derivatives(rule)}
    t, j, k = sympy.symbols("t j k", integer=True, positive=True)
    delta, x, h, W, U = (sympy.IndexedBase(s) for s in ("delta", "x", "h1", "W1", "U1"))
    assert found["W1"].collapsed == sympy.Sum(delta[t, j] * x[t, k], (t, 1, 3))
    assert found["U1"].collapsed == sympy.Sum(delta[t, j] * h[t - 1, k], (t, 1, 3))  # h₀ = 0
    assert found["x"].collapsed == sympy.Sum(W[j, k] * delta[t, j], (j, 1, 2))
    # The recursion: h_t reaches the loss through z_{t+1} only.
    assert found["h1"].collapsed == sympy.Sum(U[j, k] * delta[t + 1, j], (j, 1, 2))


def test_derive_prints_backpropagation_through_time():
    d = Network.from_spec(RNN).derive()
    index = d.text()
    for line in (
        "z⁽¹⁾_t,j = b⁽¹⁾_j + Σ_k=1..2 (U⁽¹⁾_j,k·h⁽¹⁾[t − 1,k]) + Σ_k=1..2 (W⁽¹⁾_j,k·x_t,k)",
        "a⁽¹⁾_j = h⁽¹⁾_3,j",
        "δ⁽¹⁾_3,j = ∂ℒ/∂a⁽¹⁾_j · tanh'(z⁽¹⁾_3,j)",
        "δ⁽¹⁾_t,j = Σ_i=1..2 (U⁽¹⁾_i,j·δ⁽¹⁾[t + 1,i]) · tanh'(z⁽¹⁾_t,j)",
        "∂ℒ/∂W⁽¹⁾_j,k = Σ_t=1..3 (δ⁽¹⁾_t,j·x_t,k)",
        "∂ℒ/∂U⁽¹⁾_j,k = λ·U⁽¹⁾_j,k + Σ_t=1..3 (δ⁽¹⁾_t,j·h⁽¹⁾[t − 1,k])",
    ):
        assert line in index, line
    matrix = d.text(level="matrix")
    assert "z⁽¹⁾ = [W⁽¹⁾ x_t + U⁽¹⁾ h_t−1 + b⁽¹⁾]_t=1..T, h_t = tanh(z_t), h_0 = 0" in matrix
    assert "δ⁽¹⁾ = [(U⁽¹⁾ᵀ δ_t+1) ⊙ tanh'(z⁽¹⁾)_t]_t<T, δ_T = (W⁽²⁾ᵀ δ⁽²⁾) ⊙ tanh'(z⁽¹⁾)_T" in matrix
    assert "∂ℒ/∂U⁽¹⁾ = Σ_t=2..T δ⁽¹⁾_t h⁽¹⁾_t−1ᵀ + λ U⁽¹⁾" in matrix
    assert r"\frac{\partial \mathcal{L}}{\partial W^{(1)}_{j,k}} &= \sum_{t=1}^{3} \delta^{(1)}_{t,j} x_{t,k}" in d.markdown()
    assert r"\frac{\partial \mathcal{L}}{\partial W^{(1)}} &= \sum_{t=1}^{T} \delta^{(1)}_{t} \left(x_{t}\right)^{\top}" in d.markdown(level="matrix")


# -- compiled gradients -------------------------------------------------------------------------


@st.composite
def rnn_specs(draw):
    layers = [{"type": "rnn", "units": draw(st.integers(1, 3)),
               "activation": draw(st.sampled_from(["tanh", "relu", "sigmoid", "identity"]))}]
    if draw(st.booleans()):
        layers.append({"type": "dense", "units": 3, "activation": "tanh"})
    layers.append({"type": "dense", "units": 2, "activation": "softmax"})
    return {"input": [draw(st.integers(1, 4)), draw(st.integers(1, 2))], "layers": layers,
            "loss": "cross_entropy", "l2": draw(st.sampled_from([0.0, 0.1]))}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rnn_specs(), st.integers(0, 1000))
def test_compiled_gradients_match_finite_differences(spec, seed):
    net = Network.from_spec(spec)
    X, Y = random_batch(net, seed=seed, batch=3)
    report = gradcheck(net, _params(net, seed), X, Y, max_entries=30)
    assert report.passed, report.table()


def test_gradients_equal_sympys_derivative_of_the_fully_expanded_loss():
    net = Network.from_spec(RNN)
    d = Symbolic(net)
    loss = d.expanded_loss()
    params = _params(net, 2)
    X, Y = random_batch(net, seed=2, batch=1)
    values = {}
    for name, value in params.items():
        values.update(zip(_symbols(d, d.plan.gradient_assignment(name).target), np.ravel(value), strict=True))
    values.update(zip(_symbols(d, d.plan.x), np.ravel(X[0]), strict=True))
    values.update(zip(_symbols(d, d.plan.y), np.ravel(Y[0]), strict=True))
    _, grads = net.compile()(params, X, Y)
    for name in params:
        expected = [float(sympy.diff(loss, s).xreplace(values)) for s in _symbols(d, d.plan.gradient_assignment(name).target)]
        assert np.allclose(np.ravel(grads[name]), expected, rtol=1e-10, atol=1e-12), name


def _symbols(d, quantity):
    return list(np.ravel(np.array(d.evaluate(quantity).tolist(), dtype=object)))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rnn_specs(), st.integers(0, 1000))
def test_gradients_equal_pytorch_autograd(torch, spec, seed):
    """The recurrence written out with PyTorch's tensors, differentiated by its autograd."""
    net = Network.from_spec(spec)
    X, Y = random_batch(net, seed=seed, batch=4)
    assert_equals_pytorch_autograd(torch, net, _params(net, seed), X, Y)


def test_grad_json_equals_finite_differences(run_cli, tmp_path):
    net = Network.from_spec(RNN)
    X, Y = random_batch(net, seed=4, batch=5)
    assert_grad_json_equals_finite_differences(run_cli, tmp_path, RNN, _params(net, 4), X, Y)


def test_check_and_train_on_the_running_sum(run_cli, tmp_path):
    spec = {"input": [6, 1], "loss": "cross_entropy", "layers": [
        {"type": "rnn", "units": 4}, {"type": "dense", "units": 2, "activation": "softmax"}]}
    (tmp_path / "net.json").write_text(json.dumps(spec))
    checked = run_cli("check", "--spec", str(tmp_path / "net.json"), "--seed", "1")
    assert checked.status == 0 and "entries pass" in checked.stdout, checked.stdout + checked.stderr
    trained = run_cli("train", "--spec", str(tmp_path / "net.json"), "--data", "running_sum", "--samples", "300",
                      "--epochs", "30", "--lr", "0.01", "--optimizer", "adam", "--batch-size", "32", "--json")
    assert trained.status == 0, trained.stderr
    out = json.loads(trained.stdout.strip().splitlines()[-1])
    assert out["final_loss"] < 0.6 * out["initial_loss"] and out["accuracy"] > 0.8


def test_the_running_sum_labels_are_the_sign_of_the_sum():
    data = datasets.running_sum(50, steps=7, seed=3)
    assert data.X.shape == (50, 7, 1) and np.all((data.X >= -1) & (data.X <= 1))
    assert np.array_equal(data.Y.argmax(axis=1), (data.X.sum(axis=(1, 2)) > 0).astype(int))


def test_the_example_learns_the_sign_of_a_running_sum():
    example = Path(__file__).resolve().parent.parent / "examples" / "rnn_running_sum.py"
    done = subprocess.run([sys.executable, str(example), "--json"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["test_accuracy"] >= 0.95  # on 1,000 sequences it never saw
    assert out["final_loss"] < 0.2 * out["initial_loss"]
