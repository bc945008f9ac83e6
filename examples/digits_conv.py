"""A small conv net learns scikit-learn's 8×8 handwritten digits from symbolic gradients.

Input 1×8×8 (pixels scaled to [0, 1]) → conv2d with 8 channels of 3×3 and
ReLU → max pooling 2 → flatten → dense 10 with softmax, cross-entropy.  The
gradients are the plan's backward rules compiled to NumPy (δ ⋆ x for the
kernels, δ routed to each window's argmax); Adam on mini-batches of 32.
Three quarters of the 1,797 images train it, the other quarter, never seen,
scores it.  The images ship inside scikit-learn (no download).

    python examples/digits_conv.py [--epochs 15] [--lr 0.01] [--json]
"""

from __future__ import annotations

import _held_out

from symbackprop import datasets

SPEC = {
    "input": [1, 8, 8],
    "loss": "cross_entropy",
    "layers": [
        {"type": "conv2d", "channels": 8, "kernel": 3, "activation": "relu"},
        {"type": "maxpool2d", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ],
    "name": "digits",
}


def run(epochs: int = 15, lr: float = 0.01, seed: int = 0, progress: bool | None = None) -> dict:
    train_set, test_set = datasets.digits(seed=seed)
    return _held_out.train_and_score(SPEC, train_set, test_set, "images", epochs=epochs, lr=lr, seed=seed, progress=progress)


def main(argv: list[str] | None = None) -> dict:
    return _held_out.main(__doc__.splitlines()[0], run, "images", 15, argv)


if __name__ == "__main__":
    main()
