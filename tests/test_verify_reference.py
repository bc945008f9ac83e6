"""The verifier's truth, checked two independent ways, and its mistakes checked to be mistakes.

* The points' true gradient (the derivation engine's δ recursion, evaluated in
  40 digits) agrees with PyTorch autograd on the same network and inputs.
* The textbook formula tree of :mod:`symbackprop.verification.reference` (written
  independently of the engine) agrees with the engine at every point.
* Every mutation in the diagnosis catalogue really changes the gradient, so a
  diagnosis never names something that is not a mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop import Network, models
from symbackprop.errors import ShapeError
from symbackprop.verification import reference
from symbackprop.verification.context import names_for
from symbackprop.verification.diagnosis import catalogue
from symbackprop.verification.equivalence import close, flat
from symbackprop.verification.evaluate import evaluate
from symbackprop.verification.points import sample
from symbackprop.verification.shapes import check

torch = pytest.importorskip("torch")

NETS = [
    models.two_two_two(),
    models.beginner(),
    models.understanding(),
    Network.from_spec({"layers": [2, 3, 1], "activation": "tanh", "output_activation": "sigmoid",
                       "loss": "binary_cross_entropy"}),
    Network.from_spec({"layers": [3, 3, 3], "activation": "sigmoid", "loss": "sse"}),
    Network.from_spec({"layers": [2, 3, 3], "activation": "softplus", "output_activation": "identity",
                       "loss": "mse"}),
    Network.from_spec({"layers": [2, 3, 2], "activation": "leaky_relu(0.1)",
                       "output_activation": "softmax", "loss": "half_sse"}),
    Network.from_spec({"layers": [2, 2, 1], "activation": "x*sigmoid(x)", "output_activation": "tanh",
                       "loss": "(a - y)**4"}),
]
IDS = ["2-2-2", "beginner", "understanding", "tanh-bce", "square-sse", "softplus-mse",
       "leaky-softmax-sse", "custom"]


def _torch_activation(name: str, t):
    if name == "sigmoid":
        return torch.sigmoid(t)
    if name == "tanh":
        return torch.tanh(t)
    if name == "relu":
        return torch.relu(t)
    if name.startswith("leaky_relu"):
        return torch.nn.functional.leaky_relu(t, float(name[len("leaky_relu("):-1]))
    if name == "softplus":
        return torch.nn.functional.softplus(t)
    if name == "identity":
        return t
    if name == "softmax":
        return torch.softmax(t, dim=0)
    if name == "x*sigmoid(x)":
        return t * torch.sigmoid(t)
    raise AssertionError(name)


def _torch_loss(name: str, a, y):
    if name == "half_sse":
        return 0.5 * ((a - y) ** 2).sum()
    if name == "sse":
        return ((a - y) ** 2).sum()
    if name == "mse":
        return ((a - y) ** 2).sum() / a.shape[0]
    if name == "cross_entropy":
        return -(y * torch.log(a)).sum()
    if name == "binary_cross_entropy":
        return -(y * torch.log(a) + (1 - y) * torch.log(1 - a)).sum()
    if name == "(a - y)**4":
        return ((a - y) ** 4).sum()
    raise AssertionError(name)


def torch_gradients(net: Network, values: dict) -> dict[str, np.ndarray]:
    """∂L/∂θ by PyTorch autograd at the point's x, y and parameters (float64)."""

    def tensor(name, grad=False):
        array = np.array([[float(v) for v in row] for row in values[name]])
        return torch.tensor(array, dtype=torch.float64, requires_grad=grad)

    params = {name: tensor(name, True) for name in net.parameter_names()}
    a = tensor("x")
    for layer, spec in enumerate(net.layers, start=1):
        z = params[f"W{layer}"] @ a
        if net.bias:
            z = z + params[f"b{layer}"]
        a = _torch_activation(spec.activation.name, z)
    _torch_loss(net.loss.name, a, tensor("y")).backward()
    return {name: p.grad.numpy() for name, p in params.items()}


@pytest.mark.parametrize("net", NETS, ids=IDS)
def test_true_gradient_agrees_with_pytorch(net):
    d = net.derive()
    for name in net.parameter_names():
        for point in sample(d, name, count=2, seed=3):
            expected = torch_gradients(net, point.values)[name]
            got = np.array([[float(v) for v in row] for row in point.gradient])
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("net", NETS, ids=IDS)
def test_textbook_tree_agrees_with_the_engine(net):
    d = net.derive()
    table = names_for(net)
    extra = reference.functions(net)
    for name in net.parameter_names():
        tree, _ = check(reference.gradient_tree(net, name), dict(table.shapes))
        for point in sample(d, name, count=3, seed=1):
            value = evaluate(tree, point.values.__getitem__, extra)
            assert close(flat(value), flat(point.gradient)), name


@pytest.mark.parametrize("net", NETS, ids=IDS)
def test_every_mutation_changes_the_gradient(net):
    d = net.derive()
    table = names_for(net)
    extra = reference.functions(net)
    for name in net.parameter_names():
        points = sample(d, name, count=4, seed=2)
        for candidate in catalogue(net, name):
            try:
                tree, shape = check(reference.gradient_tree(net, name, candidate.mutation), dict(table.shapes))
            except ShapeError:
                continue  # a mistake whose shapes do not fit is caught by the shape check
            if shape != points[0].gradient.shape:
                continue
            # ReLU's derivative is 1 wherever z > 0, so a mistake may hide at one point: ask for one of four.
            assert any(
                not close(flat(evaluate(tree, p.values.__getitem__, extra)), flat(p.gradient))
                for p in points
            ), (name, candidate.name)


def test_points_are_reproducible_and_exact_hundredths():
    d = models.understanding().derive()
    first = sample(d, "W1", count=3, seed=7)
    again = sample(d, "W1", count=3, seed=7)
    other = sample(d, "W1", count=3, seed=8)
    assert [p.inputs(("W1",)) for p in first] == [p.inputs(("W1",)) for p in again]
    assert first[0].inputs(("W1",)) != other[0].inputs(("W1",))
    for p in first:
        for v in flat(p.values["x"]) + flat(p.values["W1"]):
            assert abs(float(v) * 100 - round(float(v) * 100)) < 1e-9
        # cross_entropy targets are probability vectors
        assert abs(sum(flat(p.values["y"])) - 1) < 1e-30
        assert all(v > 0 for v in flat(p.values["y"]))


def test_points_avoid_relu_kinks():
    d = models.understanding().derive()
    for p in sample(d, "W1", count=8, seed=0):
        for layer in (1, 2):
            assert all(abs(v) >= 0.001 for v in flat(p.values[f"z{layer}"]))
