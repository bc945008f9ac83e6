"""The rule tables: activations, losses, their derivatives, and the identities a person shows."""

from __future__ import annotations

import pytest
import sympy

from symbackprop import Network, SpecError, activation, loss
from symbackprop.activations import NAMES, S, T
from symbackprop.losses import A, N, Y

from .derive_support import close, value

POINTS = (-2.5, -0.3, 0.4, 1.7)


@pytest.mark.parametrize(
    "name",
    ["sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu(0.2)", "softplus", "identity", "x*sigmoid(x)",
     "tanh(u)**2 + 0.5*u", "log(1 + exp(t))"],
)
def test_derivative_is_the_derivative_of_the_rule(name):
    act = activation(name)
    for t in POINTS:  # away from the kink at 0
        want = value(sympy.diff(act.expr, T), {T: t})
        assert close(value(act.derivative, {T: t}), want)
        if act.derivative_of_output is not None:
            output = value(act.expr, {T: t})
            assert close(value(act.derivative_of_output, {S: output}), want)


def test_sigmoid_identity():
    sigmoid = activation("sigmoid")
    assert sigmoid.derivative_of_output == S * (1 - S)
    assert sympy.simplify(sigmoid.derivative - sigmoid.expr * (1 - sigmoid.expr)) == 0


def test_tanh_identity():
    tanh = activation("tanh")
    assert tanh.derivative_of_output == 1 - S**2
    assert sympy.simplify(tanh.derivative - (1 - sympy.tanh(T) ** 2)) == 0


def test_softplus_derivative_is_the_sigmoid():
    softplus, sigmoid = activation("softplus"), activation("sigmoid")
    assert sympy.simplify(softplus.derivative - sigmoid.expr) == 0


def test_relu_derivative_at_zero_is_zero():
    relu = activation("relu")
    assert relu.derivative.subs(T, 0) == 0
    assert relu.derivative_of_output.subs(S, 0) == 0  # a = relu(z) = 0 for z <= 0
    assert relu.derivative.subs(T, 1) == 1 and relu.derivative.subs(T, -1) == 0
    assert relu.expr.subs(T, -3) == 0 and relu.expr.subs(T, 3) == 3
    assert relu.has_kink and not activation("sigmoid").has_kink


def test_relu_network_gradient_is_zero_for_a_unit_exactly_at_the_kink():
    """relu'(0) = 0 in the engine: a hidden unit with z = 0 passes no gradient back."""
    d = Network.from_layers((1, 1, 1), "relu", "identity", bias=False).derive()
    point = {
        d.symbols.x[0]: sympy.Integer(1),
        d.symbols.y[0]: sympy.Integer(3),
        d.symbols.parameter("W1")[0]: sympy.Integer(0),  # z⁽¹⁾ = 0
        d.symbols.parameter("W2")[0]: sympy.Integer(2),
    }
    assert d.gradient("W1", "expanded")[0].xreplace(point) == 0
    assert d.gradient("W2", "expanded")[0].xreplace(point) == 0  # a⁽¹⁾ = 0
    point[d.symbols.parameter("W1")[0]] = sympy.Rational(1, 2)
    assert d.gradient("W1", "expanded")[0].xreplace(point) == (1 - 3) * 2


def test_leaky_relu_slope_and_value_at_zero():
    leaky = activation("leaky_relu(0.2)")
    assert leaky.slope == 0.2 and leaky.name == "leaky_relu(0.2)"
    assert leaky.derivative.subs(T, 1) == 1
    assert leaky.derivative.subs(T, -1) == pytest.approx(0.2)
    assert leaky.derivative.subs(T, 0) == pytest.approx(0.2)
    assert leaky.expr.subs(T, -2) == pytest.approx(-0.4)
    assert activation("leaky_relu").slope == 0.01
    assert activation({"name": "leaky_relu", "slope": 0.3}).slope == 0.3


def test_identity_derivative_is_one():
    ident = activation("identity")
    assert ident.expr == T and ident.derivative == 1 and ident.derivative_of_output == 1


def test_softmax_jacobian():
    """∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ), differentiated from aᵢ = exp(zᵢ)/Σₖ exp(zₖ)."""
    z = sympy.symbols("z1:4", real=True)
    total = sum(sympy.exp(zk) for zk in z)
    a = [sympy.exp(zi) / total for zi in z]
    for i in range(3):
        for j in range(3):
            jacobian = sympy.diff(a[i], z[j])
            assert sympy.simplify(jacobian - a[i] * (sympy.KroneckerDelta(i, j) - a[j])) == 0
    assert not activation("softmax").elementwise


def test_softmax_with_cross_entropy_gives_a_minus_y():
    """δ = ∂L/∂z = a − y for L = −Σ yᵢ log softmax(z)ᵢ when Σ yᵢ = 1."""
    z = sympy.symbols("z1:4", real=True)
    y1, y2 = sympy.symbols("y1 y2", real=True)
    y = [y1, y2, 1 - y1 - y2]
    total = sum(sympy.exp(zk) for zk in z)
    a = [sympy.exp(zi) / total for zi in z]
    L = -sum(yi * sympy.log(ai) for yi, ai in zip(y, a, strict=True))
    for j in range(3):
        assert sympy.simplify(sympy.diff(L, z[j]) - (a[j] - y[j])) == 0
    d = Network.from_layers((2, 3), "softmax", loss="cross_entropy").derive()
    assert d.softmax_cross_entropy
    out = d.symbols.layers[-1]
    assert list(d.deltas[-1]) == [out.a[j] - d.symbols.y[j] for j in range(3)]


def test_softmax_with_another_loss_uses_the_full_jacobian():
    d = Network.from_layers((2, 3), "softmax", loss="half_sse").derive()
    assert not d.softmax_cross_entropy
    a, y = d.symbols.layers[-1].a, d.symbols.y
    for j in range(3):
        want = sum((a[i] - y[i]) * a[i] * (sympy.KroneckerDelta(i, j) - a[j]) for i in range(3))
        assert sympy.expand(d.deltas[-1][j] - want) == 0


def test_custom_activation():
    swish = activation("x*sigmoid(x)")
    assert swish.is_custom and swish.name == "x*sigmoid(x)" and swish.source == "x*sigmoid(x)"
    assert sympy.simplify(swish.expr - T / (1 + sympy.exp(-T))) == 0
    assert activation("0.5*x + 1e-3").expr == sympy.Float(0.5) * T + sympy.Float(0.001)
    assert not activation("tanh").is_custom and not activation("leaky_relu(0.3)").is_custom


def test_activation_applies_to_expressions():
    sigmoid = activation("sigmoid")
    z = sympy.Symbol("z")
    assert sigmoid(z) == 1 / (1 + sympy.exp(-z))
    a = sympy.Symbol("a")
    assert sigmoid.derivative_at(z, a) == a * (1 - a)
    assert sigmoid.derivative_at(z) == sigmoid.derivative.subs(T, z)


@pytest.mark.parametrize("bad, hint", [("sigmod", "sigmoid"), ("relu6", "relu"), ("tan", "tanh")])
def test_unknown_activation_suggests_a_name(bad, hint):
    with pytest.raises(SpecError, match=f"unknown activation '{bad}' \\(did you mean '{hint}'\\?\\)"):
        activation(bad)


def test_every_builtin_activation_is_registered():
    for name in NAMES:
        assert activation(name).name == name


# -- losses ----------------------------------------------------------------

LOSS_TERMS = {
    "half_sse": (A - Y) ** 2 / 2,
    "sse": (A - Y) ** 2,
    "mse": (A - Y) ** 2 / N,
    "cross_entropy": -Y * sympy.log(A),
    "binary_cross_entropy": -(Y * sympy.log(A) + (1 - Y) * sympy.log(1 - A)),
    "(a - y)**4": (A - Y) ** 4,
    "abs(a - y)": sympy.Abs(A - Y),
}


@pytest.mark.parametrize("name", list(LOSS_TERMS))
def test_loss_terms_and_their_derivatives(name):
    the_loss = loss(name)
    assert sympy.simplify(the_loss.term - LOSS_TERMS[name]) == 0
    for a_value, y_value in ((0.3, 0.8), (0.9, 0.1)):
        point = {A: a_value, Y: y_value, N: 3}
        want = value(sympy.diff(LOSS_TERMS[name], A), point)
        assert close(value(the_loss.term_derivative, point), want)


def test_loss_totals_per_sample():
    a = sympy.Matrix(sympy.symbols("a1:4", real=True))
    y = sympy.Matrix(sympy.symbols("y1:4", real=True))
    squares = sum((a[j] - y[j]) ** 2 for j in range(3))
    assert sympy.expand(loss("half_sse").total(a, y) - squares / 2) == 0
    assert sympy.expand(loss("sse").total(a, y) - squares) == 0
    assert sympy.expand(loss("mse").total(a, y) - squares / 3) == 0
    ce = loss("cross_entropy").total(a, y)
    assert sympy.expand(ce + sum(y[j] * sympy.log(a[j]) for j in range(3))) == 0
    assert loss("half_sse").derivative_per_unit(a[0], y[0], 3) == a[0] - y[0]
    assert loss("mse").derivative_per_unit(a[0], y[0], 3) == sympy.Rational(2, 3) * (a[0] - y[0])


def test_custom_losses():
    quartic = loss("(a - y)**4")
    assert quartic.is_custom and quartic.source == "(a - y)**4"
    assert sympy.expand(quartic.term_derivative - 4 * (A - Y) ** 3) == 0
    assert not loss("mse").is_custom


@pytest.mark.parametrize(
    "bad, expected",
    [
        ("msee", "did you mean 'mse'"),
        ("crossentropy", "did you mean 'cross_entropy'"),
        ("(a - y", "was never closed"),
        ("y**2", "does not depend on a"),
        ("(a - q)**2", "unknown name 'q'"),
        ("(a - y)**100", "larger than 64"),
    ],
)
def test_bad_losses_are_refused_with_a_reason(bad, expected):
    with pytest.raises(SpecError, match=expected.replace("(", r"\(").replace("*", r"\*")):
        loss(bad)
