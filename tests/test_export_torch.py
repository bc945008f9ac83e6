"""The exported PyTorch module: its derived backward checked two independent ways and more.

For every activation and loss: torch.autograd.gradcheck (finite differences,
float64) and PyTorch's own autograd of the same forward pass; then the
compiled NumPy gradient, the ReLU kink (ReLU'(0) = 0 everywhere),
torch.func.grad and vmap (per-sample gradients), a GPU when there is one.
DistributedDataParallel over two processes: examples/ddp_torch.py, run by
tests/test_examples.py.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop.params import init_params

from .export_cases import CASES, IDS, network

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install 'symbackprop[torch]' (make test does)"
)


def _batch(module, rows=5, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return module.example_batch(rows=rows, generator=generator)


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def exported(request):
    net = network(request.param)
    return net, net.export("torch").load()


def test_gradcheck_finite_differences(exported):
    # One way: central differences of the loss, every parameter and X, float64.
    net, module = exported
    model = module.Model(dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    X, Y = _batch(module)
    X.requires_grad_(True)
    assert torch.autograd.gradcheck(module.LossFunction.apply, (X, Y, *model.parameters()))


def test_pytorchs_own_autograd_of_the_same_forward(exported):
    # The other way: autograd differentiates the generated forward pass itself.
    net, module = exported
    model = module.Model(dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    params = tuple(model.parameters())
    X, Y = _batch(module)
    X.requires_grad_(True)
    ours = torch.autograd.grad(module.LossFunction.apply(X, Y, *params), (X, *params))
    theirs = torch.autograd.grad(module.loss(dict(zip(module.PARAMETERS, params, strict=True)), X, Y),
                                 (X, *params))
    for name, a, b in zip(("X", *module.PARAMETERS), ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14, msg=name)


def test_loss_and_gradients_equal_the_compiled_numpy_ones(exported):
    net, module = exported
    params = init_params(net, 3)
    X, Y = (t.numpy() for t in _batch(module))
    model = module.Model.load_params(params, dtype=torch.float64)
    value = model(torch.from_numpy(X), torch.from_numpy(Y))
    value.backward()
    loss, grads = net.compile()(params, X, Y)
    assert value.item() == pytest.approx(loss, rel=1e-13)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), grads[name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.predict(torch.from_numpy(X)).detach().numpy(),
                               net.compile().predict(params, X), rtol=1e-13)


def test_parameters_come_in_the_designs_order_and_shapes(exported):
    net, module = exported
    model = module.Model()
    assert [(name, tuple(p.shape)) for name, p in model.named_parameters()] == list(
        net.parameter_shapes().items()
    )
    with pytest.raises(ValueError, match="parameter W1 has shape"):
        module.Model.load_params({**init_params(net, 0), "W1": np.zeros((1, 1))})
    with pytest.raises(ValueError, match="missing \\['W1'\\]"):
        module.Model.load_params({k: v for k, v in init_params(net, 0).items() if k != "W1"})


def test_the_targets_are_not_differentiated():
    net = network(CASES[0])
    module = net.export("torch").load()
    model = module.Model(dtype=torch.float64)
    X, Y = _batch(module)
    Y.requires_grad_(True)
    with pytest.raises(RuntimeError, match="not the targets Y"):
        model(X, Y).backward()


def test_relu_kink_has_derivative_zero_in_every_path():
    # Zero inputs and zero biases make whole rows of Z1 exactly 0: ReLU'(0) = 0 in the
    # derivation, the compiled NumPy, the exported backward and PyTorch's relu.
    net = sbp.Network.from_layers([3, 4, 3], "relu", "softmax", "cross_entropy")
    module = net.export("torch").load()
    params = init_params(net, 0)
    params["b1"][:] = 0.0
    X = np.array([[0.0, 0.0, 0.0], [0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    Y = np.eye(3)[[0, 1, 2]]
    assert not (X[[0, 2]] @ params["W1"].T + params["b1"]).any()  # the kink is hit
    model = module.Model.load_params(params, dtype=torch.float64)
    model(torch.from_numpy(X), torch.from_numpy(Y)).backward()
    _, grads = net.compile()(params, X, Y)

    def plain_pytorch(rectifier):
        """The same network written with PyTorch operations, differentiated by autograd."""
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        z = rectifier(torch.from_numpy(X) @ tp["W1"].T + tp["b1"]) @ tp["W2"].T + tp["b2"]
        (-(torch.from_numpy(Y) * torch.log_softmax(z, dim=1)).sum(dim=1).mean()).backward()
        return {k: t.grad.numpy() for k, t in tp.items()}

    relu = plain_pytorch(torch.relu)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), grads[name], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(parameter.grad.numpy(), relu[name], rtol=1e-12, atol=1e-15)
    # The convention matters here: taking ReLU'(0) = 1 (clamp_min's autograd) changes ∂L/∂b1.
    other = plain_pytorch(lambda z: torch.clamp_min(z, 0))
    assert not np.allclose(other["b1"], grads["b1"])


def test_torch_func_grad_and_per_sample_gradients_with_vmap(exported):
    net, module = exported
    model = module.Model(dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    params = tuple(p.detach() for p in model.parameters())
    X, Y = _batch(module, rows=4)

    def batch_loss(ps, X, Y):
        return module.LossFunction.apply(X, Y, *ps)

    whole = torch.func.grad(batch_loss)(params, X, Y)
    per_sample = torch.func.vmap(
        torch.func.grad(lambda ps, x, y: batch_loss(ps, x[None], y[None])), in_dims=(None, 0, 0)
    )(params, X, Y)
    f = net.compile()
    numpy_params = {k: p.numpy() for k, p in zip(module.PARAMETERS, params, strict=True)}
    _, grads = f(numpy_params, X.numpy(), Y.numpy())
    for index, name in enumerate(module.PARAMETERS):
        np.testing.assert_allclose(whole[index].numpy(), grads[name], rtol=1e-12, atol=1e-15)
        # The batch gradient is the mean of the per-sample ones, each the compiled one.
        np.testing.assert_allclose(per_sample[index].mean(dim=0).numpy(), grads[name],
                                   rtol=1e-12, atol=1e-15)
        for row in range(len(X)):
            _, one = f(numpy_params, X[row : row + 1].numpy(), Y[row : row + 1].numpy())
            np.testing.assert_allclose(per_sample[index][row].numpy(), one[name], rtol=1e-12,
                                       atol=1e-15)


def test_float32_and_an_optimizer_step(exported):
    net, module = exported
    model = module.Model(generator=torch.Generator().manual_seed(5))  # PyTorch's default float32
    X, Y = _batch(module)
    X, Y = X.float(), Y.float()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    before = model(X, Y)
    before.backward()
    assert all(p.grad.dtype == torch.float32 for p in model.parameters())
    opt.step()
    assert model(X, Y).item() < before.item()  # a small step along −∇L descends


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU (CUDA) on this machine")
def test_on_a_gpu_the_gradients_are_those_on_the_cpu():
    net = network(CASES[2])
    module = net.export("torch").load()
    params = init_params(net, 6)
    X, Y = _batch(module)
    results = {}
    for device in ("cpu", "cuda"):
        model = module.Model.load_params(params, dtype=torch.float64, device=device)
        model(X.to(device), Y.to(device)).backward()
        results[device] = {n: p.grad.cpu().numpy() for n, p in model.named_parameters()}
    for name in results["cpu"]:
        np.testing.assert_allclose(results["cuda"][name], results["cpu"][name], rtol=1e-10)


def test_the_module_checks_itself_when_run(tmp_path):
    path = network(CASES[2]).export("torch").write(tmp_path / "model.py")
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert "agrees with finite differences" in run.stdout
