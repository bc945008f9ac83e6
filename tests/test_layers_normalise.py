"""Batch norm and layer norm: specs, the collapsed backward rule against SymPy's derivative of the
forward rule written out with its sums, the printed graph derivation, and the compiled gradients
against finite differences, the fully expanded loss and PyTorch autograd in float64."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network
from symbackprop.errors import SpecError
from symbackprop.gradient_check import gradcheck, random_batch
from symbackprop.layers.indexed import at
from symbackprop.layers.normalise_graph import Graph
from symbackprop.params import init_params

from .layer_support import (
    assert_equals_pytorch_autograd,
    assert_grad_json_equals_finite_differences,
)

BATCHNORM_MLP = {
    "input": 3, "loss": "half_sse", "l2": 0.05,
    "layers": [{"type": "dense", "units": 4}, {"type": "batchnorm", "activation": "relu"},
               {"type": "dense", "units": 2, "activation": "tanh"}],
}
BATCHNORM_CONV = {
    "input": [2, 4, 4], "loss": "cross_entropy",
    "layers": [{"type": "conv2d", "channels": 3, "kernel": 2}, {"type": "batchnorm", "activation": "relu"},
               {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}],
}
LAYERNORM_MLP = {
    "input": 3, "loss": "half_sse",
    "layers": [{"type": "dense", "units": 4, "activation": "tanh"}, {"type": "layernorm", "activation": "sigmoid"},
               {"type": "dense", "units": 2}],
}


def _random_params(net: Network, seed: int) -> dict[str, np.ndarray]:
    """Drawn parameters with γ and β away from 1 and 0, so a rule that drops them shows."""
    params = init_params(net, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for name, value in params.items():
        if not name.startswith("W"):
            params[name] = value + rng.normal(scale=0.5, size=value.shape)
    return params


# -- specs --------------------------------------------------------------------------------------


def test_parameters_are_named_gamma_and_beta_one_per_feature_or_channel():
    assert Network.from_spec(BATCHNORM_MLP).parameter_shapes() == {
        "W1": (4, 3), "b1": (4,), "gamma2": (4,), "beta2": (4,), "W3": (2, 4), "b3": (2,)}
    conv = Network.from_spec(BATCHNORM_CONV)
    assert conv.parameter_shapes()["gamma2"] == (3,) and conv.layers[1].out_shape == (3, 3, 3)
    for spec in (BATCHNORM_MLP, BATCHNORM_CONV, LAYERNORM_MLP):
        net = Network.from_spec(spec)
        assert Network.from_spec(net.to_spec()) == net
    params = init_params(Network.from_spec(LAYERNORM_MLP), seed=0)
    assert np.all(params["gamma2"] == 1) and np.all(params["beta2"] == 0)  # the identity to start


def test_shapes_a_normalisation_cannot_take_are_named_together():
    with pytest.raises(SpecError) as caught:
        Network.from_spec({"input": [1, 4, 4], "layers": [
            {"type": "layernorm"}, {"type": "batchnorm", "activation": "softmax"},
            {"type": "flatten"}, {"type": "dense", "units": 1}]})
    text = str(caught.value)
    assert "layer 1 (layernorm): normalises the features of a vector, but its input has shape 1×4×4" in text
    assert "layer 2 (batchnorm): softmax is only for a dense output layer" in text


def test_verify_judges_them_and_a_worksheet_features_layer_norm(tmp_path):
    import symbackprop as sbp

    # verify judges a batch norm network on a batch (tests/test_verify_batch.py has the rest)
    assert sbp.verify(BATCHNORM_MLP, "W1", "delta1 @ x.T + lam * W1", points=2).correct
    # A tanh layer below: no answer template for its W, so the sheet asks for γ and β (tests/test_worksheet_layers.py has the rest).
    text = sbp.worksheet(Network.from_spec(LAYERNORM_MLP), tmp_path / "sheet.md").read_text()
    assert "# Backpropagation through layer norm" in text and "### Exercise 3: the worked example in numbers" in text


# -- the collapsed rule against SymPy's derivative of the forward rule -------------------------


def _numbers(base, values):
    return {base[tuple(i + 1 for i in p)]: values[p] for p in np.ndindex(values.shape)}


@pytest.mark.parametrize("spec, batch", [
    ({"input": 2, "layers": [{"type": "batchnorm"}, {"type": "dense", "units": 1}]}, 3),
    ({"input": [2, 2, 2], "layers": [{"type": "batchnorm"}, {"type": "flatten"}, {"type": "dense", "units": 1}]}, 2),
])
def test_batchnorm_backward_equals_sympys_derivative_of_the_rule_written_over_the_batch(spec, batch):
    """SymPy differentiates z[n,j] = γ_j (x[n,j] − μ_j)/√(σ²_j + ε) + β_j with μ and σ² written as
    sums over the batch; the plan's (γ/(Nσ))(N δ − Σδ − x̂ Σ δx̂), Σ δx̂ and Σ δ agree with it."""
    net = Network.from_spec(spec)
    layer = net.layers[0]
    rule = layer.index_rule(1, batch=batch)
    (gamma, _, _), (beta, _, _), (x, _, _) = rule.inputs
    delta = sympy.IndexedBase("delta")
    rng = np.random.default_rng(7)
    X = rng.normal(size=(batch, *layer.in_shape))
    G, B = rng.normal(size=layer.features), rng.normal(size=layer.features)
    D = rng.normal(size=X.shape)
    numbers = _numbers(x, X) | _numbers(gamma, G) | _numbers(beta, B) | _numbers(delta, D)
    entry = layer.rules(1, _plan(net).x)
    mu = entry.forward[0].rule.compute(X)
    sigma = entry.forward[1].rule.compute(X, mu)
    xhat = entry.forward[2].rule.compute(X, mu, sigma)
    scale, shift = (g.rule for g in entry.gradients)
    # the sums the rule reads are ∂L/∂β and ∂L/∂γ
    collapsed_x = entry.input_gradient.compute(D, xhat, sigma, G, shift.compute(D), scale.compute(D, xhat))
    for point in np.ndindex(X.shape):
        derived = at(rule, x, tuple(i + 1 for i in point), delta)
        assert float(derived.xreplace(numbers)) == pytest.approx(collapsed_x[point], rel=1e-9, abs=1e-12)
    for base, collapsed in ((gamma, scale.compute(D, xhat)), (beta, shift.compute(D))):
        for j in range(layer.features):
            derived = at(rule, base, (j + 1,), delta)
            assert float(derived.xreplace(numbers)) == pytest.approx(collapsed[j], rel=1e-9, abs=1e-12)


def test_layernorm_backward_equals_sympys_derivative_of_the_rule_written_over_the_features():
    net = Network.from_spec({"input": 4, "layers": [{"type": "layernorm"}, {"type": "dense", "units": 1}]})
    layer = net.layers[0]
    rule = layer.index_rule(1)
    (gamma, _, _), (beta, _, _), (x, _, _) = rule.inputs
    delta = sympy.IndexedBase("delta")
    rng = np.random.default_rng(8)
    X, G, B, D = (rng.normal(size=4) for _ in range(4))
    numbers = _numbers(x, X) | _numbers(gamma, G) | _numbers(beta, B) | _numbers(delta, D)
    entry = layer.rules(1, _plan(net).x)
    mu = entry.forward[0].rule.compute(X[None])
    sigma = entry.forward[1].rule.compute(X[None], mu)
    xhat = entry.forward[2].rule.compute(X[None], mu, sigma)
    collapsed_x = entry.input_gradient.compute(D[None], xhat, sigma, G)[0]
    for j in range(4):
        derived = at(rule, x, (j + 1,), delta)
        assert float(derived.xreplace(numbers)) == pytest.approx(collapsed_x[j], rel=1e-9, abs=1e-12)
        derived_gamma = at(rule, gamma, (j + 1,), delta)
        assert float(derived_gamma.xreplace(numbers)) == pytest.approx(D[j] * xhat[0, j], rel=1e-9)


def _plan(net):
    from symbackprop.backprop import plan

    return plan(net)


def test_the_graph_collapses_to_the_textbook_forms():
    """Through μ, σ², x̂ SymPy reaches (γ/(Nσ))(N δᵢ − Σδ − x̂ᵢ Σ δx̂) for batch norm, and with
    g = γ ⊙ δ inside the sums, (1/(nσ))(n gᵢ − Σg − x̂ᵢ Σ g x̂) for layer norm."""
    batch = Graph(2, "n", ("j",), "N", per_entry_scale=False)
    s = batch.symbols
    n, i, j, N = s["k"], s["i"], s["fixed"][0], s["N"]
    d, xh, gamma, sigma = s["delta"], s["xhat"], sympy.IndexedBase("gamma2")[j], s["sigma"]
    expected = gamma / (N * sigma) * (N * d[i, j] - sympy.Sum(d[n, j], (n, 1, N)) - xh[i, j] * sympy.Sum(d[n, j] * xh[n, j], (n, 1, N)))
    assert sympy.expand(batch.input_gradient()["collapsed"] - expected) == 0
    layer = Graph(2, "j", (), "n", per_entry_scale=True)
    s = layer.symbols
    k, i, n = s["k"], s["i"], s["N"]
    g = sympy.IndexedBase("gamma2")
    d, xh, sigma = s["delta"], s["xhat"], s["sigma"]
    expected = (n * g[i] * d[i] - sympy.Sum(g[k] * d[k], (k, 1, n)) - xh[i] * sympy.Sum(g[k] * d[k] * xh[k], (k, 1, n))) / (n * sigma)
    assert sympy.expand(layer.input_gradient()["collapsed"] - expected) == 0


# -- compiled gradients -------------------------------------------------------------------------


@st.composite
def normalised_specs(draw):
    """Random networks with a batch norm (on a vector or an image) or a layer norm."""
    kind = draw(st.sampled_from(["batchnorm", "batchnorm-image", "layernorm"]))
    act = draw(st.sampled_from(["identity", "tanh", "relu", "sigmoid"]))
    if kind == "batchnorm-image":
        layers = [{"type": "conv2d", "channels": draw(st.integers(1, 2)), "kernel": 2},
                  {"type": "batchnorm", "activation": act}, {"type": "flatten"}]
        shape = [draw(st.integers(1, 2)), 3, 3]
    else:
        layers = [{"type": "dense", "units": draw(st.integers(2, 4)), "activation": draw(st.sampled_from(["identity", "tanh"]))},
                  {"type": kind, "activation": act}]
        shape = draw(st.integers(1, 3))
    if draw(st.booleans()):
        layers.append({"type": "dense", "units": 3, "activation": "tanh"})
    layers.append({"type": "dense", "units": 2, "activation": "softmax"})
    return {"input": shape, "layers": layers, "loss": "cross_entropy", "l2": draw(st.sampled_from([0.0, 0.1]))}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(normalised_specs(), st.integers(0, 1000), st.integers(2, 5))
def test_compiled_gradients_match_finite_differences(spec, seed, batch):
    net = Network.from_spec(spec)
    X, Y = random_batch(net, seed=seed, batch=batch)
    report = gradcheck(net, _random_params(net, seed), X, Y, max_entries=30)
    assert report.passed, report.table()


def test_gradients_equal_sympys_derivative_of_the_fully_expanded_batch_loss():
    """The mean loss of a batch of three written out in SymPy from the definitions (μ, σ² over
    the batch, biased, ε = 1e-5), differentiated by SymPy: every gradient agrees."""
    net = Network.from_spec({"input": 2, "loss": "half_sse", "l2": 0.2, "layers": [
        {"type": "dense", "units": 2}, {"type": "batchnorm", "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]})
    params = _random_params(net, 3)
    X, Y = random_batch(net, seed=3, batch=3)
    symbols = {name: sympy.Matrix(*(value.shape if value.ndim == 2 else (value.shape[0], 1)),
                                  lambda r, c, name=name: sympy.Symbol(f"{name}_{r}{c}", real=True))
               for name, value in params.items()}
    Z1 = [symbols["W1"] * sympy.Matrix(x) + symbols["b1"] for x in X]
    mean = sum(Z1, sympy.zeros(2, 1)) / 3
    variance = sum(((z - mean).applyfunc(lambda e: e**2) for z in Z1), sympy.zeros(2, 1)) / 3
    loss = 0
    for z, y in zip(Z1, Y, strict=True):
        xhat = sympy.Matrix([(z[j] - mean[j]) / sympy.sqrt(variance[j] + sympy.Float(1e-5)) for j in range(2)])
        a2 = sympy.Matrix([sympy.tanh(symbols["gamma2"][j] * xhat[j] + symbols["beta2"][j]) for j in range(2)])
        z3 = (symbols["W3"] * a2 + symbols["b3"])[0]
        loss += sympy.Rational(1, 2) * (1 / (1 + sympy.exp(-z3)) - y[0]) ** 2
    loss = loss / 3 + sympy.Float(0.1) * sum(e**2 for name in ("W1", "W3") for e in symbols[name])
    values = {s: float(v) for name in params for s, v in zip(symbols[name], np.ravel(params[name]), strict=True)}
    _, grads = net.compile()(params, X, Y)
    for name, value in grads.items():
        expected = [float(sympy.diff(loss, s).xreplace(values)) for s in symbols[name]]
        assert np.allclose(np.ravel(value), expected, rtol=1e-9, atol=1e-12), name


def test_gradients_equal_pytorch_autograd(torch):
    """F.batch_norm in training mode (a vector, an image) and F.layer_norm, by PyTorch's autograd."""
    for spec in (BATCHNORM_MLP, BATCHNORM_CONV, LAYERNORM_MLP):
        net = Network.from_spec(spec)
        X, Y = random_batch(net, seed=5, batch=6)
        assert_equals_pytorch_autograd(torch, net, _random_params(net, 5), X, Y)


# -- the command line and the printed derivation -----------------------------------------------


@pytest.mark.parametrize("spec", [BATCHNORM_MLP, BATCHNORM_CONV, LAYERNORM_MLP])
def test_grad_json_equals_finite_differences(spec, run_cli, tmp_path):
    net = Network.from_spec(spec)
    X, Y = random_batch(net, seed=4, batch=5)
    assert_grad_json_equals_finite_differences(run_cli, tmp_path, spec, _random_params(net, 4), X, Y, most=10)


@pytest.mark.parametrize("spec", [BATCHNORM_MLP, BATCHNORM_CONV, LAYERNORM_MLP])
def test_check_and_train_on_a_normalisation_spec(spec, run_cli, tmp_path):
    (tmp_path / "net.json").write_text(json.dumps(spec))
    checked = run_cli("check", "--spec", str(tmp_path / "net.json"), "--seed", "2")
    assert checked.status == 0 and "entries pass" in checked.stdout, checked.stdout + checked.stderr
    net = Network.from_spec(spec)
    X, Y = random_batch(net, seed=1, batch=32)
    Y = np.eye(Y.shape[1])[Y.argmax(axis=1)] if net.loss.name == "cross_entropy" else np.tanh(Y)
    np.savez(tmp_path / "d.npz", X=X, Y=Y)
    trained = run_cli("train", "--spec", str(tmp_path / "net.json"), "--data", str(tmp_path / "d.npz"),
                      "--epochs", "60", "--lr", "0.1", "--json")
    assert trained.status == 0, trained.stderr
    out = json.loads(trained.stdout.strip().splitlines()[-1])
    assert out["final_loss"] < 0.7 * out["initial_loss"]


def test_derive_prints_the_graph_and_the_textbook_forms():
    d = Network.from_spec(BATCHNORM_MLP).derive()
    index = d.text()
    for line in (
        "μ⁽²⁾_j = Σ_n=1..N (a⁽¹⁾_n,j)/N",
        "∂σ²⁽²⁾_j/∂μ⁽²⁾_j = Σ_n=1..N (−2·a⁽¹⁾_n,j + 2·μ⁽²⁾_j)/N",
        "∂ℒ/∂γ⁽²⁾_j = Σ_n=1..N (δ⁽²⁾_n,j·x̂⁽²⁾_n,j)",
        # SymPy's collapse of the three paths: the textbook form
        "∂ℒ/∂a⁽¹⁾_n',j = (N·δ⁽²⁾_n',j − x̂⁽²⁾_n',j·Σ_n=1..N (δ⁽²⁾_n,j·x̂⁽²⁾_n,j) − Σ_n=1..N (δ⁽²⁾_n,j))·γ⁽²⁾_j/(N·σ⁽²⁾_j)",
        "the identity Σ (x − μ) = 0",
    ):
        assert line in index, line
    matrix = d.text(level="matrix")
    assert "x̂⁽²⁾ = (a⁽¹⁾ − μ⁽²⁾) ⊘ σ⁽²⁾" in matrix
    assert "δ⁽¹⁾ = (γ⁽²⁾/(N σ⁽²⁾) ⊙ (N δ⁽²⁾ − Σ_n δ⁽²⁾_n − x̂⁽²⁾ ⊙ Σ_n δ⁽²⁾_n ⊙ x̂⁽²⁾_n))" in matrix
    layer = Network.from_spec(LAYERNORM_MLP).derive()
    assert "= (n·δ⁽²⁾_j'·γ⁽²⁾_j' − x̂⁽²⁾_j'·Σ_j=1..n (δ⁽²⁾_j·γ⁽²⁾_j·x̂⁽²⁾_j) − Σ_j=1..n (δ⁽²⁾_j·γ⁽²⁾_j))/(n·σ⁽²⁾)" in layer.text()
    assert r"\hat{x}^{(2)}" in layer.markdown(level="matrix")


def test_batchnorm_benchmark_runs_and_its_contenders_agree():
    """bench/batchnorm.py checks the compiled gradient, NumPy by hand and PyTorch agree before it
    times them; a quick run."""
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parent.parent / "bench" / "batchnorm.py"
    done = subprocess.run([sys.executable, str(bench), "--quick", "--json"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [(row["dtype"], row["batch"]) for row in rows] == [("float64", 64), ("float32", 64)]
    assert all(row["compiled"] > 0 and row["numpy"] > 0 for row in rows)


def test_layers_beside_batch_norm_say_their_terms_are_summed_over_the_batch():
    """Batch norm couples the samples: a dense layer's per-sample terms add up over the batch
    (∂ℒ/∂W = Σ_n δ_n a_nᵀ), which both levels say; γ ⊙ x̂ reads as ⊙ in the shape notes."""
    d = Network.from_spec(BATCHNORM_MLP).derive()
    index = " ".join(d.text().split())
    dense_sections = [part for part in index.split("Layer ")[1:] if part.startswith(("1 (dense)", "3 (dense)"))]
    assert len(dense_sections) == 2
    for section in dense_sections:
        assert (
            "Batch norm couples the samples of the batch: every entry here is that of one sample n, "
            "and each gradient of a parameter below is summed over the samples n = 1 to N."
        ) in section
    assert "∂ℒ/∂W⁽³⁾_j,k = a⁽²⁾_k·δ⁽³⁾_j [chain rule, collapsed by SymPy: the outer product δ⁽ˡ⁾ (a^(l−1))ᵀ; out-of-range terms are 0]" in index
    assert "∂ℒ/∂W⁽³⁾_j,k = λ·W⁽³⁾_j,k + a⁽²⁾_k·δ⁽³⁾_j [with L2: the penalty's derivative λ w is added once, not per sample]" in index
    batchnorm_section = next(part for part in index.split("Layer ")[1:] if part.startswith("2 (batchnorm)"))
    assert "one sample n," not in batchnorm_section  # its Σ_n is written out
    matrix = " ".join(d.text(level="matrix").split())
    assert "∂ℒ/∂W⁽¹⁾ = δ⁽¹⁾ xᵀ + λ W⁽¹⁾ [BP4; summed over the batch;" in matrix
    assert "∂ℒ/∂γ⁽²⁾ = Σ_n δ⁽²⁾_n ⊙ x̂⁽²⁾_n [Σ_n δ_n ⊙ x̂_n; (4×1) ⊙ (4×1) → (4×1)]" in matrix
    assert "z⁽²⁾ = γ⁽²⁾ ⊙ x̂⁽²⁾ + β⁽²⁾ [scaled and shifted; (4×1) ⊙ (4×1) → (4×1)]" in matrix
    assert r"(4 \times 1) \odot (4 \times 1) \to (4 \times 1)" in d.latex(level="matrix")
    # a layer without parameters (flatten) has no gradient to sum; a convolution's is summed
    conv = " ".join(Network.from_spec(BATCHNORM_CONV).derive().text().split()).split("Layer ")[1:]
    assert [part.split(":")[0] for part in conv if "one sample n," in part] == ["4 (dense)", "1 (conv2d)"]
    # without batch norm the samples are independent and nothing is said
    layer = " ".join(Network.from_spec(LAYERNORM_MLP).derive().text().split())
    assert "; summed over the batch]" not in layer and "one sample n" not in layer
