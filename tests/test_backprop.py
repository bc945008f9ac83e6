"""The backpropagation plan: its rules, and every back end reading the same rules.

The plan (symbackprop.backprop) states each layer's forward and backward rule
once; the symbolic engine, the printed matrix equations, the NumPy code, the
verifier's reference formulas and its true values all walk those rules.  These
tests check the rules against SymPy's own differentiation, and the back ends
against each other at random points.
"""

from __future__ import annotations

import random

import mpmath
import numpy as np
import pytest
import sympy

from symbackprop import Network, models
from symbackprop.backprop import HIDDEN_ERROR, OUTPUT_ERROR, plan, softmax_cross_entropy
from symbackprop.chain import MatrixForm
from symbackprop.symbolic import SYMPY, Evaluator, Symbolic
from symbackprop.symbols import activation, error, weight
from symbackprop.tensor import (
    NODES,
    Hadamard,
    LossGradient,
    MatMul,
    Quantity,
    Show,
    Slope,
    SoftmaxVJP,
    Transpose,
)
from symbackprop.verification.grid import Grid
from symbackprop.verification.reference import _Reference
from symbackprop.verification.values import PlanValues

NETWORKS = {
    "2-2-2": models.two_two_two,
    "understanding": models.understanding,
    "beginner": models.beginner,
    "tanh-softmax-sse": lambda: Network.from_layers((3, 4, 3), "tanh", "softmax", "sse"),
    "leaky-identity-mse": lambda: Network.from_layers((2, 3, 2, 2), "leaky_relu(0.2)", "identity", "mse"),
    "softplus-bce": lambda: Network.from_layers((2, 3, 2), "softplus", "sigmoid", "binary_cross_entropy"),
    "swish-quartic": lambda: Network.from_layers((2, 2, 1), "x*sigmoid(x)", loss="(a - y)**4"),
}


@pytest.mark.parametrize("backend", [Evaluator, MatrixForm, PlanValues, Show])
def test_every_back_end_reads_every_kind_of_node(backend):
    missing = [node.__name__ for node in NODES if not hasattr(backend, f"_visit_{node.__name__}")]
    assert not missing, f"{backend.__name__} has no rule for {', '.join(missing)}"


def _nodes(rule):
    yield rule
    for value in vars(rule).values():
        if isinstance(value, NODES):
            yield from _nodes(value)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_verifier_reads_every_node_of_an_error_or_gradient_rule(name):
    p = plan(NETWORKS[name]())
    rules = [p.error_rule(layer) for layer in range(1, p.depth + 1)] + [p.output_error.rule]
    rules += [g.rule for entry in p.layers for g in entry.gradients]
    kinds = {type(node) for rule in rules for node in _nodes(rule)}
    missing = sorted(kind.__name__ for kind in kinds if not hasattr(_Reference, f"_visit_{kind.__name__}"))
    assert not missing


def test_the_four_equations_as_the_plan_writes_them():
    p = plan(models.two_two_two())
    hidden, output = p.layers
    # BP2: δ⁽¹⁾ = ((W⁽²⁾)ᵀ δ⁽²⁾) ⊙ σ'(z⁽¹⁾)
    assert p.error_rule(1) == Hadamard(MatMul(Transpose(output.W), output.delta), Slope(hidden.activation, hidden.z, hidden.a))
    # BP1: δ⁽²⁾ = ∇ₐL ⊙ σ'(z⁽²⁾)
    assert p.error_rule(2) == Hadamard(p.loss_gradient, Slope(output.activation, output.z, output.a))
    # BP3 and BP4
    assert p.gradient_rule("b1") == hidden.delta
    assert p.gradient_rule(weight(2)) == MatMul(output.delta, Transpose(hidden.a))
    assert (p.error_equation(2), p.error_equation(1)) == (OUTPUT_ERROR, HIDDEN_ERROR)
    assert hidden.a.name == activation(1) and output.delta.name == error(2)


def test_an_activation_whose_derivative_is_one_adds_no_factor():
    p = plan(Network.from_layers((2, 2, 2), "identity", loss="half_sse"))
    assert p.error_rule(2) == p.loss_gradient
    assert p.error_rule(1) == MatMul(Transpose(p.layers[1].W), p.layers[1].delta)


@pytest.mark.parametrize(
    ("layers", "output", "loss", "shortcut"),
    [
        ((2, 3), "softmax", "cross_entropy", True),
        ((2, 3), "softmax", "-y*log(a)", False),  # the same term, but its targets need not sum to 1
        ((2, 3), "softmax", "sse", False),
        ((2, 1), "sigmoid", "binary_cross_entropy", False),
    ],
)
def test_the_softmax_cross_entropy_shortcut_is_decided_once(layers, output, loss, shortcut):
    net = Network.from_layers(layers, output, loss=loss)
    assert softmax_cross_entropy(net) is shortcut
    p = plan(net)
    assert (p.output_error.shortcut is not None) is shortcut
    assert p.output_error.rule == p.layers[-1].backward(p.loss_gradient)


def test_the_shortcut_is_the_softmax_rule_when_the_targets_sum_to_one():
    net = models.understanding()
    p = plan(net)
    rule = Symbolic(net).evaluate(p.output_error.rule)
    short = Symbolic(net).evaluate(p.output_error.shortcut)
    y = Symbolic(net).symbols.y
    last = y[-1]
    on_simplex = {last: 1 - sum(y[:-1])}
    assert sympy.simplify((rule - short).xreplace(on_simplex)) == sympy.zeros(3, 1)
    assert sympy.simplify(rule - short) != sympy.zeros(3, 1)


def test_the_softmax_vector_jacobian_product_is_sympys_derivative():
    n = 3
    z = sympy.symbols("z1:4", real=True)
    g = sympy.symbols("g1:4", real=True)
    softmax = [sympy.exp(z_i) / sum(sympy.exp(z_k) for z_k in z) for z_i in z]
    by_sympy = [sum(g[i] * sympy.diff(softmax[i], z[j]) for i in range(n)) for j in range(n)]
    a = Quantity(activation(1), n)
    upstream = Quantity(error(1), n)  # any column serves as the upstream gradient
    evaluate = Evaluator(SYMPY, {a.name: [[s] for s in softmax], upstream.name: [[g_i] for g_i in g]})
    ours = [row[0] for row in evaluate(SoftmaxVJP(a, upstream))]
    for mine, theirs in zip(ours, by_sympy, strict=True):
        assert sympy.simplify(mine - theirs) == 0


def test_shapes_are_checked_where_a_rule_is_written():
    W, a = Quantity(weight(2), 2, 3), Quantity(activation(1), 2)
    with pytest.raises(ValueError, match="MatMul of shapes"):
        MatMul(W, a)
    with pytest.raises(ValueError, match="Hadamard"):
        Hadamard(W, a)
    with pytest.raises(ValueError, match="not elementwise"):
        Slope(models.understanding().output_activation, a, a)


def _point(net: Network, seed: int):
    rng = np.random.default_rng(seed)
    params = {name: rng.uniform(-1, 1, shape) for name, shape in net.parameter_shapes().items()}
    x = rng.uniform(-1, 1, net.sizes[0])
    y = rng.dirichlet(np.ones(net.sizes[-1])) if net.loss.targets == "probability" else rng.uniform(0.1, 0.9, net.sizes[-1])
    return params, x, y


@pytest.mark.parametrize("name", list(NETWORKS))
def test_three_back_ends_give_the_same_errors(name):
    """δ's from the SymPy engine, from the verifier's mpmath values and from the generated NumPy."""
    net = NETWORKS[name]()
    p = plan(net)
    params, x, y = _point(net, random.Random(name).randrange(1000))
    trace = net.compile().trace(params, x[None, :], y[None, :])

    with mpmath.workdps(30):
        values = {"x": Grid.column(x), "y": Grid.column(y)}
        values.update({k: Grid.of(v.reshape(v.shape[0], -1)) for k, v in params.items()})
        at = PlanValues(values)
        for entry in p.layers:
            for assignment in entry.forward:
                values[str(assignment.target.name)] = at(assignment.rule)
        for layer in range(p.depth, 0, -1):
            values[str(error(layer))] = at(p.error_rule(layer))

    d = Symbolic(net)
    numbers = {s: v for s, v in zip(d.symbols.x, x, strict=True)} | {s: v for s, v in zip(d.symbols.y, y, strict=True)}
    for layer, symbols in zip(p.layers, d.symbols.layers, strict=True):
        numbers.update(zip(symbols.W, params[str(layer.W.name)].ravel(), strict=True))
        if layer.b is not None:
            numbers.update(zip(symbols.b, params[str(layer.b.name)], strict=True))
    numbers.update(d.forward_values)
    for layer in range(1, p.depth + 1):
        compiled = trace.delta[layer - 1][0]
        verifier = np.array([float(v) for v in values[str(error(layer))].flat])
        symbolic = np.array([float(e.xreplace(numbers).xreplace(numbers)) for e in d.deltas_intermediate[layer - 1]])
        np.testing.assert_allclose(verifier, compiled, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(symbolic, compiled, rtol=1e-9, atol=1e-12)


def test_the_reference_formula_of_every_gradient_comes_from_the_plan():
    from symbackprop.verification.nodes import show
    from symbackprop.verification.reference import gradient_tree

    net = models.understanding()
    assert show(gradient_tree(net, "W3")) == "(a3 - y) @ a2.T"
    assert show(gradient_tree(net, "b2")) == "W3.T @ (a3 - y) * act2'(z2)"
    assert isinstance(plan(net).loss_gradient, LossGradient)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_outer_products_are_the_products_sympy_makes(name):
    from symbackprop.symbolic import times_symbol

    d = Symbolic(NETWORKS[name]())
    for entry in d.plan.layers:
        prev = list(d.evaluate(entry.prev))
        deltas = list(d.deltas_intermediate[entry.index - 1]) + list(d.evaluate(entry.delta))
        for u in deltas + [-2 * deltas[0], deltas[0] * prev[0], sympy.Integer(3)]:
            for v in prev:
                fast, slow = times_symbol(u, v), u * v
                assert fast == slow and fast.args == slow.args and hash(fast) == hash(slow), (u, v)


def test_a_gradient_is_built_once_and_handed_out_as_a_copy():
    d = Symbolic(models.beginner())
    first = d.gradient("W1")
    first[0, 0] = 0
    again = d.gradient("W1")
    assert again[0, 0] != 0 and again is not first
    assert d.gradient("W1", "delta") == d.evaluate(d.plan.gradient_rule("W1"))


def test_one_gradient_of_784_256_128_10_is_built_in_about_a_second_and_kept():
    import time

    # The bound asked for is 1 s for any single gradient; on a shared machine
    # the test allows five times that, in CPU time.
    d = Network.from_layers((784, 256, 128, 10), "sigmoid", "softmax", "cross_entropy").derive()
    start = time.process_time()
    grad = d.gradient("W1")
    first = time.process_time() - start
    assert grad.shape == (256, 784) and first < 5
    start = time.process_time()
    assert d.gradient("W1")[17, 400] == grad[17, 400]
    assert time.process_time() - start < first / 5
