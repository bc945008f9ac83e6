"""Compiled gradients: the matrix path against two independent references.

1. ``Derivation.gradient(name, form="expanded")`` — SymPy's expression for each
   entry in x, y and the parameters — evaluated with a plain ``lambdify``;
2. the second compile path (per-entry expressions with cse);
and finite differences in test_gradcheck.py and the property tests.
"""

from __future__ import annotations

import inspect
import time

import numpy as np
import pytest
import sympy

from symbackprop import DataError, Network, ShapeError, models
from symbackprop.gradient_check import random_batch
from symbackprop.params import init_params

NETWORKS = {
    "2-2-2": lambda: models.two_two_two(),
    "beginner": lambda: models.beginner(),
    "understanding": lambda: models.understanding(),
    "tanh-bce": lambda: Network.from_spec(
        {"layers": [3, 3, 2], "activation": "tanh", "output_activation": "sigmoid",
         "loss": "binary_cross_entropy"}
    ),
    "swish-custom-loss": lambda: Network.from_spec(
        {"layers": [2, 3, 2], "activation": "x*sigmoid(x)", "output_activation": "identity",
         "loss": "(a - y)**4 / 4"}
    ),
    "softplus-leaky-mse": lambda: Network.from_spec(
        {"layers": [2, 3, 3, 1], "activation": ["softplus", "leaky_relu(0.2)", "identity"],
         "loss": "mse", "bias": False}
    ),
    "softmax-half-sse": lambda: Network.from_spec(
        {"layers": [2, 3, 3], "activation": "relu", "output_activation": "softmax",
         "loss": "half_sse"}
    ),
}


def perturbed_params(net, seed):
    rng = np.random.default_rng(seed)
    return {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in init_params(net, seed).items()}


def expanded_reference(net, params, X, Y):
    """Mean over the batch of SymPy's expanded per-entry gradients, evaluated by substitution.

    (Substituting numbers with ``xreplace`` collapses the expanded trees as they are
    rebuilt; lambdifying them instead takes minutes beyond two layers.)
    """
    d = net.derive()
    syms = d.symbols
    names = net.parameter_names()
    exprs = [d.expanded_loss()] + [e for n in names for e in d.gradient(n, form="expanded")]
    values = {s: sympy.Float(v) for n in names
              for s, v in zip(syms.parameter(n), params[n].ravel(), strict=True)}
    rows = []
    for x, y in zip(X, Y, strict=True):
        sample = dict(values)
        sample.update({s: sympy.Float(v) for s, v in zip(syms.x, x, strict=True)})
        sample.update({s: sympy.Float(v) for s, v in zip(syms.y, y, strict=True)})
        rows.append([float(e.xreplace(sample)) for e in exprs])
    mean = np.array(rows).mean(axis=0)
    out, pos = {}, 1
    for n in names:
        size = params[n].size
        out[n] = mean[pos : pos + size].reshape(params[n].shape)
        pos += size
    return mean[0], out


@pytest.mark.parametrize("key", list(NETWORKS))
def test_matrix_path_equals_sympy_expanded_gradient(key):
    net = NETWORKS[key]()
    params = perturbed_params(net, 1)
    X, Y = random_batch(net, seed=2, batch=1 if key == "understanding" else 2)
    loss, grads = net.compile()(params, X, Y)
    ref_loss, ref = expanded_reference(net, params, X, Y)
    assert loss == pytest.approx(ref_loss, rel=1e-12, abs=1e-14)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("key", list(NETWORKS))
def test_matrix_and_scalar_paths_agree(key):
    net = NETWORKS[key]()
    params = perturbed_params(net, 3)
    X, Y = random_batch(net, seed=4, batch=5)
    loss_m, grads_m = net.compile()(params, X, Y)
    loss_s, grads_s = net.compile(path="scalar")(params, X, Y)
    assert loss_m == pytest.approx(loss_s, rel=1e-12)
    for name in grads_m:
        np.testing.assert_allclose(grads_m[name], grads_s[name], rtol=1e-9, atol=1e-13)


def test_scalar_path_refuses_large_networks():
    with pytest.raises(DataError, match="scalar compile path is for small networks"):
        Network.from_layers([30, 30, 1]).compile(path="scalar")


# -- numerical soundness: |z| up to 1000, warnings are errors in this suite ------------


def params_giving(net, z_values):
    """Parameters that put z⁽ᴸ⁾ = z_values for x = 0 (through the output bias)."""
    params = init_params(net, seed=0)
    params[f"b{net.depth}"] = np.asarray(z_values, dtype=float)
    return params


@pytest.mark.parametrize("z", [1000.0, -1000.0])
def test_sigmoid_bce_at_large_z_is_exact(z):
    net = Network.from_spec({"layers": [1, 1], "output_activation": "sigmoid",
                             "loss": "binary_cross_entropy"})
    f = net.compile()
    loss, grads = f(params_giving(net, [z]), [[0.0]], [[1.0]])
    # −log σ(z): 0 (to rounding) for z = 1000, exactly 1000 for z = −1000; δ = a − y.
    assert loss == pytest.approx(0.0 if z > 0 else 1000.0, abs=1e-300)
    assert grads["b1"][0] == pytest.approx(0.0 if z > 0 else -1.0, abs=1e-300)


def test_softmax_cross_entropy_at_large_z_is_exact():
    net = Network.from_spec({"layers": [1, 3], "output_activation": "softmax",
                             "loss": "cross_entropy"})
    f = net.compile()
    loss, grads = f(params_giving(net, [1000.0, 0.0, -1000.0]), [[0.0]], [[0.0, 0.0, 1.0]])
    assert loss == 2000.0  # log-softmax: −(−1000 − 1000 − log(1 + e^−1000 + e^−2000))
    np.testing.assert_array_equal(grads["b1"], [1.0, 0.0, -1.0])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "softplus",
                                        "identity", "x*sigmoid(x)", "log(1+exp(x))"])
@pytest.mark.parametrize("loss", ["half_sse", "mse", "binary_cross_entropy", "cross_entropy"])
def test_no_overflow_or_nan_for_large_z(activation, loss):
    output = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}.get(loss, activation)
    net = Network.from_spec({"layers": [2, 4, 3], "activation": activation,
                             "output_activation": output, "loss": loss})
    f = net.compile()
    params = init_params(net, seed=0)
    params["W1"] = np.array([[1, -1], [-1, 1], [0.5, 0.5], [1, 1]]) * 500.0
    params["W2"] = np.sign(np.random.default_rng(0).standard_normal((3, 4))) * 2.0
    X = np.array([[1.0, -1.0], [2.0, 0.0], [-2.0, 0.0]])  # |z1| up to 1000
    _, Y = random_batch(net, seed=0, batch=3)
    loss_value, grads = f(params, X, Y)
    assert np.isfinite(loss_value)
    assert all(np.all(np.isfinite(g)) for g in grads.values())


def test_stable_forms_are_named_in_the_source():
    source = Network.from_spec({"layers": [2, 2, 2], "activation": "softplus",
                                "output_activation": "sigmoid",
                                "loss": "binary_cross_entropy"}).compile().source
    assert "def _sigmoid(z):" in source and "numpy.logaddexp(0, " in source
    assert "# stable form:" in source and "softplus(z)" in source
    softmax = models.understanding().compile().source
    assert "LOGA3 = S3 - numpy.log(T3)" in softmax and "log-softmax" in softmax


def test_stabilize_visits_each_node_once(monkeypatch):
    # t·(1 + e^(−t·(1 + e^(−…)))) twelve deep: each product's factors are stabilized once,
    # not once as arguments and again as factors (2¹² visits at this depth).
    from symbackprop.numeric import stable

    t = sympy.Symbol("t", real=True)
    expr = t
    for _ in range(12):
        expr = t * (1 + sympy.exp(-expr))
    visits = []
    original = stable.stabilize
    monkeypatch.setattr(stable, "stabilize", lambda e: visits.append(e) or original(e))
    result = stable.stabilize(expr)
    assert len(visits) <= sum(1 for _ in sympy.preorder_traversal(expr))
    assert float(result.subs(t, 0.3)) == pytest.approx(float(expr.subs(t, 0.3)), rel=1e-12)


# -- the interface -----------------------------------------------------------------


def test_source_is_readable_and_inspectable():
    f = models.two_two_two().compile()
    assert "def gradient(params, X, Y):" in f.source
    assert f.docstring == f.raw.__doc__
    assert "The batch loss and its gradient" in f.docstring
    assert "mean of the per-sample losses" in f.docstring
    assert inspect.getsource(f.raw).startswith("def gradient(params, X, Y):")
    # The δ of the output layer is SymPy's simplification of ∂ℓ/∂a · σ'(z):
    assert "D2 = (-A2*(A2 - 1)*(A2 - Y)) / m" in f.source


def test_custom_activation_is_differentiated_by_sympy_not_hand_written():
    f = Network.from_spec({"layers": [1, 1], "activation": "x*sigmoid(x)",
                           "loss": "(a - y)**4"}).compile()
    # σ'(z) of z·σ(z), from SymPy, with σ written stably; loss derivative 4(a − y)³.
    assert "Z1*_sigmoid(-Z1)*_sigmoid(Z1) + _sigmoid(Z1)" in f.source
    assert "4*(A1 - Y)**3" in f.source


def test_float32_on_request():
    net = models.understanding()
    params = perturbed_params(net, 0)
    X, Y = random_batch(net, seed=0, batch=8)
    loss64, g64 = net.compile()(params, X, Y)
    f32 = net.compile(dtype=np.float32)
    loss32, g32 = f32(params, X, Y)
    assert all(g.dtype == np.float32 for g in g32.values())
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for name in g64:
        np.testing.assert_allclose(g32[name], g64[name], rtol=1e-3, atol=1e-5)
    with pytest.raises(DataError, match="dtype must be float64 or float32"):
        net.compile(dtype=np.int32)


def test_step_forward_trace_and_inputs_untouched():
    net = models.beginner()
    f = net.compile()
    params = perturbed_params(net, 2)
    before = {k: v.copy() for k, v in params.items()}
    X, Y = random_batch(net, seed=1, batch=4)
    loss, grads = f(params, X, Y)
    loss_step, new = f.step(params, X, Y, lr=0.1)
    assert loss_step == loss
    for name in params:
        np.testing.assert_array_equal(new[name], before[name] - 0.1 * grads[name])
        np.testing.assert_array_equal(params[name], before[name])
        assert new[name] is not params[name]
    zs, as_ = f.forward(params, X)
    assert [z.shape for z in zs] == [(4, 3), (4, 3), (4, 2)]
    np.testing.assert_allclose(as_[0], 1 / (1 + np.exp(-(X @ params["W1"].T))))
    np.testing.assert_array_equal(f.predict(params, X), as_[-1])
    trace = f.trace(params, X, Y)
    assert trace.loss == loss
    # per-sample δ's: their mean times the inputs is the gradient
    np.testing.assert_allclose(trace.delta[0].T @ X / 4, grads["W1"])
    assert f.loss(params, X, Y) == loss


def test_single_sample_as_vectors():
    f = models.two_two_two().compile()
    params = init_params(models.two_two_two(), seed=0)
    a = f(params, [0.05, 0.1], [0.01, 0.99])
    b = f(params, [[0.05, 0.1]], [[0.01, 0.99]])
    assert a[0] == b[0]


def test_bad_inputs_give_clear_errors():
    net = models.two_two_two()
    f = net.compile()
    params = init_params(net, seed=0)
    with pytest.raises(ShapeError, match=r"parameter W2 has shape \(3, 2\) .* expects \(2, 2\)"):
        f({**params, "W2": np.zeros((3, 2))}, [[0, 0]], [[0, 0]])
    with pytest.raises(DataError, match="parameter b1 is missing"):
        f({k: v for k, v in params.items() if k != "b1"}, [[0, 0]], [[0, 0]])
    with pytest.raises(ShapeError, match=r"X has shape \(1, 3\) .* expects \(batch, 2\)"):
        f(params, [[0, 0, 0]], [[0, 0]])
    with pytest.raises(ShapeError, match="X has 2 samples but Y has 1"):
        f(params, [[0, 0], [1, 1]], [[0, 0]])


CE_NET = {"layers": [4, 5, 3], "activation": "tanh", "output_activation": "softmax", "loss": "cross_entropy"}
BCE_NET = {"layers": [4, 5, 3], "activation": "tanh", "output_activation": "sigmoid", "loss": "binary_cross_entropy"}


def _batch(spec, dtype, rows=64):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((rows, 4)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[rng.integers(0, 3, rows)]
    return X, Y


def _spoiled(array, row, col, value):
    out = array.copy()
    out[row, col] = value
    return out


def _rows_set(array, rows):
    out = array.copy()
    for row, values in rows.items():
        out[row] = values
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("spec", "spoil", "message"),
    [
        (CE_NET, lambda X, Y: (_spoiled(X, 40, 2, np.nan), Y), "X contains a value that is not a finite number"),
        (CE_NET, lambda X, Y: (_spoiled(X, 63, 3, -np.inf), Y), "X contains a value that is not a finite number"),
        (CE_NET, lambda X, Y: (X, _spoiled(Y, 7, 0, np.inf)), "Y contains a value that is not a finite number"),
        # the first negative entry is named, wherever a row sums wrong before it
        (CE_NET, lambda X, Y: (X, _rows_set(Y, {30: [0.3, 0.3, 0.3], 50: [1.5, -0.5, 0.0]})),
         "cross_entropy targets must be probability vectors (entries of at least 0 that sum to 1), but row 51 of Y holds -0.5"),
        (CE_NET, lambda X, Y: (X, Y * np.where(np.arange(64) == 30, 0.5, 1.0)[:, None].astype(Y.dtype)),
         "cross_entropy targets must be probability vectors (entries of at least 0 that sum to 1), but row 31 of Y sums to 0.5"),
        (BCE_NET, lambda X, Y: (X, _spoiled(Y, 63, 2, 1.5)),
         "binary_cross_entropy targets must lie in [0, 1], but row 64 of Y holds 1.5"),
        (BCE_NET, lambda X, Y: (X, _spoiled(Y, 12, 1, -0.25)),
         "binary_cross_entropy targets must lie in [0, 1], but row 13 of Y holds -0.25"),
    ],
)
def test_the_checked_call_names_a_bad_value_anywhere_in_a_batch(dtype, spec, spoil, message):
    """Arrays already of the compiled dtype take the fast path; every value is still checked."""
    net = Network.from_spec(spec)
    f = net.compile(dtype=dtype)
    params = {k: v.astype(dtype) for k, v in init_params(net, seed=0).items()}
    X, Y = spoil(*_batch(spec, dtype))
    for call in (f, f.loss, f.step) if dtype == np.float64 else (f,):
        args = (params, X, Y, 0.1) if call == f.step else (params, X, Y)
        with pytest.raises(DataError) as caught:
            call(*args)
        assert str(caught.value) == message


def test_targets_within_the_sum_tolerance_pass_and_beyond_it_are_refused():
    net = Network.from_spec(CE_NET)
    f = net.compile()
    params = init_params(net, seed=0)
    X, Y = _batch(CE_NET, np.float64)
    near = Y.copy()
    near[5] = [0.2, 0.3, 0.5 + 5e-7]
    assert np.isfinite(f(params, X, near)[0])
    near[5, 2] += 2e-6
    with pytest.raises(DataError, match="row 6 of Y sums to 1"):
        f(params, X, near)


def test_parameter_shapes_are_a_new_dict_each_time():
    """The network keeps its shapes for every call; a caller's changes do not reach them."""
    net = Network.from_spec(CE_NET)
    shapes = net.parameter_shapes()
    shapes["W1"] = (1, 1)
    del shapes["b2"]
    assert net.parameter_shapes() == {"W1": (5, 4), "b1": (5,), "W2": (3, 5), "b2": (3,)}


def test_large_network_compiles_fast_without_scalar_symbols():
    start = time.perf_counter()
    net = Network.from_spec({"layers": [784, 256, 128, 10], "activation": "sigmoid",
                             "output_activation": "softmax", "loss": "cross_entropy"})
    derivation = net.derive()
    f = derivation.compile()
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"derive + compile took {elapsed:.2f} s"
    assert "symbols" not in derivation.__dict__  # no per-entry SymPy symbol was made
    params = init_params(net, seed=0)
    X, Y = random_batch(net, seed=0, batch=2)
    loss, grads = f(params, X, Y)
    assert grads["W1"].shape == (256, 784) and np.isfinite(loss)


def test_stable_sigmoid_helper_is_accurate_and_never_overflows():
    import math

    from symbackprop.numeric.stable import HELPERS

    namespace = {"numpy": np}
    exec(HELPERS["_sigmoid"], namespace)  # the exact text that generated code contains
    sigmoid = namespace["_sigmoid"]
    z = np.linspace(-1000, 1000, 4001)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = sigmoid(z)
        assert sigmoid(z.astype(np.float32)).dtype == np.float32
    exact = np.array([1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))
                      for t in z])
    meaningful = exact > 1e-300
    np.testing.assert_allclose(value[meaningful], exact[meaningful], rtol=1e-15)
    assert np.all(value[~meaningful] < 1e-300)
