"""The compiled gradients of list-form networks against PyTorch autograd in float64.

An independent oracle: PyTorch's conv2d, max_pool2d, avg_pool2d and linear,
with the same parameters, differentiated by its autograd; and random networks
that mix every layer kind, against PyTorch (:func:`layer_support.torch_loss`)
and finite differences.  Skipped without torch (install it with
`.venv/bin/pip install torch==2.13.0`).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network
from symbackprop.gradient_check import gradcheck, random_batch
from symbackprop.params import init_params

from .layer_support import assert_equals_pytorch_autograd
from .test_layers import conv_specs

torch = pytest.importorskip("torch", reason="PyTorch is not installed: .venv/bin/pip install torch==2.13.0")
F = torch.nn.functional

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda t: t}


def torch_loss(net: Network, params: dict, X: np.ndarray, Y: np.ndarray):
    """The batch loss computed by PyTorch, and the parameters as tensors that require grad."""
    tensors = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in params.items()}
    a = torch.tensor(X, dtype=torch.float64)
    for index, layer in enumerate(net.layers, start=1):
        W, b = tensors.get(f"W{index}"), tensors.get(f"b{index}")
        if layer.kind == "conv2d":
            a = F.conv2d(a, W, b, stride=layer.stride, padding=layer.padding)
        elif layer.kind == "maxpool2d":
            a = F.max_pool2d(a, layer.size, layer.stride)
        elif layer.kind == "avgpool2d":
            a = F.avg_pool2d(a, layer.size, layer.stride)
        elif layer.kind == "flatten":
            a = a.reshape(a.shape[0], -1)
        else:
            a = F.linear(a, W, b)
        if layer.activation is not None and layer.activation.name == "softmax":
            a = torch.log_softmax(a, dim=1)  # cross-entropy reads log a
        elif layer.activation is not None:
            a = ACTIVATIONS[layer.activation.name](a)
    target = torch.tensor(Y, dtype=torch.float64)
    loss = -(target * a).sum() / X.shape[0]
    loss = loss + net.l2 / 2 * sum((W**2).sum() for name, W in tensors.items() if name.startswith("W"))
    return loss, tensors


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_specs(), st.integers(0, 1000))
def test_gradients_equal_pytorch_autograd(spec, seed):
    net = Network.from_spec(spec)
    params = init_params(net, seed=seed)
    X, Y = random_batch(net, seed=seed, batch=3)
    loss, grads = net.compile()(params, X, Y)
    expected, tensors = torch_loss(net, params, X, Y)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    for name, tensor in tensors.items():
        assert np.allclose(grads[name], tensor.grad.numpy(), rtol=1e-9, atol=1e-12), name


ACTIVATION_NAMES = ["identity", "tanh", "relu", "sigmoid"]


@st.composite
def every_kind_specs(draw):
    """Random networks on a vector, an image or a sequence, mixing every layer kind."""
    act = lambda: draw(st.sampled_from(ACTIVATION_NAMES))  # noqa: E731
    dropout = lambda: {"type": "dropout", "p": draw(st.sampled_from([0.2, 0.5]))}  # noqa: E731
    vector = [lambda: {"type": "dense", "units": draw(st.integers(2, 3)), "activation": act()},
              lambda: {"type": "batchnorm", "activation": act()},
              lambda: {"type": "layernorm", "activation": act()},
              dropout]
    source = draw(st.sampled_from(["vector", "image", "sequence"]))
    if source == "image":
        shape = [draw(st.integers(1, 2)), 4, 4]
        layers = [{"type": "conv2d", "channels": draw(st.integers(1, 2)), "kernel": 2, "activation": act()}]
        layers += [draw(st.sampled_from([
            lambda: {"type": "batchnorm", "activation": act()},
            lambda: {"type": draw(st.sampled_from(["maxpool2d", "avgpool2d"])), "size": 2, "stride": 1},
            dropout]))() for _ in range(draw(st.integers(0, 2)))]
        layers.append({"type": "flatten"})
    elif source == "sequence":
        shape = [draw(st.integers(1, 3)), draw(st.integers(1, 2))]
        layers = ([dropout()] if draw(st.booleans()) else []) + [
            {"type": "rnn", "units": draw(st.integers(2, 3)), "activation": draw(st.sampled_from(["tanh", "relu", "sigmoid"]))}]
    else:
        shape = draw(st.integers(2, 3))
        layers = []
    # A normalisation needs two features at least: the dense layers above give them. A flattened
    # image may have one (1×4×4, a 2×2 kernel and two poolings of stride 1 leave 1×1×1).
    start = len(layers)
    layers += [draw(st.sampled_from(vector))() for _ in range(draw(st.integers(0 if source != "vector" else 1, 3)))]
    if source != "sequence" and start < len(layers) and layers[start]["type"] == "layernorm":
        layers.insert(start, {"type": "dense", "units": 3, "activation": act()})
    layers.append({"type": "dense", "units": 2, "activation": "softmax"})
    # Under a normalisation, the layer that feeds it ends in tanh or sigmoid: after the identity, the
    # normalisation takes away the shift its bias or β adds (their gradient is 0 exactly, and both
    # checks would compare rounding noise), and a ReLU may leave a feature 0 over the whole batch.
    for at, layer in enumerate(layers):
        if layer["type"] in ("batchnorm", "layernorm"):
            feeding = next((below for below in reversed(layers[:at]) if "activation" in below), None)
            if feeding is not None and feeding["activation"] not in ("tanh", "sigmoid"):
                feeding["activation"] = draw(st.sampled_from(["tanh", "sigmoid"]))
    return {"input": shape, "layers": layers, "loss": "cross_entropy", "l2": draw(st.sampled_from([0.0, 0.1]))}


def _params(net, seed):
    """Drawn parameters with biases, γ and β away from 0, 1 and 0, so a rule that drops them shows."""
    params = init_params(net, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return {name: value + (0 if name[0] in "WU" else rng.normal(scale=0.3, size=value.shape))
            for name, value in params.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(every_kind_specs(), st.integers(0, 1000))
def test_every_kind_equals_pytorch_autograd_and_finite_differences(spec, seed):
    net = Network.from_spec(spec)
    params = _params(net, seed)
    X, Y = random_batch(net, seed=seed, batch=4)
    assert_equals_pytorch_autograd(torch, net, params, X, Y, seed=seed)
    report = gradcheck(net, params, X, Y, seed=seed, max_entries=20)
    assert report.passed, report.table()


def test_conv_benchmark_runs_and_agrees_with_pytorch():
    """bench/conv.py checks the two contenders agree before it times them; a quick run."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parent.parent / "bench" / "conv.py"
    done = subprocess.run([sys.executable, str(bench), "--quick", "--json"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [row["dtype"] for row in rows] == ["float64", "float32"]
    assert all(row["compiled_ms"] > 0 and row["pytorch_ms"] > 0 for row in rows)
