"""A recurrent network learns the sign of a running sum, from symbolic gradients.

Each sample is a sequence of 10 numbers drawn from [−1, 1], read one at a
time; the label is whether their sum is positive.  No single step tells: the
network must carry the running sum in its state.  Input [10, 1] → rnn with 8
tanh units (h_t = tanh(W x_t + U h_{t−1} + b), output h_T) → dense 2 with
softmax, cross-entropy.  The gradients are backpropagation through time as
the plan derives it (δ_t = (Uᵀ δ_{t+1}) ⊙ tanh′(z_t), ∂L/∂W = Σ_t δ_t x_tᵀ),
compiled to NumPy; Adam on mini-batches of 32.  1,000 sequences train it,
1,000 others, never seen, score it.

    python examples/rnn_running_sum.py [--epochs 60] [--lr 0.01] [--json]
"""

from __future__ import annotations

import _held_out

from symbackprop import datasets

SPEC = {
    "input": [10, 1],
    "loss": "cross_entropy",
    "layers": [
        {"type": "rnn", "units": 8, "activation": "tanh"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ],
    "name": "running sum",
}


def run(epochs: int = 60, lr: float = 0.01, seed: int = 0, progress: bool | None = None) -> dict:
    train_set = datasets.running_sum(1000, steps=10, seed=seed)
    test_set = datasets.running_sum(1000, steps=10, seed=seed + 1)
    return _held_out.train_and_score(SPEC, train_set, test_set, "sequences", epochs=epochs, lr=lr, seed=seed, progress=progress)


def main(argv: list[str] | None = None) -> dict:
    return _held_out.main(__doc__.splitlines()[0], run, "sequences", 60, argv)


if __name__ == "__main__":
    main()
