"""The second article's network learns three interleaved spirals.

"Understanding the Mathematics of Deep Learning" uses two ReLU hidden layers,
a softmax output and cross-entropy, whose output error simplifies to
δ⁽ᴸ⁾ = a − y.  Here that architecture, 16 units wide, learns 300 points on
three spiral arms with Adam, and is scored on 300 fresh points it never saw.

    python examples/spirals.py [--epochs 1500] [--lr 0.02] [--plot loss.png] [--json]
"""

from __future__ import annotations

import argparse
import json

import symbackprop as sbp
from symbackprop import datasets
from symbackprop.plot import plot_losses


def run(epochs: int = 1500, lr: float = 0.02, seed: int = 0, width: int = 16,
        progress: bool | None = None) -> tuple[sbp.TrainResult, dict]:
    net = sbp.Network.from_layers(
        [2, width, width, 3], activation="relu", output_activation="softmax",
        loss="cross_entropy", name="spirals",
    )
    train_set = datasets.spirals(300, classes=3, seed=seed)
    test_set = datasets.spirals(300, classes=3, seed=seed + 1)
    f = net.compile()  # the gradients derived by SymPy, as NumPy code
    result = sbp.train(net, train_set.X, train_set.Y, epochs=epochs, lr=lr, optimizer="adam",
                       seed=seed, validation=(test_set.X, test_set.Y), progress=progress,
                       compiled=f)
    outcome = {
        "network": net.describe(),
        "epochs": result.epochs,
        "initial_loss": result.initial_loss,
        "final_loss": result.final_loss,
        "test_loss": result.final_validation_loss,
        "train_accuracy": datasets.accuracy(f.predict(result.params, train_set.X),
                                            train_set.Y),
        "test_accuracy": datasets.accuracy(f.predict(result.params, test_set.X),
                                           test_set.Y),
        "seconds": result.seconds,
    }
    return result, outcome


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1500)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", help="write the loss curve to this PNG")
    parser.add_argument("--force", action="store_true", help="replace the --plot file")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    result, outcome = run(args.epochs, args.lr, args.seed, progress=False if args.json else None)
    if args.plot:
        plot_losses(result, args.plot, title="2-16-16-3 ReLU/softmax on spirals", force=args.force)
    if args.json:
        print(json.dumps(outcome))
        return outcome
    print(f"{outcome['network']}, Adam lr {args.lr:g}, {outcome['epochs']} epochs")
    print(f"cross-entropy {outcome['initial_loss']:.4g} -> {outcome['final_loss']:.4g} "
          f"(unseen points: {outcome['test_loss']:.4g})")
    print(f"accuracy: {outcome['train_accuracy']:.1%} on the training points, "
          f"{outcome['test_accuracy']:.1%} on unseen points")
    return outcome


if __name__ == "__main__":
    main()
