"""The exported JAX module: a jax.custom_vjp whose backward is the derived gradient.

For every activation and loss: jax.test_util.check_grads in reverse mode
(finite differences, float64) and JAX's own differentiation of the same
forward pass; then the compiled NumPy gradient, the ReLU kink, jit and vmap.
"""

from __future__ import annotations

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop.params import init_params

from .export_cases import CASES, IDS, network

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
    net, module = exported
    params, X, Y = _inputs(module, seed=3)
    whole = jax.jit(jax.grad(module.loss_function))(params, X, Y)
    per_sample = jax.vmap(
        jax.grad(lambda p, x, y: module.loss_function(p, x[None], y[None])), in_axes=(None, 0, 0)
    )(params, X, Y)
    for name in module.PARAMETERS:
        np.testing.assert_allclose(per_sample[name].mean(axis=0), whole[name], rtol=1e-12,
                                   atol=1e-15)


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
