"""Canonical networks used by the tests, the examples and the documentation.

>>> beginner().describe()
'2-3-3-2 sigmoid/sigmoid/sigmoid, half_sse, no bias'
>>> understanding().describe()
'2-4-4-3 relu/relu/softmax, cross_entropy, with bias'
>>> small_conv().parameter_shapes()
{'W1': (1, 1, 2, 2), 'b1': (1,), 'W3': (1, 9), 'b3': (1,)}
"""

from __future__ import annotations

from .network import Network


def beginner() -> Network:
    """The "Beginner Deep Learning Maths" network.

    Two sigmoid hidden layers, a sigmoid output, no biases, and the quadratic
    cost ½ Σ (a − y)²: the network whose derivation that article works by hand
    and whose teacher–student experiment the examples repeat.
    """
    return Network.from_spec(
        {"layers": [2, 3, 3, 2], "activation": "sigmoid", "bias": False, "loss": "half_sse", "name": "beginner"}
    )


def understanding() -> Network:
    """The "Understanding the Mathematics of Deep Learning" network.

    Two ReLU hidden layers, a softmax output and cross-entropy, so the output
    error simplifies to δ⁽ᴸ⁾ = a − y.
    """
    return Network.from_spec(
        {
            "layers": [2, 4, 4, 3],
            "activation": "relu",
            "output_activation": "softmax",
            "loss": "cross_entropy",
            "name": "understanding",
        }
    )


def two_two_two() -> Network:
    """The 2-2-2 sigmoid network with biases and half squared error.

    The shape of the classic step-by-step worked example of backpropagation
    (inputs 0.05, 0.10; targets 0.01, 0.99), reproduced digit for digit in the
    tests of the numeric module.
    """
    return Network.from_spec(
        {"layers": [2, 2, 2], "activation": "sigmoid", "loss": "half_sse", "name": "2-2-2"}
    )


def small_conv() -> Network:
    """A 1-channel 4×4 image, one 2×2 kernel with ReLU, flattened into one sigmoid unit.

    The smallest convolution a student can backpropagate through by hand:
    z⁽¹⁾ is 3×3, ∂L/∂W⁽¹⁾ is the correlation of x with δ⁽¹⁾ (2×2).
    """
    return Network.from_spec(
        {
            "input": [1, 4, 4],
            "loss": "half_sse",
            "name": "small conv",
            "layers": [
                {"type": "conv2d", "channels": 1, "kernel": 2, "activation": "relu"},
                {"type": "flatten"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ],
        }
    )


def l2_mlp() -> Network:
    """The 2-3-2 sigmoid network with half squared error and L2 regularisation, λ = 0.1."""
    return Network.from_spec(
        {"layers": [2, 3, 2], "activation": "sigmoid", "loss": "half_sse", "l2": 0.1, "name": "2-3-2 l2"}
    )


def small_rnn() -> Network:
    """A sequence of 3 steps of 2 numbers through an RNN of 2 tanh units, then one linear unit.

    Backpropagation through time by hand: δ₃, δ₂, δ₁ of 2 entries each, and
    ∂L/∂W = Σₜ δₜ xₜᵀ, ∂L/∂U = Σₜ δₜ hₜ₋₁ᵀ (docs/files/rnn.json).
    """
    return Network.from_spec(
        {
            "input": [3, 2],
            "loss": "half_sse",
            "name": "small rnn",
            "layers": [{"type": "rnn", "units": 2}, {"type": "dense", "units": 1}],
        }
    )


def small_batchnorm() -> Network:
    """2 inputs, a linear layer of 2 without bias, batch norm, one sigmoid unit.

    Batch norm by hand on a batch of 3 samples: μ, σ² and x̂ of each feature, the
    three paths back to x (docs/files/batchnorm.json).
    """
    return Network.from_spec(
        {
            "input": 2,
            "loss": "half_sse",
            "name": "small batchnorm",
            "layers": [
                {"type": "dense", "units": 2, "bias": False},
                {"type": "batchnorm"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ],
        }
    )


def small_batchnorm_image() -> Network:
    """A 2-channel 2×2 image, a 1×1 convolution of 2 channels without bias, batch norm per
    channel, one sigmoid unit.

    The image form of :func:`small_batchnorm` on a batch of 2: the 1×1 convolution is a 2×2
    matrix applied at every position, and each channel's μ and σ² run over both samples and
    all four positions, 8 entries (docs/files/batchnorm-image.json).
    """
    return Network.from_spec(
        {
            "input": [2, 2, 2],
            "loss": "half_sse",
            "name": "small batchnorm image",
            "layers": [
                {"type": "conv2d", "channels": 2, "kernel": 1, "bias": False},
                {"type": "batchnorm"},
                {"type": "flatten"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ],
        }
    )


def small_layernorm() -> Network:
    """2 inputs, a linear layer of 3, layer norm, one sigmoid unit.

    Layer norm by hand on one sample: μ and σ² of its 3 features, the three paths
    back to x, as in batch norm but summed over the features (docs/files/layernorm.json).
    """
    return Network.from_spec(
        {
            "input": 2,
            "loss": "half_sse",
            "name": "small layernorm",
            "layers": [
                {"type": "dense", "units": 3},
                {"type": "layernorm"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ],
        }
    )


def small_dropout() -> Network:
    """3 inputs, a tanh layer of 3, dropout with p = ½, one sigmoid unit.

    Inverted dropout by hand: a mask of 0s and 2s drawn from the seed, the error sent
    back through the same mask (docs/files/dropout.json).
    """
    return Network.from_spec(
        {
            "input": 3,
            "loss": "half_sse",
            "name": "small dropout",
            "layers": [
                {"type": "dense", "units": 3, "activation": "tanh"},
                {"type": "dropout", "p": 0.5},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ],
        }
    )


CANONICAL = {
    "beginner": beginner, "understanding": understanding, "2-2-2": two_two_two,
    "small conv": small_conv, "l2": l2_mlp, "small rnn": small_rnn, "small batchnorm": small_batchnorm,
    "small batchnorm image": small_batchnorm_image,
    "small layernorm": small_layernorm, "small dropout": small_dropout,
}
