"""Checks the tests of the list-form layer kinds share."""

from __future__ import annotations

import json

import numpy as np

from symbackprop import Network
from symbackprop.params import save_params

STEP = 1e-6


def assert_grad_json_equals_finite_differences(run_cli, tmp_path, spec, params, X, Y, seed=0, most=None):
    """``grad --json`` on ``spec`` at ``params`` and the batch (X, Y), with ``--seed`` for any dropout
    mask: each reported gradient entry (the first ``most`` of each parameter) is within 1e-6 of
    central differences of the compiled loss in float64."""
    (tmp_path / "net.json").write_text(json.dumps(spec))
    save_params(tmp_path / "p.json", params)
    np.savez(tmp_path / "d.npz", X=X, Y=Y)
    result = run_cli("grad", "--spec", str(tmp_path / "net.json"), "--params", str(tmp_path / "p.json"),
                     "--data", str(tmp_path / "d.npz"), "--seed", str(seed), "--json")
    assert result.status == 0, result.stderr
    grads = {name: np.array(value) for name, value in json.loads(result.stdout)["grads"].items()}
    net = Network.from_spec(spec)
    assert {name: g.shape for name, g in grads.items()} == net.parameter_shapes()
    f = net.compile()
    for name, value in params.items():
        for index in list(np.ndindex(value.shape))[:most]:
            plus, minus = {**params, name: value.copy()}, {**params, name: value.copy()}
            plus[name][index] += STEP
            minus[name][index] -= STEP
            numeric = (f.loss(plus, X, Y, seed=seed) - f.loss(minus, X, Y, seed=seed)) / (2 * STEP)
            assert abs(grads[name][index] - numeric) < 1e-6, (name, index)


def torch_loss(torch, net: Network, params: dict, X: np.ndarray, Y: np.ndarray, seed: int | None = 0):
    """The batch loss of ``net`` written with PyTorch's own layers in float64 — F.conv2d, pooling,
    F.batch_norm in training mode, F.layer_norm, an explicit recurrence, dropout with the mask the
    compiled function draws for ``seed`` — and the parameters as tensors that require grad.  X may
    also be a float64 tensor that requires grad, for ∂L/∂X."""
    from symbackprop.layers.dropout import _dropout_mask

    F = torch.nn.functional
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda t: t,
            "softmax": lambda t: torch.softmax(t, dim=1)}
    t = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in params.items()}
    a = torch.as_tensor(X, dtype=torch.float64)
    for index, layer in enumerate(net.layers, start=1):
        W, U, b, gamma, beta = (t.get(f"{stem}{index}") for stem in ("W", "U", "b", "gamma", "beta"))
        kind = layer.kind
        if kind == "conv2d":
            a = F.conv2d(a, W, b, stride=layer.stride, padding=layer.padding)
        elif kind in ("maxpool2d", "avgpool2d"):
            a = (F.max_pool2d if kind == "maxpool2d" else F.avg_pool2d)(a, layer.size, layer.stride)
        elif kind == "flatten":
            a = a.reshape(a.shape[0], -1)
        elif kind == "batchnorm":
            a = F.batch_norm(a, None, None, gamma, beta, training=True, eps=1e-5)
        elif kind == "layernorm":
            a = F.layer_norm(a, (layer.features,), gamma, beta, eps=1e-5)
        elif kind == "dropout":
            a = a * torch.tensor(_dropout_mask(np.zeros(tuple(a.shape)), layer.p, seed, index))
        elif kind == "rnn":
            h = torch.zeros(a.shape[0], layer.units, dtype=torch.float64)
            for step in range(layer.steps):
                h = acts[layer.activation.name](F.linear(a[:, step], W, b) + h @ U.T)
            a = h
        else:
            a = F.linear(a, W, b)
        if layer.activation is not None and kind != "rnn":
            a = acts[layer.activation.name](a)
    target = torch.tensor(Y, dtype=torch.float64)
    per_sample = {
        "half_sse": lambda: ((a - target) ** 2).sum() / 2,
        "cross_entropy": lambda: -(target * torch.log(a)).sum(),
        "binary_cross_entropy": lambda: -(target * torch.log(a) + (1 - target) * torch.log(1 - a)).sum(),
    }[net.loss.name]()
    penalty = sum((v**2).sum() for name, v in t.items() if name[0] in "WU")
    return per_sample / X.shape[0] + net.l2 / 2 * penalty, t


def assert_equals_pytorch_autograd(torch, net: Network, params: dict, X: np.ndarray, Y: np.ndarray, seed: int = 0):
    """The compiled loss and every gradient equal PyTorch's autograd of :func:`torch_loss`."""
    loss, grads = net.compile()(params, X, Y, seed=seed)
    expected, tensors = torch_loss(torch, net, params, X, Y, seed)
    expected.backward()
    assert abs(loss - expected.item()) <= 1e-12 * max(1, abs(loss)), (loss, expected.item())
    for name, tensor in tensors.items():
        assert np.allclose(grads[name], tensor.grad.numpy(), rtol=1e-9, atol=1e-12), name
