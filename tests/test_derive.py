"""The derivation engine against an independent oracle: sympy.diff of the expanded loss.

Every gradient is checked numerically at random points (30-digit floats,
agreement to 1e-10) in all three forms the engine gives (expanded,
intermediate, δ), for every activation × loss pair, with and without bias, at
depths 1 to 3; small smooth networks are also proved equal symbolically.
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy

from symbackprop import Network, UnknownParameterError, models
from symbackprop.derive import Derivation

from .derive_support import close, parameter_entries, random_point, value

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu(0.2)", "softplus", "identity", "x*sigmoid(x)")
ELEMENTWISE_LOSSES = ("half_sse", "sse", "mse", "binary_cross_entropy", "(a - y)**4")
SOFTMAX_LOSSES = ("cross_entropy", "half_sse", "sse", "mse", "binary_cross_entropy", "(a - y)**4")
SIZES = {1: (2, 2), 2: (2, 2, 2), 3: (2, 2, 1, 2)}


def _output_for(hidden: str, loss: str) -> str:
    # binary_cross_entropy needs outputs in (0, 1).
    return "sigmoid" if loss == "binary_cross_entropy" else hidden


def _cases():
    cases = []
    for depth in (1, 2, 3):
        for bias in (True, False):
            for hidden in HIDDEN:
                for loss in ELEMENTWISE_LOSSES:
                    cases.append((depth, bias, hidden, _output_for(hidden, loss), loss))
            for index, loss in enumerate(SOFTMAX_LOSSES):
                hidden = HIDDEN[(index + depth) % len(HIDDEN)]  # vary what feeds the softmax
                cases.append((depth, bias, hidden, "softmax", loss))
    # Depth 3 costs most: every pair at depths 1-2; at depth 3 each activation
    # with one loss (so every loss appears), and softmax with cross-entropy.
    pairs = {(h, ELEMENTWISE_LOSSES[i % len(ELEMENTWISE_LOSSES)]) for i, h in enumerate(HIDDEN)}
    keep = []
    for depth, bias, hidden, output, loss in cases:
        if depth == 3 and output == "softmax":
            wanted = loss == "cross_entropy" or (bias and loss == "mse")
        elif depth == 3:
            wanted = (hidden, loss) in pairs and (bias or hidden == "tanh")
        else:
            wanted = True
        if wanted:
            keep.append((depth, bias, hidden, output, loss))
    return keep


def _case_id(case) -> str:
    depth, bias, hidden, output, loss = case
    return f"L{depth}-{'bias' if bias else 'nobias'}-{hidden}-{output}-{loss}"


def assert_gradients_match_oracle(net: Network, seed: int = 0) -> int:
    """Check all three gradient forms against diff of the expanded loss; return nonzero count."""
    d = net.derive()
    point = random_point(net, seed)
    expanded_loss = d.expanded_loss()
    forms = {form: d.gradients(form) for form in ("expanded", "intermediate", "delta")}
    nonzero = 0
    for name, row, col, symbol in parameter_entries(d):
        want = value(sympy.diff(expanded_loss, symbol), point.inputs)
        got = {
            "expanded": value(forms["expanded"][name][row, col], point.inputs),
            "intermediate": value(forms["intermediate"][name][row, col], point.everything),
            "delta": value(forms["delta"][name][row, col], point.everything),
        }
        for form, number in got.items():
            assert close(number, want), (net.describe(), name, row, col, form, number, want)
        nonzero += abs(want) > 1e-8
    return nonzero


@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_every_gradient_matches_diff_of_expanded_loss(case):
    depth, bias, hidden, output, loss = case
    net = Network.from_layers(SIZES[depth], hidden, output, loss, bias)
    # A check where every gradient is 0 would prove little (ReLU units die at
    # some points): try points until one has enough nonzero gradients.
    for seed in range(depth * 100, depth * 100 + 10):
        if assert_gradients_match_oracle(net, seed) >= net.parameter_count() // 4:
            return
    raise AssertionError("no point with enough nonzero gradients")


@pytest.mark.parametrize("make", [models.beginner, models.understanding, models.two_two_two])
def test_canonical_networks_match_diff_of_expanded_loss(make):
    net = make()
    for seed in range(10):
        if assert_gradients_match_oracle(net, seed) >= net.parameter_count() // 3:
            return
    raise AssertionError("no point with enough nonzero gradients")


# -- symbolic equality where it is cheap ------------------------------------

SMOOTH = ("sigmoid", "tanh", "softplus", "identity", "x*sigmoid(x)")


def _symbolic_cases():
    cases = [((2, 1), True, h, _output_for(h, loss), loss) for h in SMOOTH for loss in ELEMENTWISE_LOSSES]
    cases += [((2, 1), False, "tanh", "tanh", "half_sse"), ((1, 2), False, "sigmoid", "sigmoid", "sse")]
    cases += [((1, 1, 1), True, h, h, "half_sse") for h in ("sigmoid", "softplus", "identity")]
    cases += [((1, 1, 1), False, "sigmoid", "sigmoid", "binary_cross_entropy")]
    cases += [((2, 2), True, "softmax", "softmax", loss) for loss in ("cross_entropy", "half_sse")]
    cases += [((1, 2), False, "softmax", "softmax", "(a - y)**4")]
    return cases


@pytest.mark.parametrize(
    "case", _symbolic_cases(), ids=lambda c: f"{'-'.join(map(str, c[0]))}-{c[1]}-{c[2]}-{c[4]}"
)
def test_small_networks_are_equal_symbolically(case):
    sizes, bias, hidden, output, loss = case
    d = Network.from_layers(sizes, hidden, output, loss, bias).derive()
    expanded_loss = d.expanded_loss()
    targets = {}
    if loss == "cross_entropy":
        # δ = a − y holds for targets that sum to 1: write the last one from the others.
        y = d.symbols.y
        targets = {y[-1]: 1 - sympy.Add(*y[:-1])}
    for name, row, col, symbol in parameter_entries(d):
        gap = sympy.diff(expanded_loss, symbol) - d.gradient(name, "expanded")[row, col]
        assert sympy.simplify(gap.xreplace(targets)) == 0, (name, row, col)


def test_cross_entropy_gradient_needs_targets_that_sum_to_one():
    """The a − y simplification is wrong for targets that do not sum to 1: the oracle sees it."""
    d = Network.from_layers((2, 3), "softmax", loss="cross_entropy").derive()
    point = {s: sympy.Float(0.3) for s in d.symbols.x}
    point.update({s: sympy.Float(0.1 * (i + 1)) for i, s in enumerate(d.symbols.parameter("W1"))})
    point.update({s: sympy.Float(0.0) for s in d.symbols.parameter("b1")})
    point.update({s: sympy.Float(0.5) for s in d.symbols.y})  # sums to 1.5
    w = d.symbols.parameter("W1")
    want = value(sympy.diff(d.expanded_loss(), w[0, 0]), point)
    got = value(d.gradient("W1", "expanded")[0, 0], point)
    assert not close(got, want)


# -- shapes, forms and errors -----------------------------------------------


@pytest.mark.parametrize("sizes", [(3, 1), (2, 4, 3), (1, 2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_gradient_has_the_shape_of_its_parameter(sizes, bias):
    net = Network.from_layers(sizes, "tanh", bias=bias)
    d = net.derive()
    shapes = net.parameter_shapes()
    assert set(d.gradients("delta")) == set(shapes)
    for name, shape in shapes.items():
        for form in ("delta", "intermediate"):
            grad = d.gradient(name, form)
            assert isinstance(grad, sympy.MatrixBase)
            assert grad.shape == (shape if len(shape) == 2 else (shape[0], 1))


def test_delta_form_is_delta_times_previous_activation():
    d = Network.from_layers((2, 3, 2), "sigmoid").derive()
    layer2, layer1 = d.symbols.layers[1], d.symbols.layers[0]
    assert d.gradient("W2", "delta")[1, 2] == layer2.delta[1] * layer1.a[2]
    assert d.gradient("b2", "delta")[1, 0] == layer2.delta[1]
    assert d.gradient("W1", "delta")[2, 0] == layer1.delta[2] * d.symbols.x[0]


def test_deltas_share_the_symbols_of_the_layer_above():
    d = Network.from_layers((2, 3, 3, 1), "tanh").derive()
    above = set(d.symbols.layers[2].delta)
    assert above <= d.deltas[1].free_symbols
    # …and never inline them: no δ⁽³⁾ definition appears in δ⁽²⁾.
    assert not d.deltas[1].has(*d.symbols.layers[0].delta)
    assert not d.deltas_intermediate[0].has(*d.symbols.layers[1].delta, *above)


def test_expanded_form_uses_only_inputs_targets_and_parameters():
    net = Network.from_layers((2, 2, 1), "sigmoid")
    d = net.derive()
    allowed = set(d.symbols.x) | set(d.symbols.y)
    for name in d.parameters():
        allowed |= set(d.symbols.parameter(name))
    for grad in d.gradients("expanded").values():
        assert grad.free_symbols <= allowed


def test_unknown_parameter_and_form_are_refused():
    d = Network.from_layers((2, 2, 1), "sigmoid", bias=False).derive()
    with pytest.raises(UnknownParameterError, match="'b1'.*W1, W2"):
        d.gradient("b1")
    with pytest.raises(UnknownParameterError, match="W3"):
        d.gradient("W3")
    with pytest.raises(ValueError, match="unknown form 'expand'"):
        d.gradient("W1", form="expand")


def test_derivation_and_network_are_frozen():
    net = Network.from_layers((2, 2, 1), "sigmoid")
    d = net.derive()
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.network = net  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.loss = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.layers[0].units = 5  # type: ignore[misc]
    assert isinstance(d.deltas[0], sympy.ImmutableMatrix)
    assert isinstance(d.pre_activations[0], sympy.ImmutableMatrix)


def test_changing_a_returned_gradient_leaves_the_derivation_alone():
    d = Network.from_layers((2, 2, 1), "sigmoid").derive()
    grad = d.gradient("W1")
    before = d.gradient("W1")
    grad[0, 0] = 0
    assert d.gradient("W1") == before
    assert d.gradient("W1")[0, 0] != 0


def test_derivations_of_equal_networks_are_equal_values():
    a = Network.from_layers((2, 2, 1), "sigmoid").derive()
    b = Network.from_layers((2, 2, 1), "sigmoid").derive()
    assert a == b and hash(a) == hash(b)
    assert Derivation(a.network).gradient("W2") == b.gradient("W2")


MIXED = [
    ((2, 3, 2, 1), ["relu", "tanh", "x*sigmoid(x)"], "(a - y)**4", True),
    ((3, 2, 2), ["erf(x)", "softmax"], "cross_entropy", False),
    ((1, 2, 2, 2), ["sqrt(1 + x**2)", "leaky_relu(0.1)", "sigmoid"], "binary_cross_entropy", True),
    ((2, 1, 3), ["abs(x)", "softmax"], "log(1 + (a - y)**2)", True),
]


@pytest.mark.parametrize("sizes, activations, loss, bias", MIXED)
def test_layers_with_different_activations(sizes, activations, loss, bias):
    net = Network.from_layers(sizes, activations, loss=loss, bias=bias)
    for seed in range(10):
        if assert_gradients_match_oracle(net, seed) >= net.parameter_count() // 4:
            return
    raise AssertionError("no point with enough nonzero gradients")
