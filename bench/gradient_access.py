"""How long ``d.gradient(name)`` takes on 784-256-128-10, for each parameter.

Each parameter is asked of a fresh derivation (nothing built before), then
asked again (the gradient is kept, so the second call only copies it).  The
δ's a gradient needs are built once, written out from the layer above, and
only for the layers at and above its own.  CPU time is reported beside wall
time, since the machine is shared.

Run:  .venv/bin/python bench/gradient_access.py [--activation sigmoid] [--form intermediate]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symbackprop import Network  # noqa: E402

SIZES = (784, 256, 128, 10)


def measure(activation: str, form: str, sizes: tuple[int, ...] = SIZES) -> list[tuple[str, float, float, float]]:
    """(parameter, wall s, CPU s, wall s of the second call) for every parameter."""
    net = Network.from_layers(sizes, activation, "softmax", "cross_entropy")
    rows = []
    for name in net.parameter_names():
        d = net.derive()
        wall, cpu = time.perf_counter(), time.process_time()
        d.gradient(name, form)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        again = time.perf_counter()
        d.gradient(name, form)
        rows.append((name, wall, cpu, time.perf_counter() - again))
    return rows


def table(rows: list[tuple[str, float, float, float]]) -> str:
    lines = ["| parameter | first call, wall | first call, CPU | second call |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {wall:.2f} s | {cpu:.2f} s | {again * 1000:.0f} ms |" for name, wall, cpu, again in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="sigmoid")
    parser.add_argument("--form", default="intermediate", choices=("delta", "intermediate"))
    args = parser.parse_args()
    sizes = "-".join(map(str, SIZES))
    print(f"{sizes} {args.activation}/softmax, cross_entropy; d.gradient(name, {args.form!r})")
    print(table(measure(args.activation, args.form)))


if __name__ == "__main__":
    main()
