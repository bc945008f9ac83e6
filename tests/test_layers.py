"""Layers of the list form: specs and validation, the collapsed backward rules against SymPy's
indexed derivatives, and compiled gradients against finite differences and the expanded loss."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network
from symbackprop.errors import DataError, SpecError, UnsupportedError
from symbackprop.gradient_check import gradcheck, random_batch
from symbackprop.layers.indexed import at
from symbackprop.params import init_params
from symbackprop.symbolic import Symbolic

CONV = {
    "input": [1, 6, 6], "loss": "cross_entropy", "l2": 0.01,
    "layers": [{"type": "conv2d", "channels": 2, "kernel": 3, "activation": "relu"},
               {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
               {"type": "dense", "units": 3, "activation": "softmax"}],
}


# -- specs --------------------------------------------------------------------------------------


def test_list_form_names_parameters_by_position_and_round_trips():
    net = Network.from_spec(CONV)
    assert net.parameter_shapes() == {"W1": (2, 1, 3, 3), "b1": (2,), "W4": (3, 8), "b4": (3,)}
    assert net.input_shape == (1, 6, 6) and net.output_size == 3 and net.l2 == 0.01
    assert Network.from_spec(net.to_spec()) == net


def test_conv_output_size_follows_stride_and_padding():
    net = Network.from_spec({"input": [3, 7, 9], "layers": [
        {"type": "conv2d", "channels": 4, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "flatten"}, {"type": "dense", "units": 1}]})
    # ⌊(7 + 2 − 3)/2⌋ + 1 = 4 and ⌊(9 + 2 − 3)/2⌋ + 1 = 5, as PyTorch's Conv2d
    assert net.layers[0].out_shape == (4, 4, 5)


def test_validation_reports_every_problem_at_once():
    with pytest.raises(SpecError) as caught:
        Network.from_spec({"input": [1, 4, 4], "l2": -1, "activation": "relu", "layers": [
            {"type": "conv2d", "channels": 0, "kernel": 5},
            {"type": "maxpool2d", "size": 9},
            {"type": "dense", "units": 2},
            {"type": "pool"}]})
    text = str(caught.value)
    for expected in (
        "'activation' (in the list form it belongs to each layer)",
        "'l2' must be a number of at least 0",
        "layer 1 (conv2d): 'channels' must be a whole number of at least 1, got 0",
        "layer 1 (conv2d): kernel 5×5 is larger than its input 1×4×4",
        "layer 4: 'type' 'pool' is unknown",
    ):
        assert expected in text


def test_shapes_that_do_not_fit_are_named():
    with pytest.raises(SpecError, match=r"layer 2 \(maxpool2d\): size 3×3 is larger than its input 2×2×2"):
        Network.from_spec({"input": [1, 3, 3], "layers": [
            {"type": "conv2d", "channels": 2, "kernel": 2}, {"type": "maxpool2d", "size": 3},
            {"type": "flatten"}, {"type": "dense", "units": 1}]})
    with pytest.raises(SpecError, match="layer 2 \\(dense\\): takes a vector, but its input has shape 2×2×2; put a flatten layer before it"):
        Network.from_spec({"input": [1, 3, 3], "layers": [
            {"type": "conv2d", "channels": 2, "kernel": 2}, {"type": "dense", "units": 1}]})
    with pytest.raises(SpecError, match="the last layer must be dense"):
        Network.from_spec({"input": [1, 3, 3], "layers": [{"type": "conv2d", "channels": 2, "kernel": 2}, {"type": "flatten"}]})


def test_mlp_form_accepts_l2_and_stays_an_mlp():
    net = Network.from_spec({"layers": [4, 10, 3], "activation": "tanh", "l2": 0.1})
    assert net.is_mlp and net.describe().endswith("l2 0.1")
    assert net.unsupported("verify") is None
    assert net.unsupported("a worksheet") is None  # the MLP sheet adds λW (tests/test_worksheet.py)


def test_worksheet_says_what_it_cannot_do_and_verify_names_what_a_formula_cannot_see():
    import symbackprop as sbp

    # Two channels: the kernel has four axes, which a formula (matrices) cannot name.
    with pytest.raises(UnsupportedError, match=r"^verify cannot judge ∂L/∂W1: W1 has shape 2×1×3×3: "):
        sbp.verify(CONV, "W1", "delta1")
    assert sbp.verify(CONV, "W4", "delta4 @ a3.T + lam * W4").correct
    with pytest.raises(DataError, match="^a worksheet is worked by hand, so it takes networks of at most 40 parameters; "):
        sbp.worksheet(Network.from_spec(CONV), "sheet.md")


# -- collapsed forms against SymPy's indexed derivative ---------------------------------------


def _symbols(base, shape):
    """An object array of base[i…] (1-based), out-of-range entries read as 0 (the padding)."""
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        out[index] = base[tuple(i + 1 for i in index)]
    return out


def _in_range(shapes):
    def zero_outside(node):
        shape = shapes.get(node.base)
        if shape is None or not all(1 <= int(i) <= n for i, n in zip(node.indices, shape, strict=True)):
            return sympy.Integer(0)
        return node
    return zero_outside


@pytest.mark.parametrize("layer_spec, image", [
    ({"type": "conv2d", "channels": 2, "kernel": 2}, (2, 4, 4)),
    ({"type": "conv2d", "channels": 1, "kernel": 3, "stride": 2, "padding": 1}, (1, 5, 5)),
    ({"type": "avgpool2d", "size": 2}, (2, 4, 4)),
    ({"type": "avgpool2d", "size": 2, "stride": 1}, (1, 3, 3)),
    ({"type": "flatten"}, (2, 2, 3)),
])
def test_collapsed_backward_rules_equal_sympys_indexed_derivative(layer_spec, image):
    """Each entry's NumPy form (δ ⋆ x, the full convolution with the flipped kernel, the
    average's spread, the reshape) equals, entry by entry, what SymPy derives from the
    forward rule written with indexed symbols and sums."""
    net = Network.from_spec({"input": list(image), "layers": [layer_spec, *(
        [] if layer_spec["type"] == "flatten" else [{"type": "flatten"}]), {"type": "dense", "units": 1}]})
    layer = net.layers[0]
    entry = layer.rules(1, _plan_x(net))
    rule = layer.index_rule(1)
    delta = sympy.IndexedBase("delta")
    shapes = {base: shape for base, shape, _ in rule.inputs}
    arrays = {base: _symbols(base, shape) for base, shape in shapes.items()}
    x_base = next(base for base in shapes if str(base.label) == "x")
    D = _symbols(delta, rule.ranges)  # δ indexed as the rule's output is
    if layer_spec["type"] == "flatten":
        D = D.reshape(-1)  # the plan's δ of a flatten layer is the column
    zero = _in_range({**shapes, delta: rule.ranges})
    # ∂L/∂x from the plan's NumPy form, evaluated on symbols
    args = {id(entry.delta): D, id(entry.prev): arrays[x_base]}
    for q in entry.parameters:
        args[id(q)] = arrays[next(b for b in shapes if str(b.label) == str(q.name))]
    op = entry.input_gradient
    collapsed_x = op.symbolic(*[args[id(arg)] for arg in op.args])
    for point in np.ndindex(image):
        derived = at(rule, x_base, tuple(i + 1 for i in point), delta).replace(
            lambda n: isinstance(n, sympy.Indexed), zero)
        assert sympy.expand(derived - collapsed_x[point]) == 0, point
    for gradient in entry.gradients:
        base = next(b for b in shapes if str(b.label) == str(gradient.target.name))
        op = gradient.rule
        collapsed = np.asarray(op.symbolic(*[args[id(arg)] if id(arg) in args else _patch(arg, args) for arg in op.args]))
        collapsed = collapsed.reshape(shapes[base])
        for point in np.ndindex(shapes[base]):
            derived = at(rule, base, tuple(i + 1 for i in point), delta).replace(
                lambda n: isinstance(n, sympy.Indexed), zero)
            assert sympy.expand(derived - collapsed[point]) == 0, (str(base), point)


def _plan_x(net):
    from symbackprop.backprop import plan

    return plan(net).x


def _patch(op, args):
    """The windows of x (a shared operation of the conv entry), on the symbols of x."""
    return op.symbolic(args[id(op.x)])


def test_maxpool_routes_delta_to_the_argmax_as_sympys_derivative_of_max():
    net = Network.from_spec({"input": [1, 4, 4], "layers": [
        {"type": "maxpool2d", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]})
    layer = net.layers[0]
    entry = layer.rules(1, _plan_x(net))
    rule = layer.index_rule(1)
    x, delta = rule.inputs[0][0], sympy.IndexedBase("delta")
    rng = np.random.default_rng(3)
    values = rng.standard_normal((1, 4, 4))
    D = rng.standard_normal((1, 2, 2))
    pooled = entry.forward[0].rule.compute(values[None])
    routed = entry.input_gradient.compute(D[None], values[None], pooled)[0]
    numbers = {x[tuple(i + 1 for i in p)]: values[p] for p in np.ndindex(values.shape)}
    numbers.update({delta[tuple(i + 1 for i in p)]: D[p] for p in np.ndindex(D.shape)})
    for point in np.ndindex(values.shape):
        derived = at(rule, x, tuple(i + 1 for i in point), delta)
        assert float(derived.xreplace(numbers)) == pytest.approx(routed[point])
    assert np.count_nonzero(routed) == 4  # one entry per window


# -- compiled gradients: finite differences and the fully expanded loss ------------------------


@st.composite
def conv_specs(draw):
    channels = draw(st.integers(1, 2))
    size = draw(st.integers(4, 7))
    kernel = draw(st.integers(1, 3))
    padding = draw(st.integers(0, kernel - 1))
    stride = draw(st.integers(1, 2))
    layers = [{"type": "conv2d", "channels": draw(st.integers(1, 3)), "kernel": kernel, "stride": stride,
               "padding": padding, "activation": draw(st.sampled_from(["tanh", "relu", "sigmoid", "identity"])),
               "bias": draw(st.booleans())}]
    out = (size + 2 * padding - kernel) // stride + 1
    if draw(st.booleans()) and out >= 2:
        layers.append({"type": "conv2d", "channels": 2, "kernel": 2, "activation": "tanh"})
        out -= 1
    if out >= 2:
        layers.append({"type": draw(st.sampled_from(["maxpool2d", "avgpool2d"])), "size": 2,
                       "stride": draw(st.integers(1, 2))})
    layers += [{"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}]
    l2 = draw(st.sampled_from([0.0, 0.05]))
    return {"input": [channels, size, size], "layers": layers, "loss": "cross_entropy", "l2": l2}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_specs(), st.integers(0, 1000))
def test_compiled_gradients_match_finite_differences(spec, seed):
    report = gradcheck(Network.from_spec(spec), seed=seed, batch=3, max_entries=40)
    assert report.passed, report.table()


def test_gradients_equal_sympys_derivative_of_the_fully_expanded_loss():
    """Small enough to expand: SymPy differentiates the loss written in x, y and the parameters."""
    net = Network.from_spec({"input": [1, 3, 3], "loss": "half_sse", "l2": 0.3, "layers": [
        {"type": "conv2d", "channels": 2, "kernel": 2, "activation": "tanh"},
        {"type": "avgpool2d", "size": 2}, {"type": "flatten"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]})
    d = Symbolic(net)
    loss = d.expanded_loss()
    params = init_params(net, seed=2)
    X, Y = random_batch(net, seed=2, batch=1)
    values = {}
    for name, value in params.items():
        symbols = d.evaluate(d.plan.gradient_assignment(name).target)
        values.update(zip(np.ravel(np.array(symbols.tolist(), dtype=object)), np.ravel(value), strict=True))
    values.update(zip(np.ravel(np.array(d.evaluate(d.plan.x).tolist(), dtype=object)), np.ravel(X[0]), strict=True))
    values.update(zip(np.ravel(np.array(d.evaluate(d.plan.y).tolist(), dtype=object)), np.ravel(Y[0]), strict=True))
    _, grads = net.compile()(params, X, Y)
    for name in ("W1", "b1", "W4"):
        symbols = np.ravel(np.array(d.evaluate(d.plan.gradient_assignment(name).target).tolist(), dtype=object))
        expected = [float(sympy.diff(loss, s).xreplace(values)) for s in symbols]
        assert np.allclose(np.ravel(grads[name]), expected, rtol=1e-10, atol=1e-12), name


def test_max_pool_ties_are_reported_as_kinks_not_failures():
    """Two equal entries in a pooling window: moving a weight moves the argmax, a kink."""
    net = Network.from_spec({"input": [1, 2, 2], "loss": "half_sse", "layers": [
        {"type": "conv2d", "channels": 1, "kernel": 1, "bias": False},
        {"type": "maxpool2d", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]})
    X = np.array([[[[1.0, 1.0], [0.5, -1.0]]]])  # a tie between the two entries of the first row
    Y = np.array([[2.0]])
    params = {"W1": np.array([[[[0.7]]]]), "W4": np.array([[1.5]]), "b4": np.array([0.1])}
    report = gradcheck(net, params, X, Y)
    assert report.passed and report.row("W1").kinks == ()  # the tie moves with W1 alike: no kink
    X2 = np.array([[[[1.0, -1.0], [0.5, -0.5]]]])
    params2 = {"W1": np.array([[[[0.0]]]]), "W4": np.array([[1.5]]), "b4": np.array([0.1])}
    report2 = gradcheck(net, params2, X2, Y)  # W1 = 0: every entry ties at 0; ±h picks another argmax
    assert report2.passed and report2.row("W1").kinks == ((1, 1, 1, 1),), report2.table()


# -- the command line on a list-form spec -----------------------------------------------------


def test_grad_json_reports_gradients_in_parameter_shapes_equal_to_finite_differences(run_cli, tmp_path):
    import json

    from symbackprop.params import save_params

    spec = tmp_path / "conv.json"
    spec.write_text(json.dumps(CONV))
    net = Network.from_spec(CONV)
    params = init_params(net, seed=4)
    save_params(tmp_path / "p.json", params)
    X, Y = random_batch(net, seed=4, batch=5)
    np.savez(tmp_path / "d.npz", X=X, Y=Y)
    result = run_cli("grad", "--spec", str(spec), "--params", str(tmp_path / "p.json"),
                     "--data", str(tmp_path / "d.npz"), "--json")
    assert result.status == 0, result.stderr
    grads = {name: np.array(value) for name, value in json.loads(result.stdout)["grads"].items()}
    assert {name: g.shape for name, g in grads.items()} == net.parameter_shapes()
    f = net.compile()
    for name, value in params.items():
        for index in list(np.ndindex(value.shape))[:12]:
            h = 1e-6
            plus, minus = {**params, name: value.copy()}, {**params, name: value.copy()}
            plus[name][index] += h
            minus[name][index] -= h
            numeric = (f.loss(plus, X, Y) - f.loss(minus, X, Y)) / (2 * h)
            assert abs(grads[name][index] - numeric) < 1e-6


def test_check_and_verify_on_a_conv_spec(run_cli, tmp_path):
    import json

    spec = tmp_path / "conv.json"
    spec.write_text(json.dumps(CONV))
    checked = run_cli("check", "--spec", str(spec), "--seed", "3")
    assert checked.status == 0, checked.stdout + checked.stderr
    assert "all" in checked.stdout and "entries pass" in checked.stdout
    refused = run_cli("verify", "--spec", str(spec), "--wrt", "W1", "--formula", "delta1")
    assert refused.status == 2
    assert "verify cannot judge ∂L/∂W1: W1 has shape 2×1×3×3" in refused.stderr
    judged = run_cli("verify", "--spec", str(spec), "--wrt", "W4", "--formula", "delta4 @ a3.T")
    assert judged.status == 1 and "diagnosis: the L2 term is missing" in judged.stdout


def test_l2_on_an_mlp_adds_lambda_w_to_the_weights_only():
    """The MLP form with l2: SymPy's derivative of the expanded loss with the penalty, and the
    printed derivation, both gain λw for each weight entry and nothing for the biases."""
    net = Network.from_spec({"layers": [2, 3, 2], "activation": "tanh", "loss": "half_sse", "l2": 0.25})
    d = Symbolic(net)
    penalty = sympy.Rational(1, 8) * sum(s**2 for name in ("W1", "W2") for s in d.symbols.parameter(name))
    loss = d.expanded_loss()
    assert sympy.expand(loss - penalty - Symbolic(Network.from_spec(
        {"layers": [2, 3, 2], "activation": "tanh", "loss": "half_sse"})).expanded_loss()) == 0
    params = init_params(net, seed=5)
    X, Y = random_batch(net, seed=5, batch=1)
    values = dict(zip(d.symbols.x, X[0], strict=True)) | dict(zip(d.symbols.y, Y[0], strict=True))
    for name, value in params.items():
        values.update(zip(d.symbols.parameter(name), np.ravel(value), strict=True))
    _, grads = net.compile()(params, X, Y)
    for name in ("W1", "b1", "W2", "b2"):
        expected = [float(sympy.diff(loss, s).xreplace(values)) for s in d.symbols.parameter(name)]
        assert np.allclose(np.ravel(grads[name]), expected, rtol=1e-10, atol=1e-12), name
    text = net.derive().text(wrt="W1[1,1]")
    assert "λ·w⁽¹⁾₁₁" in text and "λ" not in net.derive().text(wrt="b1[1]").split("Gradients of layer 1")[1]


def test_derive_prints_the_textbook_forms_sympy_collapsed():
    d = Network.from_spec(CONV).derive()
    matrix = d.text(level="matrix")
    for line in ("z⁽¹⁾ = W⁽¹⁾ ⋆ x + b⁽¹⁾", "δ⁽²⁾ = vec⁻¹(δ⁽³⁾)", "δ⁽¹⁾ = route_argmax(δ⁽²⁾; a⁽¹⁾) ⊙ ReLU'(z⁽¹⁾)",
                 "∂ℒ/∂W⁽¹⁾ = δ⁽¹⁾ ⋆ x + λ W⁽¹⁾", "(2×1×3×3)(1×6×6) → (2×4×4)"):
        assert line in matrix, line
    index = d.text()
    # SymPy's collapsed chain rule: the correlation of δ with the input, and δ summed per channel
    assert "∂ℒ/∂W⁽¹⁾_c,c',u,v = Σ_i=1..4_j=1..4 (δ⁽¹⁾_c,i,j·x[c',i + u − 1,j + v − 1])" in index
    assert "∂ℒ/∂b⁽¹⁾_c = Σ_i=1..4_j=1..4 (δ⁽¹⁾_c,i,j)" in index
    assert "∂ℒ/∂a⁽³⁾_k = Σ_j=1..3 (W⁽⁴⁾_j,k·δ⁽⁴⁾_j)" in index
    markdown = d.markdown(level="matrix")
    assert r"W^{(1)} \star x + b^{(1)}" in markdown


def test_the_local_derivative_of_a_kernel_names_each_index_once():
    """∂z[c,i,j]/∂W[c',c'',u',v']: the sum over the input channel, c' in the forward rule, is
    renamed so that it does not read as the primed output channel c' of the kernel's entry."""
    index = " ".join(Network.from_spec(CONV).derive().text().split())
    assert (
        "∂z⁽¹⁾_c,i,j/∂W⁽¹⁾_c',c'',u',v' = "
        "Σ_d=1..1_u=1..3_v=1..3 ([c = c']·[c'' = d]·[u = u']·[v = v']·x[d,i + u − 1,j + v − 1]) ["
    ) in index
    # the forward rule keeps the design's c', and the collapsed gradient its own index names
    assert "z⁽¹⁾_c,i,j = b⁽¹⁾_c + Σ_c'=1..1_u=1..3_v=1..3 (W⁽¹⁾_c,c',u,v·x[c',i + u − 1,j + v − 1])" in index


def test_full_convolution_with_the_flipped_kernel_is_printed_for_a_second_conv_layer():
    net = Network.from_spec({"input": [1, 5, 5], "layers": [
        {"type": "conv2d", "channels": 2, "kernel": 2, "activation": "tanh"},
        {"type": "conv2d", "channels": 1, "kernel": 2, "stride": 2, "padding": 1},
        {"type": "flatten"}, {"type": "dense", "units": 1}]})
    d = net.derive()
    # rot180(W) slid over δ in full: the convolution of δ with W (⋆ is the correlation, as in W ⋆ x).
    assert "rot180(W⁽²⁾) ⋆full δ⁽²⁾" in d.text(level="matrix")
    # m + p − s(i − 1) with p = 1, s = 2: the flipped kernel's index, as SymPy collapsed it
    assert "∂ℒ/∂a⁽¹⁾_c',m,n = Σ_c=1..1_i=1..3_j=1..3 (W⁽²⁾[c,c',−2·i + m + 3,−2·j + n + 3]·δ⁽²⁾_c,i,j)" in d.text()


def test_derive_of_one_entry_of_a_conv_net_asks_for_the_parameter(run_cli, tmp_path):
    import json

    spec = tmp_path / "conv.json"
    spec.write_text(json.dumps(CONV))
    result = run_cli("derive", "--spec", str(spec), "--wrt", "W1[1,1]")
    assert result.status == 2
    assert result.stderr.strip() == (
        "symbackprop: error: one entry (W1[1,1]) is derived for MLPs only; give the parameter, "
        "e.g. W1, whose derivation in index notation covers every entry"
    )
