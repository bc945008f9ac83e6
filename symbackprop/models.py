"""Canonical networks used by the tests, the examples and the documentation.

>>> beginner().describe()
'2-3-3-2 sigmoid/sigmoid/sigmoid, half_sse, no bias'
>>> understanding().describe()
'2-4-4-3 relu/relu/softmax, cross_entropy, with bias'
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


CANONICAL = {"beginner": beginner, "understanding": understanding, "2-2-2": two_two_two}
