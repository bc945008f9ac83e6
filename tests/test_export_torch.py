"""The exported PyTorch module: its derived backward checked two independent ways and more.

For every activation, loss and layer kind: torch.autograd.gradcheck (finite
differences, float64) and PyTorch's own autograd of the same forward pass;
for the list-form networks also PyTorch's autograd of its own layers
(F.conv2d, F.batch_norm in training mode, F.layer_norm, …); then the compiled
NumPy gradient, the ReLU kink (ReLU'(0) = 0 everywhere), torch.func.grad and
vmap (per-sample gradients where samples are independent, whole batches where
batch norm couples them), float32, a GPU when there is one, and the command
line on the docs' specs.  The recurrent layer also against torch.nn.RNN;
dropout with fixed masks, the compiled NumPy function's own, and the Model's
masks in training mode.
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

from .export_cases import (
    CASES,
    COUPLED_CASES,
    DOCS_NORMALISATION_SPECS,
    DROPOUT_CASES,
    FEEDFORWARD_CASES,
    IDS,
    LAYER_CASES,
    RNN_CASES,
    couples_samples,
    network,
    numpy_masks,
    run_exported_docs_spec,
)
from .layer_support import torch_loss

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install 'symbackprop[torch]' (make test does)"
)


def _batch(module, rows=5, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return module.example_batch(rows=rows, generator=generator)


def _exported_gradient(net, seed, rows):
    """The exported Model's loss and its derived gradient (X first, then the parameters), at the
    parameters init_params draws from ``seed``, for another forward to be compared with."""
    module = net.export("torch").load()
    params = init_params(net, seed)
    X, Y = _batch(module, rows=rows)
    X.requires_grad_(True)
    model = module.Model.load_params(params, dtype=torch.float64)
    value = model(X, Y)
    return params, X, Y, value, torch.autograd.grad(value, (X, *model.parameters()))


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


@pytest.mark.parametrize("case", FEEDFORWARD_CASES.values(), ids=FEEDFORWARD_CASES)
def test_pytorchs_autograd_of_its_own_layers(case):
    # An oracle independent of the generated code: PyTorch's conv2d, pooling, batch_norm
    # (training mode: the batch's statistics, biased variance, eps 1e-5) and layer_norm.
    net = network(case)
    params, X, Y, value, ours = _exported_gradient(net, seed=7, rows=6)
    expected, tensors = torch_loss(torch, net, params, X, Y.numpy())
    theirs = torch.autograd.grad(expected, (X, *tensors.values()))
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)
    for name, a, b in zip(("X", *tensors), ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=name)


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
    # What is not drawn starts as symbackprop starts it: scales γ at one, biases and shifts at 0.
    start = init_params(net, 0)
    for name, parameter in model.named_parameters():
        if name not in module.INIT_STD:
            np.testing.assert_array_equal(parameter.detach().numpy(), start[name], err_msg=name)
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
    # vmap over the rows of one batch gives per-sample gradients: each a batch of one.  Under
    # batch norm a sample's loss depends on the rest of its batch, so their mean is not the
    # batch gradient there (the whole-batch vmap below is what applies).
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
        # Without batch norm the batch gradient is the mean of the per-sample ones.
        mean = per_sample[index].mean(dim=0).numpy()
        if not couples_samples(net):
            np.testing.assert_allclose(mean, grads[name], rtol=1e-12, atol=1e-15)
        elif name.startswith("W"):
            assert not np.allclose(mean, grads[name], rtol=1e-6, atol=1e-9), name
        for row in range(len(X)):
            _, one = f(numpy_params, X[row : row + 1].numpy(), Y[row : row + 1].numpy())
            np.testing.assert_allclose(per_sample[index][row].numpy(), one[name], rtol=1e-12,
                                       atol=1e-15)


@pytest.mark.parametrize("case", COUPLED_CASES.values(), ids=COUPLED_CASES)
def test_vmap_over_whole_batches(case):
    # Several independent batches at once, each with its own statistics under batch norm:
    # vmap of torch.func.grad gives each batch's gradient.
    net = network(case)
    module = net.export("torch").load()
    model = module.Model(dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    params = tuple(p.detach() for p in model.parameters())
    batches = [_batch(module, rows=4, seed=seed) for seed in (11, 12, 13)]
    Xs, Ys = (torch.stack(parts) for parts in zip(*batches, strict=True))
    grads = torch.func.vmap(
        torch.func.grad(lambda ps, X, Y: module.LossFunction.apply(X, Y, *ps)), in_dims=(None, 0, 0)
    )(params, Xs, Ys)
    f = net.compile()
    numpy_params = {k: p.numpy() for k, p in zip(module.PARAMETERS, params, strict=True)}
    for batch, (X, Y) in enumerate(batches):
        _, expected = f(numpy_params, X.numpy(), Y.numpy())
        for index, name in enumerate(module.PARAMETERS):
            np.testing.assert_allclose(grads[index][batch].numpy(), expected[name], rtol=1e-12,
                                       atol=1e-15, err_msg=name)


def test_float32_and_an_optimizer_step(exported):
    net, module = exported
    model = module.Model(generator=torch.Generator().manual_seed(5))  # PyTorch's default float32
    X, Y = _batch(module)
    X, Y = X.float(), Y.float()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    before = model(X, Y)
    before.backward()
    assert all(p.grad.dtype == torch.float32 for p in model.parameters())
    # The float64 gradient at the same point, to float32's precision.
    params = {name: p.detach().double().numpy() for name, p in model.named_parameters()}
    _, grads = net.compile()(params, X.double().numpy(), Y.double().numpy())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.double().numpy(), grads[name], rtol=1e-3,
                                   atol=1e-5, err_msg=name)
    opt.step()
    assert model(X, Y).item() < before.item()  # a small step along −∇L descends


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU (CUDA) on this machine")
@pytest.mark.parametrize("case", [CASES[2], LAYER_CASES["conv-batchnorm-maxpool"]],
                         ids=[IDS[2], "conv-batchnorm-maxpool"])
def test_on_a_gpu_the_gradients_are_those_on_the_cpu(case):
    net = network(case)
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


# -- the recurrent layer -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["rnn-tanh-softmax", "rnn-relu-l2-sigmoid"])
def test_rnn_gradients_equal_autograd_of_torch_nn_rnn(name):
    # An independent forward: torch.nn.RNN holding W1 as weight_ih, U1 as weight_hh and b1 as
    # bias_ih (bias_hh zero), then PyTorch's own linear layer and loss.
    net = network(RNN_CASES[name])
    params, X, Y, value, ours = _exported_gradient(net, seed=8, rows=5)

    rnn_layer = net.layers[0]
    rnn = torch.nn.RNN(rnn_layer.inputs, rnn_layer.units, nonlinearity=rnn_layer.activation.name,
                       batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for weight, name_ in ((rnn.weight_ih_l0, "W1"), (rnn.weight_hh_l0, "U1"), (rnn.bias_ih_l0, "b1")):
            weight.copy_(torch.from_numpy(params[name_]))
        rnn.bias_hh_l0.zero_()
    dense = torch.nn.Linear(rnn_layer.units, net.output_size, dtype=torch.float64)
    with torch.no_grad():
        dense.weight.copy_(torch.from_numpy(params["W2"]))
        dense.bias.copy_(torch.from_numpy(params["b2"]))
    states, _ = rnn(X)
    z = dense(states[:, -1])
    F = torch.nn.functional
    if net.loss.name == "cross_entropy":  # softmax output, probability targets
        expected = F.cross_entropy(z, Y)
    else:  # sigmoid output: the binary cross-entropy of every output, summed per sample
        expected = F.binary_cross_entropy_with_logits(z, Y, reduction="sum") / len(X)
    weights = (rnn.weight_ih_l0, rnn.weight_hh_l0, dense.weight)
    expected = expected + net.l2 / 2 * sum((w**2).sum() for w in weights)
    theirs = torch.autograd.grad(
        expected, (X, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, dense.weight, dense.bias)
    )
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)
    for label, a, b in zip(("X", *net.parameter_names()), ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=label)


def test_rnn_backward_runs_backpropagation_through_time(monkeypatch):
    # The backward is the plan's δ_t recursion (the generated _through_time_stacked), run once
    # per backward; the forward alone does not run it.
    net = network(RNN_CASES["rnn-tanh-softmax"])
    module = net.export("torch").load()
    calls = []
    recursion = module._through_time_stacked
    monkeypatch.setattr(module, "_through_time_stacked",
                        lambda *args: calls.append(args[3]) or recursion(*args))
    model = module.Model(dtype=torch.float64)
    value = model(*_batch(module))
    assert calls == []
    value.backward()
    assert calls == [net.layers[0].steps]


# -- dropout -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=DROPOUT_CASES.values(), ids=DROPOUT_CASES)
def with_dropout(request):
    net = network(request.param)
    return net, net.export("torch").load()


def _masks(module, rows, seed):
    """The masks the compiled NumPy function draws for ``seed``, as tensors in DROPOUT's order."""
    return [torch.from_numpy(m) for m in numpy_masks(module.DROPOUT, rows, seed).values()]


def test_dropout_gradcheck_with_fixed_masks(with_dropout):
    net, module = with_dropout
    model = module.Model(dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    X, Y = _batch(module, rows=6)
    X.requires_grad_(True)
    masks = _masks(module, 6, seed=3)
    assert all((m == 0).any() and (m > 1).any() for m in masks)  # entries dropped and kept
    assert torch.autograd.gradcheck(module.LossFunction.apply, (X, Y, *model.parameters(), *masks))


def test_dropout_with_numpys_masks_equals_the_compiled_gradient_and_pytorchs_autograd(with_dropout):
    net, module = with_dropout
    params = init_params(net, 3)
    X, Y = _batch(module, rows=6)
    model = module.Model.load_params(params, dtype=torch.float64)
    masks = _masks(module, 6, seed=7)
    value = module.LossFunction.apply(X, Y, *model.parameters(), *masks)
    ours = dict(zip(module.PARAMETERS, torch.autograd.grad(value, tuple(model.parameters())), strict=True))
    loss, grads = net.compile()(params, X.numpy(), Y.numpy(), seed=7)
    # PyTorch's layers with the same masks, and PyTorch's autograd of the generated forward.
    expected, tensors = torch_loss(torch, net, params, X.numpy(), Y.numpy(), seed=7)
    by_torch = dict(zip(tensors, torch.autograd.grad(expected, tuple(tensors.values())), strict=True))
    same_forward = module.loss(dict(model.named_parameters()), X, Y,
                               masks=dict(zip(module.DROPOUT, masks, strict=True)))
    by_autograd = dict(zip(module.PARAMETERS,
                           torch.autograd.grad(same_forward, tuple(model.parameters())), strict=True))
    assert value.item() == pytest.approx(loss, rel=1e-13)
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)
    for name in module.PARAMETERS:
        np.testing.assert_allclose(ours[name].numpy(), grads[name], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours[name].numpy(), by_torch[name].numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours[name].numpy(), by_autograd[name].numpy(), rtol=1e-12,
                                   atol=1e-15)
    # Without masks there is no dropout, as with seed=None (and in predict).
    off = module.LossFunction.apply(X, Y, *model.parameters())
    assert off.item() == pytest.approx(net.compile()(params, X.numpy(), Y.numpy(), seed=None)[0],
                                       rel=1e-13)
    assert off.item() != pytest.approx(value.item(), rel=1e-6)


def test_the_model_draws_fresh_masks_in_training_mode_and_none_in_eval_mode(with_dropout):
    net, module = with_dropout
    params = init_params(net, 4)
    X, Y = _batch(module, rows=8)
    model = module.Model.load_params(params, dtype=torch.float64)
    assert model.training
    model.generator = torch.Generator().manual_seed(11)
    value = model(X, Y)
    value.backward()
    # The masks the model drew, handed to the function: the same loss and gradient, so
    # backward used the masks forward drew.
    drawn = module.dropout_masks(8, torch.float64, generator=torch.Generator().manual_seed(11))
    twin = module.Model.load_params(params, dtype=torch.float64)
    again = module.LossFunction.apply(X, Y, *twin.parameters(), *drawn.values())
    again.backward()
    assert value.item() == again.item()
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad)
    assert model(X, Y).item() != value.item()  # the next call, new masks
    model.eval()
    off = model(X, Y)
    loss, _ = net.compile()(params, X.numpy(), Y.numpy(), seed=None)
    assert off.item() == pytest.approx(loss, rel=1e-13) and model(X, Y).item() == off.item()


def test_masks_are_inverted_dropout_with_probability_p():
    module = network(DROPOUT_CASES["two-dropouts-rnn-softmax"]).export("torch").load()
    assert module.DROPOUT == {"M1": (0.2, (3, 2)), "M3": (0.3, (4,))}
    masks = module.dropout_masks(20_000, torch.float64, generator=torch.Generator().manual_seed(0))
    for name, (p, shape) in module.DROPOUT.items():
        mask = masks[name]
        assert mask.shape == (20_000, *shape) and mask.dtype == torch.float64
        assert set(mask.unique().tolist()) == {0.0, 1 / (1 - p)}
        assert (mask == 0).double().mean().item() == pytest.approx(p, abs=0.01)
        assert mask.mean().item() == pytest.approx(1.0, abs=0.02)  # the expected output is x itself
    assert module.dropout_masks(3)["M3"].dtype == torch.get_default_dtype()


def test_dropout_under_torch_func_grad_and_vmap(with_dropout):
    net, module = with_dropout
    model = module.Model(dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    params = tuple(p.detach() for p in model.parameters())
    X, Y = _batch(module, rows=4)
    masks = tuple(_masks(module, 4, seed=5))

    def batch_loss(ps, X, Y, ms):
        return module.LossFunction.apply(X, Y, *ps, *ms)

    whole = torch.func.grad(batch_loss)(params, X, Y, masks)
    per_sample = torch.func.vmap(
        torch.func.grad(lambda ps, x, y, ms: batch_loss(ps, x[None], y[None], [m[None] for m in ms])),
        in_dims=(None, 0, 0, 0),
    )(params, X, Y, masks)
    numpy_params = {k: p.numpy() for k, p in zip(module.PARAMETERS, params, strict=True)}
    _, grads = net.compile()(numpy_params, X.numpy(), Y.numpy(), seed=5)
    for index, name in enumerate(module.PARAMETERS):
        np.testing.assert_allclose(whole[index].numpy(), grads[name], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(per_sample[index].mean(dim=0).numpy(), grads[name],
                                   rtol=1e-12, atol=1e-15)


def test_masks_are_data_of_the_right_number_and_shape(with_dropout):
    net, module = with_dropout
    model = module.Model(dtype=torch.float64)
    X, Y = _batch(module, rows=3)
    masks = _masks(module, 3, seed=1)
    with pytest.raises(ValueError, match=f"then no masks or one for each of the {len(masks)} dropout"):
        module.LossFunction.apply(X, Y, *model.parameters(), *masks, masks[0])
    with pytest.raises(ValueError, match=r"dropout mask M\d has shape \(2, "):
        module.LossFunction.apply(X, Y, *model.parameters(), *(m[:2] for m in masks))
    masks[0].requires_grad_(True)
    with pytest.raises(RuntimeError, match="not the targets Y or the dropout masks"):
        module.LossFunction.apply(X, Y, *model.parameters(), *masks).backward()


def test_dropout_in_float32_agrees_with_float64(with_dropout):
    net, module = with_dropout
    params = init_params(net, 6)
    X, Y = _batch(module, rows=6)
    grads = {}
    for dtype in (torch.float32, torch.float64):
        model = module.Model.load_params(params, dtype=dtype)
        masks = [m.to(dtype) for m in _masks(module, 6, seed=2)]
        module.LossFunction.apply(X.to(dtype), Y.to(dtype), *model.parameters(), *masks).backward()
        grads[dtype] = {name: p.grad for name, p in model.named_parameters()}
    for name, grad in grads[torch.float32].items():
        assert grad.dtype == torch.float32
        np.testing.assert_allclose(grad.numpy(), grads[torch.float64][name].numpy(), rtol=1e-4,
                                   atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU (CUDA) on this machine")
@pytest.mark.parametrize("case", [RNN_CASES["rnn-tanh-softmax"], DROPOUT_CASES["two-dropouts-rnn-softmax"]])
def test_rnn_and_dropout_on_a_gpu_give_the_gradients_on_the_cpu(case):
    net = network(case)
    module = net.export("torch").load()
    params = init_params(net, 6)
    X, Y = _batch(module)
    masks = _masks(module, len(X), seed=1)
    results = {}
    for device in ("cpu", "cuda"):
        model = module.Model.load_params(params, dtype=torch.float64, device=device)
        module.LossFunction.apply(X.to(device), Y.to(device), *model.parameters(),
                                  *(m.to(device) for m in masks)).backward()
        model(X.to(device), Y.to(device))  # the model draws its masks on the device
        results[device] = {n: p.grad.cpu().numpy() for n, p in model.named_parameters()}
    for name in results["cpu"]:
        np.testing.assert_allclose(results["cuda"][name], results["cpu"][name], rtol=1e-10)


@pytest.mark.parametrize("name", ["rnn", "dropout"])
def test_cli_exports_the_docs_specs_and_the_module_checks_itself(run_cli, tmp_path, name):
    module = run_exported_docs_spec(run_cli, tmp_path, name, "torch")
    assert module["self_check"]()  # what `python FILE` runs


@pytest.mark.parametrize("name", DOCS_NORMALISATION_SPECS)
def test_cli_exports_the_docs_normalisation_specs(run_cli, tmp_path, name):
    module = run_exported_docs_spec(run_cli, tmp_path, name, "torch")
    assert module["self_check"]()  # gradcheck of the written module
    net = sbp.Network.from_spec(module["SPEC"])
    params = init_params(net, 9)
    X, Y = module["example_batch"](rows=5, generator=torch.Generator().manual_seed(1))
    model = module["Model"].load_params(params, dtype=torch.float64)
    model(X, Y).backward()
    _, grads = net.compile()(params, X.numpy(), Y.numpy())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), grads[name], rtol=1e-12, atol=1e-15)
