"""The exported JAX module: a jax.custom_vjp whose backward is the derived gradient.

For every activation, loss and layer kind: jax.test_util.check_grads in
reverse mode (finite differences, float64) and JAX's own differentiation of
the same forward pass; for the list-form networks also JAX's differentiation
of a forward written here with its own operations (jax.numpy,
lax.conv_general_dilated, reduce_window, jax.nn.standardize); then the
compiled NumPy gradient, the ReLU kink, jit and vmap (per-sample where samples
are independent, whole batches where batch norm couples them), float32, and
the command line on the docs' specs.  Dropout with masks drawn from a key.
"""

from __future__ import annotations

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

jax = pytest.importorskip(
    "jax", reason="JAX is not installed: pip install 'symbackprop[jax]' (make test does)"
)
jnp = pytest.importorskip("jax.numpy")
check_grads = pytest.importorskip("jax.test_util").check_grads


@pytest.fixture(scope="module", autouse=True)
def float64():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def exported(request):
    net = network(request.param)
    return net, net.export("jax").load()


@pytest.fixture(scope="module", params=LAYER_CASES.values(), ids=LAYER_CASES)
def exported_layers(request):
    """The list-form cases only, for the slower checks (each jit compiles anew)."""
    net = network(request.param)
    return net, net.export("jax").load()


def _inputs(module, seed=0):
    key_params, key_batch = jax.random.split(jax.random.key(seed))
    params = module.init_params(key_params, dtype=jnp.float64)
    X, Y = module.example_batch(key_batch, rows=5, dtype=jnp.float64)
    return params, X, Y


def test_check_grads_in_reverse_mode(exported):
    # One way: finite differences against the custom VJP, for params and X.
    net, module = exported
    params, X, Y = _inputs(module)
    check_grads(lambda p, x: module.loss_function(p, x, Y), (params, X), order=1, modes=["rev"])


def test_jaxs_own_differentiation_of_the_same_forward(exported):
    # The other way: JAX differentiates the generated forward pass itself.
    net, module = exported
    params, X, Y = _inputs(module, seed=1)
    ours = jax.grad(module.loss_function, argnums=(0, 1))(params, X, Y)
    theirs = jax.grad(module.loss, argnums=(0, 1))(params, X, Y)
    for name in module.PARAMETERS:
        np.testing.assert_allclose(ours[0][name], theirs[0][name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", FEEDFORWARD_CASES.values(), ids=FEEDFORWARD_CASES)
def test_jaxs_differentiation_of_an_independent_forward(case):
    # Convolution, pooling, batch norm and layer norm by JAX's own operations (jnp_loss).
    net = network(case)
    module = net.export("jax").load()
    params = module.load_params(init_params(net, 7))
    _, X, Y = _inputs(module, seed=4)
    value, ours = jax.value_and_grad(module.loss_function, argnums=(0, 1))(params, X, Y)
    expected, theirs = jax.value_and_grad(lambda p, x: jnp_loss(net, p, x, Y), argnums=(0, 1))(
        params, X
    )
    assert float(value) == pytest.approx(float(expected), rel=1e-12)
    for name in module.PARAMETERS:
        np.testing.assert_allclose(ours[0][name], theirs[0][name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)


def test_loss_and_gradients_equal_the_compiled_numpy_ones(exported):
    net, module = exported
    params = init_params(net, 3)
    _, X, Y = _inputs(module, seed=2)
    value, grads = jax.value_and_grad(module.loss_function)(module.load_params(params), X, Y)
    loss, expected = net.compile()(params, np.asarray(X), np.asarray(Y))
    assert float(value) == pytest.approx(loss, rel=1e-13)
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(module.predict(module.load_params(params), X),
                               net.compile().predict(params, np.asarray(X)), rtol=1e-13)


def test_jit_and_per_sample_gradients_with_vmap(exported):
    # Per-sample gradients are batches of one; under batch norm a sample's loss depends on the
    # rest of its batch, so there their mean is not the batch gradient.
    net, module = exported
    params, X, Y = _inputs(module, seed=3)
    whole = jax.jit(jax.grad(module.loss_function))(params, X, Y)
    per_sample = jax.vmap(
        jax.grad(lambda p, x, y: module.loss_function(p, x[None], y[None])), in_axes=(None, 0, 0)
    )(params, X, Y)
    numpy_params = {name: np.asarray(value) for name, value in params.items()}
    _, first = net.compile()(numpy_params, np.asarray(X[:1]), np.asarray(Y[:1]))
    for name in module.PARAMETERS:
        np.testing.assert_allclose(per_sample[name][0], first[name], rtol=1e-12, atol=1e-15)
        mean = per_sample[name].mean(axis=0)
        if not couples_samples(net):
            np.testing.assert_allclose(mean, whole[name], rtol=1e-12, atol=1e-15)
        elif name.startswith("W"):
            assert not np.allclose(mean, whole[name], rtol=1e-6, atol=1e-9), name


@pytest.mark.parametrize("case", COUPLED_CASES.values(), ids=COUPLED_CASES)
def test_vmap_over_whole_batches(case):
    # Independent batches at once, each with its own statistics under batch norm.
    net = network(case)
    module = net.export("jax").load()
    params, _, _ = _inputs(module, seed=5)
    batches = [_inputs(module, seed=seed)[1:] for seed in (11, 12, 13)]
    Xs, Ys = (jnp.stack(parts) for parts in zip(*batches, strict=True))
    grads = jax.vmap(jax.grad(module.loss_function), in_axes=(None, 0, 0))(params, Xs, Ys)
    numpy_params = {name: np.asarray(value) for name, value in params.items()}
    for batch, (X, Y) in enumerate(batches):
        _, expected = net.compile()(numpy_params, np.asarray(X), np.asarray(Y))
        for name in module.PARAMETERS:
            np.testing.assert_allclose(grads[name][batch], expected[name], rtol=1e-12, atol=1e-15,
                                       err_msg=name)


def test_float32(exported_layers):
    # float32 in, float32 out (nothing promotes to float64), to float32's precision.
    net, module = exported_layers
    params, X, Y = _inputs(module, seed=6)
    single = {name: value.astype(jnp.float32) for name, value in params.items()}
    value, grads = jax.value_and_grad(module.loss_function)(single, X.astype(jnp.float32),
                                                             Y.astype(jnp.float32))
    assert value.dtype == jnp.float32
    assert all(grads[name].dtype == jnp.float32 for name in module.PARAMETERS)
    numpy_params = {name: np.asarray(value, dtype=np.float64) for name, value in single.items()}
    _, expected = net.compile()(numpy_params, np.asarray(X.astype(jnp.float32), dtype=np.float64),
                                np.asarray(Y.astype(jnp.float32), dtype=np.float64))
    for name in module.PARAMETERS:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-3, atol=1e-5, err_msg=name)


def test_the_targets_are_not_differentiated(exported):
    net, module = exported
    params, X, Y = _inputs(module)
    with pytest.raises(TypeError, match="not the targets Y"):
        jax.grad(module.loss_function, argnums=2)(params, X, Y)


def test_relu_kink_has_derivative_zero():
    net = sbp.Network.from_layers([3, 4, 3], "relu", "softmax", "cross_entropy")
    module = net.export("jax").load()
    params = init_params(net, 0)
    X = np.array([[0.0, 0.0, 0.0], [0.5, -1.0, 2.0]])
    Y = np.eye(3)[[0, 1]]
    assert not (X[0] @ params["W1"].T + params["b1"]).any()  # the kink is hit
    grads = jax.grad(module.loss_function)(module.load_params(params), X, Y)
    by_jax = jax.grad(module.loss)(module.load_params(params), X, Y)  # jax.nn.relu's rule
    _, expected = net.compile()(params, X, Y)
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(by_jax[name], expected[name], rtol=1e-12, atol=1e-15)


# -- an independent forward pass, written with jax.numpy ----------------------------------

ACTIVATIONS = {"tanh": jnp.tanh, "relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid,
               "identity": lambda t: t, "softmax": lambda t: jax.nn.softmax(t, axis=1)}
LOSSES = {  # per sample, summed over the outputs
    "half_sse": lambda a, y: ((a - y) ** 2).sum() / 2,
    "cross_entropy": lambda a, y: -(y * jnp.log(a)).sum(),
    "binary_cross_entropy": lambda a, y: -(y * jnp.log(a) + (1 - y) * jnp.log(1 - a)).sum(),
}


def jnp_loss(net, params, X, Y, masks=None):
    """The batch loss of ``net`` as a plain JAX function: jax.numpy for dense, rnn and dropout;
    lax.conv_general_dilated and lax.reduce_window for convolution and pooling; batch norm and
    layer norm as jax.nn.standardize (biased variance, ε = 1e-5) over the batch (and the
    positions of a channel) or over a sample's features."""
    lax = jax.lax
    a = X
    for index, layer in enumerate(net.layers, start=1):
        W, b, gamma, beta = (params.get(f"{stem}{index}") for stem in ("W", "b", "gamma", "beta"))
        if layer.kind == "dropout":
            a = a if masks is None else a * masks[f"M{index}"]
        elif layer.kind == "rnn":
            h = jnp.zeros((a.shape[0], layer.units), dtype=a.dtype)
            for step in range(layer.steps):
                h = ACTIVATIONS[layer.activation.name](a[:, step] @ W.T + h @ params[f"U{index}"].T + b)
            a = h
            continue
        elif layer.kind == "conv2d":
            pad = [(layer.padding, layer.padding)] * 2
            a = lax.conv_general_dilated(a, W, (layer.stride, layer.stride), pad)
            a = a if b is None else a + b[:, None, None]
        elif layer.kind in ("maxpool2d", "avgpool2d"):
            window, strides = (1, 1, layer.size, layer.size), (1, 1, layer.stride, layer.stride)
            if layer.kind == "maxpool2d":
                a = lax.reduce_window(a, -jnp.inf, lax.max, window, strides, "VALID")
            else:
                a = lax.reduce_window(a, 0.0, lax.add, window, strides, "VALID") / layer.size**2
        elif layer.kind == "flatten":
            a = a.reshape(a.shape[0], -1)
        elif layer.kind in ("batchnorm", "layernorm"):
            image = a.ndim == 4
            axes = ((0, 2, 3) if image else 0) if layer.kind == "batchnorm" else 1
            if image:
                gamma, beta = gamma[:, None, None], beta[:, None, None]
            a = gamma * jax.nn.standardize(a, axis=axes, epsilon=1e-5) + beta
        else:
            a = a @ W.T if b is None else a @ W.T + b
        if layer.activation is not None:
            a = ACTIVATIONS[layer.activation.name](a)
    penalty = sum((value**2).sum() for name, value in params.items() if name[0] in "WU")
    return LOSSES[net.loss.name](a, Y) / X.shape[0] + net.l2 / 2 * penalty


@pytest.mark.parametrize("case", RNN_CASES.values(), ids=RNN_CASES)
def test_rnn_gradient_equals_jax_grad_of_an_independent_forward(case):
    net = network(case)
    module = net.export("jax").load()
    params, X, Y = _inputs(module, seed=4)
    ours = jax.grad(module.loss_function, argnums=(0, 1))(params, X, Y)
    theirs = jax.grad(lambda p, x: jnp_loss(net, p, x, Y), argnums=(0, 1))(params, X)
    assert float(module.loss_function(params, X, Y)) == pytest.approx(float(jnp_loss(net, params, X, Y)),
                                                                     rel=1e-12)
    for name in module.PARAMETERS:
        np.testing.assert_allclose(ours[0][name], theirs[0][name], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)


# -- dropout: the masks drawn from a key ----------------------------------------------------


@pytest.fixture(scope="module", params=DROPOUT_CASES.values(), ids=DROPOUT_CASES)
def with_dropout(request):
    net = network(request.param)
    return net, net.export("jax").load()


def test_dropout_check_grads_with_a_fixed_key(with_dropout):
    net, module = with_dropout
    params, X, Y = _inputs(module)
    key = jax.random.key(3)
    masks = module.dropout_masks(key, len(X), jnp.float64)
    assert all((m == 0).any() and (m > 1).any() for m in masks.values())  # entries dropped and kept
    check_grads(lambda p, x: module.loss_function(p, x, Y, key), (params, X), order=1, modes=["rev"])


def test_dropout_gradient_equals_jax_grad_of_an_independent_forward_with_the_keys_masks(with_dropout):
    net, module = with_dropout
    params, X, Y = _inputs(module, seed=5)
    key = jax.random.key(7)
    masks = module.dropout_masks(key, len(X), jnp.float64)
    ours = jax.grad(module.loss_function, argnums=(0, 1))(params, X, Y, key)
    theirs = jax.grad(lambda p, x: jnp_loss(net, p, x, Y, masks), argnums=(0, 1))(params, X)
    by_jax = jax.grad(lambda p, x: module.loss(p, x, Y, masks=masks), argnums=(0, 1))(params, X)
    assert float(module.loss_function(params, X, Y, key)) == pytest.approx(
        float(jnp_loss(net, params, X, Y, masks)), rel=1e-12)
    for which in (0, 1):
        for other in (theirs, by_jax):
            jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12),
                         ours[which], other[which])
    # The same key, the same masks (also under jit); no key, no dropout.
    jitted = jax.jit(jax.grad(module.loss_function))(params, X, Y, key)
    for name in module.PARAMETERS:
        np.testing.assert_allclose(jitted[name], ours[0][name], rtol=1e-13, atol=1e-16)
    assert float(module.loss_function(params, X, Y)) == pytest.approx(
        float(jnp_loss(net, params, X, Y)), rel=1e-12)


def test_dropout_with_numpys_masks_equals_the_compiled_numpy_gradient(with_dropout):
    net, module = with_dropout
    params = init_params(net, 3)
    _, X, Y = _inputs(module, seed=2)
    X, Y = np.asarray(X), np.asarray(Y)
    f = net.compile()
    for seed in (4, None):
        masks = None if seed is None else {name: jnp.asarray(m) for name, m in
                                           numpy_masks(module.DROPOUT, len(X), seed).items()}
        value, grads, _ = module.gradient(module.load_params(params), X, Y, masks=masks)
        loss, expected = f(params, X, Y, seed=seed)
        assert float(value) == pytest.approx(loss, rel=1e-13)
        for name in expected:
            np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(module.predict(module.load_params(params), X), f.predict(params, X),
                               rtol=1e-13)


def test_masks_from_a_key_are_inverted_dropout_with_probability_p():
    module = network(DROPOUT_CASES["two-dropouts-rnn-softmax"]).export("jax").load()
    masks = module.dropout_masks(jax.random.key(0), 20_000, jnp.float64)
    for name, (p, shape) in module.DROPOUT.items():
        mask = np.asarray(masks[name])
        assert mask.shape == (20_000, *shape) and mask.dtype == np.float64
        assert set(np.unique(mask)) == {0.0, 1 / (1 - p)}
        assert (mask == 0).mean() == pytest.approx(p, abs=0.01)
    again = module.dropout_masks(jax.random.key(0), 20_000, jnp.float64)
    other = module.dropout_masks(jax.random.key(1), 20_000, jnp.float64)
    assert all(np.array_equal(masks[name], again[name]) for name in masks)
    assert not any(np.array_equal(masks[name], other[name]) for name in masks)


def test_dropout_in_float32_agrees_with_float64(with_dropout):
    net, module = with_dropout
    params, X, Y = _inputs(module, seed=6)
    key = jax.random.key(2)
    grads = {}
    for dtype in (jnp.float32, jnp.float64):
        as_dtype = jax.tree.map(lambda t, dtype=dtype: t.astype(dtype), (params, X, Y))
        grads[dtype] = jax.grad(module.loss_function)(*as_dtype, key)
    for name, grad in grads[jnp.float32].items():
        assert grad.dtype == jnp.float32
        np.testing.assert_allclose(grad, grads[jnp.float64][name], rtol=1e-4, atol=1e-6)


def _gpus():
    try:
        return jax.devices("gpu")
    except RuntimeError:  # no GPU platform
        return []


@pytest.mark.parametrize("case", [RNN_CASES["rnn-tanh-softmax"], DROPOUT_CASES["two-dropouts-rnn-softmax"],
                                  LAYER_CASES["conv-batchnorm-maxpool"]])
def test_rnn_dropout_and_batchnorm_on_a_gpu_give_the_gradients_on_the_cpu(case):
    if not _gpus():  # asked here, not at collection: starting JAX's backend early makes later forks warn
        pytest.skip("no GPU that JAX can use on this machine")
    module = network(case).export("jax").load()
    inputs = (*_inputs(module, seed=7), jax.random.key(1))
    grads = [jax.grad(module.loss_function)(*jax.device_put(inputs, device))
             for device in (jax.devices("cpu")[0], _gpus()[0])]
    for name in module.PARAMETERS:
        np.testing.assert_allclose(np.asarray(grads[1][name]), np.asarray(grads[0][name]), rtol=1e-10)


@pytest.mark.parametrize("name", ["rnn", "dropout"])
def test_cli_exports_the_docs_specs_and_the_module_checks_itself(run_cli, tmp_path, name):
    module = run_exported_docs_spec(run_cli, tmp_path, name, "jax")
    assert module["self_check"]()  # what `python FILE` runs


@pytest.mark.parametrize("name", DOCS_NORMALISATION_SPECS)
def test_cli_exports_the_docs_normalisation_specs(run_cli, tmp_path, name):
    module = run_exported_docs_spec(run_cli, tmp_path, name, "jax")
    assert module["self_check"]()  # check_grads of the written module
    net = sbp.Network.from_spec(module["SPEC"])
    params = init_params(net, 9)
    X, Y = module["example_batch"](jax.random.key(0), rows=5, dtype=jnp.float64)
    grads = jax.grad(module["loss_function"])(module["load_params"](params), X, Y)
    _, expected = net.compile()(params, np.asarray(X), np.asarray(Y))
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-12, atol=1e-15)
