"""Benchmark: the wall time of a whole `symbackprop verify` command against `import symbackprop`.

A verdict is a short command a person (or a grading script) runs many times,
so what matters is the whole process: start Python, import, parse, derive,
sample the points, compare, prove.  Each command below and the bare import
run as fresh processes, interleaved, ``--rounds`` times (after one warm-up
round, with Python's bytecode cache on as in a normal installation, even
where PYTHONDONTWRITEBYTECODE is set); the table reports the medians and
what the verdict costs on top of the import.

    .venv/bin/python bench/verify_latency.py            # 7 rounds
    .venv/bin/python bench/verify_latency.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("symbackprop"))
NET = ["--layers", "2,2,2", "--activation", "sigmoid"]
COMMANDS = {
    "correct, python": [*NET, "--wrt", "W1", "--formula", "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T"],
    "wrong (diagnosed)": [*NET, "--wrt", "W1", "--formula", "(W2.T @ delta2) @ x.T"],
    "correct, latex": [*NET, "--wrt", "W1", "--syntax", "latex", "--formula",
                       r"\left(W^{(2)T}\delta^{(2)} \odot \sigma'(z^{(1)})\right) x^{\top}"],
    "index notation": [*NET, "--wrt", "W2", "--syntax", "latex", "--formula",
                       r"\frac{\partial C}{\partial w^2_{jk}} = a^{1}_k \delta^2_j"],
    "derivation, 3 lines": ["--layers", "2,3,2", "--wrt", "W1", "--formula",
                            "dZ2 = (A2 - Y) * A2 * (1 - A2); dZ1 = (W2.T @ dZ2) * A1 * (1 - A1); "
                            "dW1 = dZ1 @ X.T"],
}


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False, env=ENV)
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, float]:
    runs: dict[str, list[float]] = {"import symbackprop": [], **{name: [] for name in COMMANDS}}
    for args in COMMANDS.values():  # warm-up: bytecode caches
        wall([SCRIPT, "verify", *args])
    for _ in range(rounds):
        runs["import symbackprop"].append(wall([sys.executable, "-c", "import symbackprop"]))
        for name, args in COMMANDS.items():
            runs[name].append(wall([SCRIPT, "verify", *args]))
    return {name: statistics.median(times) for name, times in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    medians = measure(args.rounds)
    base = medians["import symbackprop"]
    print(f"{'command':<24} {'median s':>9} {'over import s':>14}")
    for name, seconds in medians.items():
        print(f"{name:<24} {seconds:>9.3f} {seconds - base:>14.3f}")


if __name__ == "__main__":
    main()
