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

import argparse
import json

import symbackprop as sbp
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
    net = sbp.Network.from_spec(SPEC)
    train_set = datasets.running_sum(1000, steps=10, seed=seed)
    test_set = datasets.running_sum(1000, steps=10, seed=seed + 1)
    f = net.compile()
    result = sbp.train(net, train_set.X, train_set.Y, epochs=epochs, lr=lr, optimizer="adam",
                       batch_size=32, seed=seed, validation=(test_set.X, test_set.Y),
                       progress=progress, compiled=f)
    return {
        "network": net.describe(),
        "epochs": result.epochs,
        "train_sequences": len(train_set.X),
        "test_sequences": len(test_set.X),
        "initial_loss": result.initial_loss,
        "final_loss": result.final_loss,
        "test_loss": result.final_validation_loss,
        "train_accuracy": datasets.accuracy(f.predict(result.params, train_set.X), train_set.Y),
        "test_accuracy": datasets.accuracy(f.predict(result.params, test_set.X), test_set.Y),
        "seconds": result.seconds,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    outcome = run(args.epochs, args.lr, args.seed, progress=False if args.json else None)
    if args.json:
        print(json.dumps(outcome))
        return outcome
    print(f"{outcome['network']}, Adam lr {args.lr:g}, batches of 32, {outcome['epochs']} epochs "
          f"({outcome['seconds']:.1f} s)")
    print(f"cross-entropy {outcome['initial_loss']:.4g} -> {outcome['final_loss']:.4g} "
          f"(unseen sequences: {outcome['test_loss']:.4g})")
    print(f"accuracy: {outcome['train_accuracy']:.1%} on {outcome['train_sequences']} training sequences, "
          f"{outcome['test_accuracy']:.1%} on {outcome['test_sequences']} unseen sequences")
    return outcome


if __name__ == "__main__":
    main()
