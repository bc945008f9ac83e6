"""Gradient descent on one variable, the way the "Beginner Deep Learning Maths" article starts.

Minimise y = (x + 2)² from x = 0.  SymPy gives the derivative dy/dx = 2x + 4;
each step moves x against it, x ← x − α·dy/dx, and x walks to the minimum at
x = −2.  A network is trained the same way, with one derivative per weight.

    python examples/gradient_descent_intro.py [--lr 0.1] [--steps 100] [--json]
"""

from __future__ import annotations

import argparse
import json

import sympy


def descend(lr: float = 0.1, steps: int = 100, start: float = 0.0) -> dict:
    x = sympy.Symbol("x", real=True)
    y = (x + 2) ** 2
    dydx = sympy.diff(y, x)  # SymPy's derivative: 2*x + 4
    slope = sympy.lambdify(x, dydx, "math")
    value = sympy.lambdify(x, y, "math")
    path = [start]
    for _ in range(steps):
        path.append(path[-1] - lr * slope(path[-1]))
    return {
        "function": str(y),
        "derivative": str(dydx),
        "lr": lr,
        "steps": steps,
        "path": path,
        "x": path[-1],
        "y": value(path[-1]),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate α")
    parser.add_argument("--steps", type=int, default=100, help="number of steps")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    result = descend(args.lr, args.steps)
    if args.json:
        print(json.dumps(result))
        return result
    print(f"y = {result['function']},  dy/dx = {result['derivative']}  (from SymPy)")
    print(f"x <- x - {args.lr:g} * dy/dx, starting at x = 0\n")
    print(" step          x               y")
    for step, x in enumerate(result["path"]):
        if step < 6 or step % 20 == 0 or step == args.steps:
            print(f"{step:5d}  {x:14.10f}  {(x + 2) ** 2:14.6e}")
    print(f"\nafter {args.steps} steps x = {result['x']:.10f}: the minimum is at x = -2")
    return result


if __name__ == "__main__":
    main()
