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

import argparse
import json

import symbackprop as sbp
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
    net = sbp.Network.from_spec(SPEC)
    train_set, test_set = datasets.digits(seed=seed)
    f = net.compile()
    result = sbp.train(net, train_set.X, train_set.Y, epochs=epochs, lr=lr, optimizer="adam",
                       batch_size=32, seed=seed, validation=(test_set.X, test_set.Y),
                       progress=progress, compiled=f)
    return {
        "network": net.describe(),
        "epochs": result.epochs,
        "train_images": len(train_set.X),
        "test_images": len(test_set.X),
        "initial_loss": result.initial_loss,
        "final_loss": result.final_loss,
        "test_loss": result.final_validation_loss,
        "train_accuracy": datasets.accuracy(f.predict(result.params, train_set.X), train_set.Y),
        "test_accuracy": datasets.accuracy(f.predict(result.params, test_set.X), test_set.Y),
        "seconds": result.seconds,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
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
          f"(unseen images: {outcome['test_loss']:.4g})")
    print(f"accuracy: {outcome['train_accuracy']:.1%} on {outcome['train_images']} training images, "
          f"{outcome['test_accuracy']:.1%} on {outcome['test_images']} unseen images")
    return outcome


if __name__ == "__main__":
    main()
