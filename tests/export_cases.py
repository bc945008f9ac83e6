"""The networks every export is checked on (tests/test_export_torch.py, test_export_jax.py).

Every built-in activation (hidden and output), custom ones with a sigmoid and an
erf inside, every built-in loss and a custom one; softmax both with its
cross-entropy shortcut and through its Jacobian; and every kind of layer of the
list form: convolution (with stride and padding), max and average pooling,
flatten, and the L2 penalty.
"""

from __future__ import annotations

import symbackprop as sbp

MLP_CASES = [
    ([3, 4, 3, 2], "sigmoid", "sigmoid", "half_sse", True),
    ([3, 4, 3, 2], "tanh", "identity", "sse", True),
    ([3, 4, 3, 3], "relu", "softmax", "cross_entropy", True),
    ([3, 4, 3, 2], "leaky_relu", "tanh", "mse", False),
    ([3, 4, 3, 1], "softplus", "sigmoid", "binary_cross_entropy", True),
    ([3, 4, 3, 3], "identity", "softmax", "half_sse", True),
    ([3, 4, 3, 2], "x*sigmoid(x)", "softplus", "(a - y)**4/4", True),
    ([3, 4, 3, 2], "x*(1 + erf(x/sqrt(2)))/2", "leaky_relu(0.2)", "mse", True),
]
LAYER_CASES = {
    "conv-maxpool-dense": {
        "input": [1, 6, 6], "loss": "cross_entropy",
        "layers": [{"type": "conv2d", "channels": 2, "kernel": 3, "activation": "relu"},
                   {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 3, "activation": "softmax"}],
    },
    "conv-stride-padding-avgpool-l2": {
        "input": [2, 7, 7], "loss": "half_sse", "l2": 0.1,
        "layers": [{"type": "conv2d", "channels": 3, "kernel": 3, "stride": 2, "padding": 1,
                    "activation": "tanh"},
                   {"type": "avgpool2d", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 2, "activation": "sigmoid"}],
    },
}
IDS = [f"{c[1]}-{c[2]}-{c[3]}" for c in MLP_CASES] + list(LAYER_CASES)
CASES = [*MLP_CASES, *LAYER_CASES.values()]


def network(case) -> sbp.Network:
    """The network of one case: an MLP (sizes, hidden, output, loss, bias) or a list-form spec."""
    if isinstance(case, dict):
        return sbp.Network.from_spec(case)
    sizes, hidden, output, loss, bias = case
    return sbp.Network.from_layers(sizes, hidden, output, loss, bias=bias)
