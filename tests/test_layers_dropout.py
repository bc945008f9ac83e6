"""Dropout: the mask drawn from the seed (fixed for one seed, off without one), the compiled
gradients against finite differences, SymPy's derivative of the expanded loss and PyTorch."""

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
from symbackprop.layers.dropout import _dropout_mask
from symbackprop.params import init_params
from symbackprop.symbolic import Symbolic
from symbackprop.training import train

from .layer_support import (
    assert_equals_pytorch_autograd,
    assert_grad_json_equals_finite_differences,
)

DROPOUT_MLP = {
    "input": 4, "loss": "half_sse",
    "layers": [{"type": "dense", "units": 6, "activation": "tanh"}, {"type": "dropout", "p": 0.5},
               {"type": "dense", "units": 2}],
}


def test_the_mask_is_inverted_dropout_drawn_from_the_seed():
    A = np.zeros((400, 50))
    mask = _dropout_mask(A, 0.3, 7, 2)
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert abs(np.mean(mask == 0) - 0.3) < 0.01  # dropped with probability p
    assert abs(mask.mean() - 1) < 0.02  # so the expected output is the input itself
    assert np.array_equal(mask, _dropout_mask(A, 0.3, 7, 2))  # the same seed, the same mask
    assert not np.array_equal(mask, _dropout_mask(A, 0.3, 8, 2))
    assert not np.array_equal(mask, _dropout_mask(A, 0.3, 7, 3))  # each layer its own
    assert np.all(_dropout_mask(A, 0.3, None, 2) == 1)
    assert _dropout_mask(A.astype(np.float32), 0.3, 7, 2).dtype == np.float32


def test_p_is_checked_and_the_spec_round_trips():
    net = Network.from_spec(DROPOUT_MLP)
    assert net.stochastic and net.parameter_names() == ("W1", "b1", "W3", "b3")
    assert Network.from_spec(net.to_spec()) == net
    for p in (1, -0.1, "half", True):
        with pytest.raises(SpecError, match=r"layer 2 \(dropout\): 'p' must be a probability of dropping an entry"):
            Network.from_spec({**DROPOUT_MLP, "layers": [DROPOUT_MLP["layers"][0], {"type": "dropout", "p": p},
                                                         DROPOUT_MLP["layers"][2]]})


def test_the_seed_fixes_the_mask_and_predict_runs_without_dropout():
    net = Network.from_spec(DROPOUT_MLP)
    f = net.compile()
    params = init_params(net, seed=1)
    X, Y = random_batch(net, seed=1, batch=8)
    assert f(params, X, Y)[0] == f(params, X, Y)[0] == f.loss(params, X, Y, seed=0)
    assert f(params, X, Y, seed=1)[0] != f(params, X, Y, seed=0)[0]
    without = f.forward(params, X, seed=None)[1][-1]
    assert np.allclose(f.predict(params, X), without)
    expected = np.tanh(X @ params["W1"].T + params["b1"]) @ params["W3"].T + params["b3"]
    assert np.allclose(without, expected)


@st.composite
def dropout_specs(draw):
    p = draw(st.sampled_from([0.0, 0.2, 0.5]))
    if draw(st.booleans()):
        layers = [{"type": "conv2d", "channels": 2, "kernel": 2, "activation": "tanh"},
                  {"type": "dropout", "p": p}, {"type": "flatten"}]
        shape = [1, 3, 3]
    else:
        layers = [{"type": "dropout", "p": p}, {"type": "dense", "units": 4, "activation": draw(st.sampled_from(["tanh", "relu"]))},
                  {"type": "dropout", "p": draw(st.sampled_from([0.1, 0.6]))}]
        shape = 3
    layers.append({"type": "dense", "units": 2, "activation": "sigmoid"})
    return {"input": shape, "layers": layers, "loss": "binary_cross_entropy", "l2": draw(st.sampled_from([0.0, 0.1]))}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dropout_specs(), st.integers(0, 1000))
def test_compiled_gradients_match_finite_differences(spec, seed):
    report = gradcheck(Network.from_spec(spec), seed=seed, batch=4, max_entries=30)
    assert report.passed, report.table()


def test_gradients_equal_sympys_derivative_of_the_expanded_loss():
    """One sample: SymPy's derivative of the loss written out in x, the parameters and the mask's
    entries, at the mask the compiled function drew."""
    net = Network.from_spec({"input": 2, "loss": "half_sse", "l2": 0.1, "layers": [
        {"type": "dense", "units": 3, "activation": "sigmoid"}, {"type": "dropout", "p": 0.4},
        {"type": "dense", "units": 1}]})
    d = Symbolic(net)
    loss = d.expanded_loss()
    params = init_params(net, seed=6)
    params["b1"] = np.array([0.1, -0.2, 0.3])
    X, Y = random_batch(net, seed=6, batch=1)
    f = net.compile()
    hidden = f.forward(params, X, seed=None)[1][0]
    mask = _dropout_mask(hidden, 0.4, 0, 2)
    assert np.allclose(f.forward(params, X)[1][1], mask * hidden)
    values = {}
    for name, value in params.items():
        values.update(zip(_symbols(d, d.plan.gradient_assignment(name).target), np.ravel(value), strict=True))
    values.update(zip(_symbols(d, d.plan.x), X[0], strict=True))
    values.update(zip(_symbols(d, d.plan.y), Y[0], strict=True))
    values.update(zip(_symbols(d, d.plan.layers[1].mask), mask[0], strict=True))
    _, grads = f(params, X, Y)
    for name in params:
        expected = [float(sympy.diff(loss, s).xreplace(values)) for s in _symbols(d, d.plan.gradient_assignment(name).target)]
        assert np.allclose(np.ravel(grads[name]), expected, rtol=1e-10, atol=1e-12), name


def _symbols(d, quantity):
    return list(np.ravel(np.array(d.evaluate(quantity).tolist(), dtype=object)))


def test_gradients_equal_pytorch_autograd_with_the_same_mask(torch):
    net = Network.from_spec(DROPOUT_MLP)
    X, Y = random_batch(net, seed=2, batch=5)
    assert_equals_pytorch_autograd(torch, net, init_params(net, seed=2), X, Y, seed=11)


def test_training_draws_a_new_mask_for_every_step_and_learns():
    net = Network.from_spec(DROPOUT_MLP)
    X, Y = random_batch(net, seed=3, batch=64)
    Y = np.tanh(X[:, :2])  # a function of the input it can learn
    f = net.compile()
    seeds = []
    original = f.__call__

    class Spy:
        network = net
        loss = f.loss

        def __call__(self, params, X, Y, **options):
            seeds.append(options.get("seed"))
            return original(params, X, Y, **options)

    result = train(net, X, Y, epochs=80, lr=0.1, optimizer="adam", batch_size=16, compiled=Spy())
    assert len(set(seeds)) == len(seeds) > 300  # a fresh mask for each of 80 epochs × 4 batches, and the first
    assert result.history[-1] < 0.5 * result.history[0]
    again = train(net, X, Y, epochs=3, lr=0.1, batch_size=16)
    assert again.history == train(net, X, Y, epochs=3, lr=0.1, batch_size=16).history  # the seed fixes them


def test_derive_prints_the_mask_as_an_input_at_both_levels():
    """The mask's entries are symbols of their own: SymPy's derivative of a = m ⊙ x is m."""
    d = Network.from_spec(DROPOUT_MLP).derive()
    for line in ("a⁽²⁾_j = a⁽¹⁾_j·m⁽²⁾_j", "∂a⁽²⁾_j/∂a⁽¹⁾_j' = [j = j']·m⁽²⁾_j", "∂ℒ/∂a⁽¹⁾_j = δ⁽²⁾_j·m⁽²⁾_j"):
        assert line in d.text(), line
    assert r"\frac{\partial \mathcal{L}}{\partial a^{(1)}_{j}} &= \delta^{(2)}_{j} m^{(2)}_{j}" in d.markdown()
    matrix = d.markdown(level="matrix")
    assert r"a^{(2)} &= m^{(2)} \odot a^{(1)}" in matrix
    # drawn from the seed: not written as a function of a⁽¹⁾, and no operand in its shape note
    assert r"m^{(2)} &= \operatorname{mask}_{p = 0.5}\left(\mathrm{seed}\right)" in matrix
    flat = " ".join(d.text(level="matrix").split())
    assert (
        "m⁽²⁾ = mask_p=0.5(seed) [layer 2: drawn from the seed, independent of a⁽¹⁾: "
        "each entry 0 with probability p, else 1/(1 − p); (6×1)]"
    ) in flat
    assert r"\delta^{(1)} &= \left(m^{(2)} \odot \delta^{(2)}\right) \odot \tanh'\left(z^{(1)}\right)" in matrix


def test_check_and_train_on_the_command_line(run_cli, tmp_path):
    """check holds the mask of its seed fixed, so every entry passes; train draws a fresh one per step."""
    (tmp_path / "net.json").write_text(json.dumps(DROPOUT_MLP))
    checked = run_cli("check", "--spec", str(tmp_path / "net.json"), "--seed", "3")
    assert checked.status == 0 and "entries pass" in checked.stdout, checked.stdout + checked.stderr
    X = np.random.default_rng(4).standard_normal((64, 4))
    np.savez(tmp_path / "d.npz", X=X, Y=np.tanh(X[:, :2]))
    trained = run_cli("train", "--spec", str(tmp_path / "net.json"), "--data", str(tmp_path / "d.npz"),
                      "--epochs", "40", "--lr", "0.05", "--optimizer", "adam", "--batch-size", "16", "--json")
    assert trained.status == 0, trained.stderr
    out = json.loads(trained.stdout.strip().splitlines()[-1])
    assert out["final_loss"] < 0.6 * out["initial_loss"]


def test_grad_json_with_a_seed_equals_finite_differences_at_that_mask(run_cli, tmp_path):
    net = Network.from_spec(DROPOUT_MLP)
    X, Y = random_batch(net, seed=4, batch=6)
    assert_grad_json_equals_finite_differences(run_cli, tmp_path, DROPOUT_MLP, init_params(net, seed=5), X, Y, seed=5)
