"""What the classification examples share: Adam on mini-batches of 32, scored on samples never seen.

Not an example of its own: ``digits_conv.py`` and ``rnn_running_sum.py`` import it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import symbackprop as sbp
from symbackprop import datasets


def train_and_score(spec: dict, train_set, test_set, what: str, *, epochs: int, lr: float, seed: int,
                    progress: bool | None) -> dict:
    """Train ``spec`` on ``train_set``; the losses and the accuracy on both sets (``what``: "images")."""
    net = sbp.Network.from_spec(spec)
    f = net.compile()
    result = sbp.train(net, train_set.X, train_set.Y, epochs=epochs, lr=lr, optimizer="adam",
                       batch_size=32, seed=seed, validation=(test_set.X, test_set.Y),
                       progress=progress, compiled=f)
    return {
        "network": net.describe(),
        "epochs": result.epochs,
        f"train_{what}": len(train_set.X),
        f"test_{what}": len(test_set.X),
        "initial_loss": result.initial_loss,
        "final_loss": result.final_loss,
        "test_loss": result.final_validation_loss,
        "train_accuracy": datasets.accuracy(f.predict(result.params, train_set.X), train_set.Y),
        "test_accuracy": datasets.accuracy(f.predict(result.params, test_set.X), test_set.Y),
        "seconds": result.seconds,
    }


def main(description: str, run: Callable[..., dict], what: str, epochs: int, argv: list[str] | None) -> dict:
    """The command line of an example: --epochs, --lr, --seed, --json; prints the outcome of ``run``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=epochs)
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
          f"(unseen {what}: {outcome['test_loss']:.4g})")
    print(f"accuracy: {outcome['train_accuracy']:.1%} on {outcome[f'train_{what}']} training {what}, "
          f"{outcome['test_accuracy']:.1%} on {outcome[f'test_{what}']} unseen {what}")
    return outcome
