"""The JAX module of a network: ``loss_function``, a ``jax.custom_vjp`` with the derived backward.

The forward rule of the custom VJP runs the generated ``gradient`` once —
loss and derivatives in one pass — and keeps the derivatives as residuals;
the backward rule scales them by the incoming cotangent.  With
``symbolic_zeros`` the forward rule learns which arguments are differentiated,
so ∂L/∂X is computed only when asked for, and differentiating with respect to
the targets Y is refused rather than answered with a silent zero.  Dropout
takes a key, as JAX's random numbers do: ``loss_function(params, X, Y, key)``
draws the masks from it (the same key, the same masks), and no key means no
dropout.
"""

from __future__ import annotations

from ..numeric.dialects import JAX
from ..spec import Network
from .layout import module_source

USAGE = [
    "params = init_params(jax.random.key(0))     # drawn as symbackprop draws them",
    "params = load_params(params)                # or given: a dict of arrays or nested lists",
    "value = loss_function(params, X, Y)         # X (batch, {n0}), Y (batch, {nL}): the mean batch loss",
    "grads = jax.grad(loss_function)(params, X, Y)   # the derived gradient, a dict like params",
    "predict(params, X)                          # the network's output for every row of X",
]
DROPOUT_USAGE = [
    "loss_function(params, X, Y, key)            # with the dropout masks drawn from a jax.random key",
    "                                            # (no key: no dropout)",
]
CHECK = (
    "`python FILE` checks the derived reverse-mode derivative against finite\n"
    "differences (jax.test_util.check_grads in float64) and exits 0 when it agrees."
)

FUNCTIONS = '''
@jax.custom_vjp
def loss_function(params, X, Y, key=None):
    """The mean batch loss; its reverse-mode derivative is the symbolically derived gradient.

    params maps every name of PARAMETERS to an array.  key, where the network
    has dropout, is the jax.random key its masks are drawn from (None: no
    dropout).  Derivatives are given for params and X (the first layer's
    (W1)ᵀδ1); the targets Y are data.
    """
    return loss(params, X, Y, **_dropout(key, X))


def _dropout(key, X):
    """The keyword arguments that give loss and gradient the masks drawn from ``key`` for the
    rows of X (None: no dropout); none when the network has no dropout layer."""
    if not DROPOUT:
        return {}
    return {"masks": None if key is None else dropout_masks(key, X.shape[0], X.dtype)}


def _forward_rule(params, X, Y, key):
    # Each argument arrives wrapped (symbolic_zeros=True): .value, and .perturbed
    # telling whether it is being differentiated.
    if Y.perturbed:
        raise TypeError(
            "loss_function differentiates with respect to params and X, not the targets Y"
        )
    values = {name: wrapped.value for name, wrapped in params.items()}
    dropout = _dropout(None if key is None else key.value, X.value)
    value, grads, grad_X = gradient(values, X.value, Y.value, input_gradient=X.perturbed, **dropout)
    return value, (grads, grad_X)


def _backward_rule(residuals, cotangent):
    grads, grad_X = residuals
    scaled = {name: cotangent * grads[name] for name in PARAMETERS}
    return scaled, None if grad_X is None else cotangent * grad_X, None, None


loss_function.defvjp(_forward_rule, _backward_rule, symbolic_zeros=True)


def init_params(key, dtype=None):
    """Parameters drawn as symbackprop draws them: normal weights (INIT_STD), scales γ at one
    (INIT_ONES), biases and shifts at zero."""
    params = {}
    for name, shape in PARAMETERS.items():
        key, draw = jax.random.split(key)
        if name in INIT_STD:
            params[name] = INIT_STD[name] * jax.random.normal(draw, shape, dtype=dtype)
        else:
            start = jnp.ones if name in INIT_ONES else jnp.zeros
            params[name] = start(shape, dtype=dtype)
    return params


def load_params(params, dtype=None):
    """``params`` (arrays or nested lists) as JAX arrays, checked against PARAMETERS."""
    _check_names(params)
    out = {name: jnp.asarray(params[name], dtype=dtype) for name in PARAMETERS}
    for name, value in out.items():
        if value.shape != PARAMETERS[name]:
            raise ValueError(f"parameter {name} has shape {value.shape}, expected {PARAMETERS[name]}")
    return out


def dropout_masks(key, rows, dtype=None):
    """The masks for a batch of ``rows`` samples drawn from ``key``, by name (DROPOUT).

    Inverted dropout: each entry is 0 where a uniform draw falls below p, else 1/(1 − p).
    """
    dtype = dtype or jnp.result_type(float)
    masks = {}
    for name, (p, shape) in DROPOUT.items():
        key, draw = jax.random.split(key)
        kept = jax.random.uniform(draw, (rows, *shape)) >= p
        masks[name] = kept.astype(dtype) * (1 / (1 - p))
    return masks


def predict(params, X):
    """The network's output a_L for every row of X."""
    return forward(params, X)[1][-1]


def example_batch(key, rows=4, dtype=None):
    """Random inputs and targets of the kind this loss takes (TARGETS), for checks."""
    key_x, key_y = jax.random.split(key)
    X = jax.random.normal(key_x, (rows, *INPUT_SHAPE), dtype=dtype)
    Y = jax.random.normal(key_y, (rows, OUTPUTS), dtype=dtype)
    if TARGETS == "probability":
        Y = jax.nn.softmax(Y, axis=1)
    elif TARGETS == "unit_interval":
        Y = jax.nn.sigmoid(Y)
    return X, Y


def self_check():
    """The derived reverse-mode derivative against finite differences (float64): True when they agree."""
    from jax.test_util import check_grads

    jax.config.update("jax_enable_x64", True)
    key_params, key_batch = jax.random.split(jax.random.key(0))
    params = init_params(key_params, dtype=jnp.float64)
    X, Y = example_batch(key_batch, dtype=jnp.float64)
    key = jax.random.key(1)  # the dropout masks, the same at every evaluation
    try:
        check_grads(lambda p, x: loss_function(p, x, Y, key), (params, X), order=1, modes=["rev"])
    except AssertionError:
        return False
    return True
'''


def jax_source(network: Network) -> str:
    """The source of the JAX module of ``network``."""
    imports = ["import jax", "import jax.numpy as jnp", "import jax.scipy.special"]
    usage = USAGE + (DROPOUT_USAGE if network.stochastic else [])
    return module_source(network, "jax", JAX, imports, usage, CHECK, FUNCTIONS)
