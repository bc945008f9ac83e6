"""Bulk scalar gradients (SymEngine and SymPy) agree with the derivation engine."""

from __future__ import annotations

import dataclasses

import pytest
import sympy

from symbackprop import Network, models
from symbackprop.opcount import (
    count_entries,
    inlined_operation_count,
    operation_count,
    tree_operation_count,
)
from symbackprop.symbolic import (
    has_symengine,
    resolve_backend,
    scalar_gradients,
    to_sympy,
    without_heaviside,
)

from .derive_support import close, random_point, value

BACKENDS = ["sympy"] + (["symengine"] if has_symengine() else [])

NETWORKS = {
    "2-2-2": models.two_two_two,
    "beginner": models.beginner,
    "understanding": models.understanding,
    "tanh-mse-nobias": lambda: Network.from_layers((3, 2, 2), "tanh", loss="mse", bias=False),
    "leaky-identity": lambda: Network.from_layers((2, 3, 1), "leaky_relu(0.2)", "identity", "sse"),
    "softplus-bce": lambda: Network.from_layers((2, 2, 2), "softplus", "sigmoid", "binary_cross_entropy"),
    "swish-quartic": lambda: Network.from_layers((2, 2, 1), "x*sigmoid(x)", loss="(a - y)**4"),
    "softmax-sse": lambda: Network.from_layers((2, 2, 3), "relu", "softmax", "sse"),
    "deep-sigmoid": lambda: Network.from_layers((2, 3, 2, 2, 1), "sigmoid"),
}


def _as_sympy(result, backend):
    return result if backend == "sympy" else to_sympy(result)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(NETWORKS))
def test_gradients_are_the_delta_form_of_the_engine(name, backend):
    net = NETWORKS[name]()
    d = net.derive()
    result = _as_sympy(scalar_gradients(net, backend), backend)
    expected_keys = set(net.parameter_names()) | {f"delta{layer}" for layer in range(1, net.depth + 1)}
    assert set(result) == expected_keys
    assert count_entries(result) == net.parameter_count()
    for param in net.parameter_names():
        assert sympy.Matrix(result[param]) == d.gradient(param, form="delta"), param


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(NETWORKS))
def test_delta_definitions_agree_with_the_engine(name, backend):
    net = NETWORKS[name]()
    d = net.derive()
    result = _as_sympy(scalar_gradients(net, backend), backend)
    point = random_point(net, seed=7)
    for layer in range(1, net.depth + 1):
        column = [row[0] for row in result[f"delta{layer}"]]
        assert len(column) == net.sizes[layer]
        for mine, engine in zip(column, d.deltas[layer - 1], strict=True):
            # Same symbols (δ of the layer above, w, a, z, y) on both sides.
            assert mine.free_symbols <= engine.free_symbols | set(d.symbols.layers[layer - 1].z)
            got, want = value(mine, point.everything), value(engine, point.everything)
            assert close(got, want), (layer, mine, engine)
            if backend == "sympy":
                assert sympy.simplify(mine - engine) == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_relu_at_the_kink_passes_no_gradient(backend):
    net = Network.from_layers((1, 1, 1), "relu", "identity", bias=False)
    result = _as_sympy(scalar_gradients(net, backend), backend)
    d = net.derive()
    (delta1,) = [row[0] for row in result["delta1"]]
    a1, delta2, w2 = d.symbols.layers[0].a[0], d.symbols.layers[1].delta[0], d.symbols.parameter("W2")[0]
    at = {delta2: sympy.Integer(5), w2: sympy.Integer(2)}
    assert delta1.xreplace({**at, a1: sympy.Integer(0)}) == 0
    assert delta1.xreplace({**at, a1: sympy.Rational(1, 2)}) == 10


def test_without_heaviside_keeps_the_value_at_zero():
    t = sympy.Symbol("t", real=True)
    for h0 in (0, sympy.Rational(1, 2), 1):
        rewritten = without_heaviside(2 * sympy.Heaviside(t, h0))
        assert not rewritten.has(sympy.Heaviside)
        for at in (-1, 0, 3):
            assert rewritten.subs(t, at) == 2 * sympy.Heaviside(at, h0)
    assert without_heaviside(t**2) == t**2


def test_the_largest_network_has_every_gradient():
    net = Network.from_layers((784, 256, 128, 10), "relu", "softmax", "cross_entropy")
    result = scalar_gradients(net)
    assert count_entries(result) == net.parameter_count() == 235_146
    assert len(result["W1"]) == 256 and len(result["W1"][0]) == 784
    assert str(result["W1"][255][783]) in ("delta1_256*x784", "x784*delta1_256")
    assert str(result["b3"][9][0]) == "delta3_10"
    # δ⁽¹⁾ sums over the 128 units above: 128 products, 127 additions, times the slope.
    assert operation_count({"d": [result["delta1"][0]]}) >= 128 + 127


def test_operation_count_of_a_small_network():
    # 1-1-1 identity, half_sse, no bias: ∂L/∂w⁽ˡ⁾ = δ a (1 each), δ⁽²⁾ = a − y (1),
    # δ⁽¹⁾ = w⁽²⁾ δ⁽²⁾ (1): four operations in all.
    net = Network.from_layers((1, 1, 1), "identity", bias=False)
    for backend in BACKENDS:
        assert operation_count(scalar_gradients(net, backend)) == 4


def test_backend_choice():
    assert resolve_backend("sympy") == "sympy"
    assert resolve_backend("auto") == ("symengine" if has_symengine() else "sympy")
    with pytest.raises(ValueError, match="unknown backend 'numba'"):
        resolve_backend("numba")


def test_derivation_method_delegates():
    net = models.two_two_two()
    assert net.derive().scalar_gradients(backend="sympy") == scalar_gradients(net, "sympy")


@pytest.mark.skipif(not has_symengine(), reason="SymEngine is not installed: pip install symengine")
def test_symengine_results_convert_to_sympy_on_request():
    d = models.two_two_two().derive()
    raw = d.scalar_gradients(backend="symengine")
    assert not isinstance(raw["W1"][0][0], sympy.Basic)
    converted = d.scalar_gradients(backend="symengine", as_sympy=True)
    assert isinstance(converted["W1"][0][0], sympy.Basic)
    assert sympy.Matrix(converted["W2"]) == d.gradient("W2", form="delta")
    assert all(s.is_real for s in converted["delta1"][0][0].free_symbols)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["2-2-2", "beginner", "tanh-mse-nobias", "swish-quartic"])
def test_inlined_count_is_the_size_of_the_intermediate_form(name, backend):
    """Counted layer by layer without building it, it equals the count of the built trees."""
    net = NETWORKS[name]()
    d = net.derive()
    built = tree_operation_count(e for g in d.gradients("intermediate").values() for e in g)
    assert inlined_operation_count(scalar_gradients(net, backend)) == built


def test_tree_count_counts_shared_parts_once_per_use():
    t = sympy.Symbol("t")
    shared = sympy.exp(t) + 1  # 2 operations
    expr = shared * (shared + t) ** 2  # ×, +, power, and shared twice
    assert tree_operation_count([expr]) == 3 + 2 * 2
    assert tree_operation_count([t - 1]) == 1


@pytest.mark.skipif(not has_symengine(), reason="SymEngine is not installed: pip install symengine")
def test_auto_falls_back_to_sympy_when_symengine_cannot_read_an_expression(monkeypatch):
    import symbackprop.symbolic as bulk

    def refuse(expr):
        raise RuntimeError("not readable")

    real_kit = bulk.symengine_kit

    def broken_kit():
        return dataclasses.replace(real_kit(), convert=refuse)

    monkeypatch.setattr(bulk, "symengine_kit", broken_kit)
    net = models.two_two_two()
    assert scalar_gradients(net, "auto") == scalar_gradients(net, "sympy")
    with pytest.raises(RuntimeError, match="not readable"):
        scalar_gradients(net, "symengine")
