"""The networks every export is checked on (tests/test_export_torch.py, test_export_jax.py).

Every built-in activation (hidden and output), custom ones with a sigmoid and an
erf inside, every built-in loss and a custom one; softmax both with its
cross-entropy shortcut and through its Jacobian; and every kind of layer of the
list form: convolution (with stride and padding), max and average pooling,
flatten, batch norm (of a vector, and per channel of an image), layer norm,
the L2 penalty and the recurrent layer (many-to-one, several steps, with tanh,
ReLU and the identity, whose slope is the number 1).  Dropout draws masks and
has tests of its own.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np

import symbackprop as sbp
from symbackprop.layers.dropout import _dropout_mask

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
    "dense-batchnorm-relu-l2": {
        "input": 3, "loss": "cross_entropy", "l2": 0.05,
        "layers": [{"type": "dense", "units": 4, "bias": False},
                   {"type": "batchnorm", "activation": "relu"},
                   {"type": "dense", "units": 3, "activation": "softmax"}],
    },
    "conv-batchnorm-maxpool": {
        "input": [2, 5, 5], "loss": "half_sse",
        "layers": [{"type": "conv2d", "channels": 3, "kernel": 3, "padding": 1},
                   {"type": "batchnorm", "activation": "tanh"},
                   {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 2, "activation": "sigmoid"}],
    },
    "dense-layernorm-relu-l2": {
        "input": 3, "loss": "binary_cross_entropy", "l2": 0.05,
        "layers": [{"type": "dense", "units": 4},
                   {"type": "layernorm", "activation": "relu"},
                   {"type": "dense", "units": 2, "activation": "sigmoid"}],
    },
    "rnn-tanh-softmax": {
        "input": [4, 3], "loss": "cross_entropy",
        "layers": [{"type": "rnn", "units": 5}, {"type": "dense", "units": 3, "activation": "softmax"}],
    },
    "rnn-relu-l2-sigmoid": {
        "input": [3, 2], "loss": "binary_cross_entropy", "l2": 0.05,
        "layers": [{"type": "rnn", "units": 4, "activation": "relu"},
                   {"type": "dense", "units": 2, "activation": "sigmoid"}],
    },
    "rnn-identity-dense-tanh": {
        "input": [5, 2], "loss": "half_sse",
        "layers": [{"type": "rnn", "units": 3, "activation": "identity"},
                   {"type": "dense", "units": 3, "activation": "tanh"}, {"type": "dense", "units": 2}],
    },
}
RNN_CASES = {name: case for name, case in LAYER_CASES.items() if name.startswith("rnn")}
DROPOUT_CASES = {
    "dense-dropout-sigmoid": {
        "input": 3, "loss": "half_sse",
        "layers": [{"type": "dense", "units": 3, "activation": "tanh"}, {"type": "dropout", "p": 0.5},
                   {"type": "dense", "units": 1, "activation": "sigmoid"}],
    },
    "two-dropouts-rnn-softmax": {
        "input": [3, 2], "loss": "cross_entropy",
        "layers": [{"type": "dropout", "p": 0.2}, {"type": "rnn", "units": 4},
                   {"type": "dropout", "p": 0.3}, {"type": "dense", "units": 3, "activation": "softmax"}],
    },
}
IDS = [f"{c[1]}-{c[2]}-{c[3]}" for c in MLP_CASES] + list(LAYER_CASES)
CASES = [*MLP_CASES, *LAYER_CASES.values()]


def couples_samples(net: sbp.Network) -> bool:
    """True when a sample's loss depends on the other samples of its batch (batch norm)."""
    return any(layer.kind == "batchnorm" for layer in net.layers)


def network(case) -> sbp.Network:
    """The network of one case: an MLP (sizes, hidden, output, loss, bias) or a list-form spec."""
    if isinstance(case, dict):
        return sbp.Network.from_spec(case)
    sizes, hidden, output, loss, bias = case
    return sbp.Network.from_layers(sizes, hidden, output, loss, bias=bias)


def numpy_masks(dropout: dict, rows: int, seed: int) -> dict:
    """The masks the compiled NumPy functions draw for ``seed``, by an export's names (its DROPOUT)."""
    return {name: _dropout_mask(np.zeros((rows, *shape)), p, seed, int(name[1:]))
            for name, (p, shape) in dropout.items()}


def run_exported_docs_spec(run_cli, folder: Path, name: str, target: str) -> dict:
    """``symbackprop export --spec docs/files/NAME.json --to TARGET -o FILE``, then FILE run (its names)."""
    path = folder / "model.py"
    spec = Path(__file__).resolve().parent.parent / "docs" / "files" / f"{name}.json"
    result = run_cli("export", "--spec", str(spec), "--to", target, "-o", str(path))
    assert result.status == 0, result.stderr
    return runpy.run_path(str(path))


# The list-form cases without a recurrent layer (which has oracle tests of its own).
FEEDFORWARD_CASES = {name: case for name, case in LAYER_CASES.items() if name not in RNN_CASES}
# The cases whose samples batch norm couples: vmap applies over whole batches, not over rows.
COUPLED_CASES = {name: case for name, case in LAYER_CASES.items() if couples_samples(network(case))}
# The docs' specs (docs/files/NAME.json) of the normalisations, exported from the command line.
DOCS_NORMALISATION_SPECS = ["batchnorm", "batchnorm-image", "layernorm"]
