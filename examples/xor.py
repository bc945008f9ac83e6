"""XOR: the four points that need a hidden layer.

A 2-3-1 sigmoid network with biases and the quadratic cost learns XOR by
full-batch gradient descent on the compiled symbolic gradients.

    python examples/xor.py [--epochs 3000] [--lr 2] [--json]
"""

from __future__ import annotations

import argparse
import json

import symbackprop as sbp
from symbackprop import datasets


def run(epochs: int = 3000, lr: float = 2.0, seed: int = 0) -> dict:
    net = sbp.Network.from_spec({"layers": [2, 3, 1], "activation": "sigmoid", "loss": "half_sse"})
    X, Y = datasets.xor()
    f = net.compile()  # the gradients derived by SymPy, as NumPy code
    result = sbp.train(net, X, Y, epochs=epochs, lr=lr, seed=seed, progress=False, compiled=f)
    outputs = f.predict(result.params, X)
    return {
        "network": net.describe(),
        "initial_loss": result.initial_loss,
        "final_loss": result.final_loss,
        "inputs": X.tolist(),
        "targets": Y[:, 0].tolist(),
        "outputs": outputs[:, 0].tolist(),
        "accuracy": datasets.accuracy(outputs, Y),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3000)
    parser.add_argument("--lr", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    outcome = run(args.epochs, args.lr, args.seed)
    if args.json:
        print(json.dumps(outcome))
        return outcome
    print(f"{outcome['network']}: loss {outcome['initial_loss']:.4g} -> {outcome['final_loss']:.4g}")
    print(" x1  x2   target  output")
    for (x1, x2), target, out in zip(outcome["inputs"], outcome["targets"], outcome["outputs"],
                                     strict=True):
        print(f"{x1:3.0f} {x2:3.0f}   {target:6.0f}  {out:6.3f}")
    print(f"accuracy {outcome['accuracy']:.0%}")
    return outcome


if __name__ == "__main__":
    main()
