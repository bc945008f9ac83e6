"""Property tests: random networks, compiled gradients against two independent oracles.

Hypothesis draws architectures (1–3 layers of 1–4 units), activations
(built-in and custom), losses that suit the output, with or without biases,
and batches of 1–4 samples.  The compiled gradient must equal

* central finite differences of the compiled loss (where no ReLU kink is
  straddled) and complex-step derivatives (no subtraction error), and
* PyTorch autograd of the same network written with torch operations, when
  PyTorch is installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network
from symbackprop.gradient_check import gradcheck, random_batch
from symbackprop.params import init_params

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu(0.1)", "softplus", "identity", "x*sigmoid(x)",
          "tanh(x)*x + x"]
# output activation -> losses that suit it
OUTPUTS = {
    "sigmoid": ["half_sse", "sse", "mse", "binary_cross_entropy"],
    "softmax": ["cross_entropy", "half_sse"],
    "identity": ["half_sse", "mse", "(a - y)**4"],
    "tanh": ["sse", "(a - y)**2 + a**2/10"],
}


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 3))
    output = draw(st.sampled_from(sorted(OUTPUTS)))
    sizes = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    hidden = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)]
    spec = {
        "layers": sizes,
        "activation": [*hidden, output] if hidden else [output],
        "loss": draw(st.sampled_from(OUTPUTS[output])),
        "bias": draw(st.booleans()),
    }
    return Network.from_spec(spec), draw(st.integers(1, 4)), draw(st.integers(0, 2**16))


def perturbed(net, seed):
    rng = np.random.default_rng(seed)
    params = init_params(net, seed)
    return {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in params.items()}


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(networks())
def test_compiled_equals_finite_differences(case):
    net, batch, seed = case
    params = perturbed(net, seed)
    X, Y = random_batch(net, seed, batch)
    report = gradcheck(net, params, X, Y)
    assert report.passed, report.table()


@FAST
@given(networks())
def test_compiled_equals_complex_step(case):
    net, batch, seed = case
    params = perturbed(net, seed)
    X, Y = random_batch(net, seed, batch)
    # The reference has no subtraction error; what remains is the compiled side's own
    # rounding, e.g. tanh' = 1 − a² for a saturated unit: still in the "excellent" band.
    report = gradcheck(net, params, X, Y, method="complex", tolerance=1e-7)
    assert report.passed, report.table()


# -- PyTorch autograd --------------------------------------------------------------



def _torch_activation(name, t, torch):
    table = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu(0.1)": lambda z: torch.nn.functional.leaky_relu(z, 0.1),
        "softplus": torch.nn.functional.softplus,
        "identity": lambda z: z,
        "x*sigmoid(x)": lambda z: z * torch.sigmoid(z),
        "tanh(x)*x + x": lambda z: torch.tanh(z) * z + z,
        "softmax": lambda z: torch.softmax(z, dim=1),
    }
    return table[name](t)


def _torch_loss(name, a, y, z, torch):
    if name == "half_sse":
        return 0.5 * ((a - y) ** 2).sum(1)
    if name == "sse":
        return ((a - y) ** 2).sum(1)
    if name == "mse":
        return ((a - y) ** 2).mean(1)
    if name == "cross_entropy":
        return -(y * torch.log_softmax(z, dim=1)).sum(1)
    if name == "binary_cross_entropy":
        return torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none").sum(1)
    if name == "(a - y)**4":
        return ((a - y) ** 4).sum(1)
    if name == "(a - y)**2 + a**2/10":
        return ((a - y) ** 2 + a**2 / 10).sum(1)
    raise AssertionError(name)


def torch_gradients(net, params, X, Y):
    import torch

    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(X, dtype=torch.float64)
    y = torch.tensor(Y, dtype=torch.float64)
    z = None
    for index, layer in enumerate(net.layers, start=1):
        z = a @ tp[f"W{index}"].T
        if layer.bias:
            z = z + tp[f"b{index}"]
        a = _torch_activation(layer.activation.name, z, torch)
    loss = _torch_loss(net.loss.name, a, y, z, torch).mean()
    loss.backward()
    return float(loss.detach()), {k: v.grad.numpy() for k, v in tp.items()}


@FAST
@given(networks())
def test_compiled_equals_torch_autograd(case):
    pytest.importorskip("torch")
    net, batch, seed = case
    params = perturbed(net, seed)
    X, Y = random_batch(net, seed, batch)
    loss, grads = net.compile()(params, X, Y)
    ref_loss, ref = torch_gradients(net, params, X, Y)
    assert loss == pytest.approx(ref_loss, rel=1e-10, abs=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref[name], rtol=1e-8, atol=1e-11, err_msg=name)
