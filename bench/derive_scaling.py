"""How derivation cost grows with the network: shared δ's against the expanded loss.

For each network this measures, side by side in one run:

* the δ form (every scalar ∂L/∂θ = δ a, plus the δ recursion with the δ's of
  the layer above kept as symbols), built by :mod:`symbackprop.symbolic` with
  SymEngine and with SymPy;
* its size in operations, and the size the same gradients would have with
  every δ inlined (counted layer by layer, never built);
* the naive approach, ``sympy.diff`` of the fully expanded loss for every
  parameter, run in a subprocess with a time limit, and the size of what it
  produced (counted over shared subexpressions, never walking the trees);
* the matrix-level derivation (the four backprop equations, any depth).

Run:  .venv/bin/python bench/derive_scaling.py [--naive-timeout 60] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sympy  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

from symbackprop import Network  # noqa: E402
from symbackprop.opcount import (  # noqa: E402
    count_entries,
    inlined_operation_count,
    operation_count,
    tree_operation_count,
)
from symbackprop.symbolic import has_symengine, scalar_gradients  # noqa: E402

NETWORKS = (
    (2, 4, 1),
    (2, 4, 4, 1),
    (2, 4, 4, 4, 1),
    (4, 8, 8, 8, 8, 1),
    (10, 32, 32, 1),
    (64, 128, 128, 10),
    (784, 256, 128, 10),
)


def best_time(work, repeat: int) -> tuple[float, object]:
    """The shortest of ``repeat`` runs (the others were slowed by something else).

    SymPy's cache is cleared before each run, so a repeat does not find the
    expressions of the one before it already built.
    """
    best, out = float("inf"), None
    for _ in range(repeat):
        clear_cache()
        start = time.perf_counter()
        out = work()
        best = min(best, time.perf_counter() - start)
    return best, out


def naive_child(sizes: tuple[int, ...], activation: str, loss: str) -> None:
    """Differentiate the expanded loss for every parameter; print seconds and size as JSON."""
    net = Network.from_layers(sizes, activation, loss=loss)
    start = time.perf_counter()
    d = net.derive()
    expanded = d.expanded_loss()
    grads = [sympy.diff(expanded, s) for name in d.parameters() for s in d.symbols.parameter(name)]
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "ops": tree_operation_count(grads)}))


def naive(sizes: tuple[int, ...], activation: str, loss: str, limit: float) -> dict | None:
    """The naive run in a subprocess; None when it did not finish within ``limit`` seconds."""
    command = [
        sys.executable, __file__, "--naive-child", ",".join(map(str, sizes)),
        "--activation", activation, "--loss", loss,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return None  # subprocess.run has killed the child
    return json.loads(done.stdout)


def matrix_level(sizes: tuple[int, ...], activation: str, loss: str) -> float:
    def work():
        return Network.from_layers(sizes, activation, loss=loss).derive().sections(level="matrix")

    return best_time(work, 3)[0]


def measure(sizes, activation, loss, limit, skip_naive) -> dict:
    net = Network.from_layers(sizes, activation, loss=loss)
    repeat = 3 if net.parameter_count() < 20_000 else 1
    row: dict = {"network": "-".join(map(str, sizes)), "params": net.parameter_count()}
    if has_symengine():
        row["symengine_s"], result = best_time(lambda: scalar_gradients(net, "symengine"), repeat)
    row["sympy_s"], result_sympy = best_time(lambda: scalar_gradients(net, "sympy"), repeat)
    result = result if has_symengine() else result_sympy
    assert count_entries(result) == net.parameter_count()
    row["delta_ops"] = operation_count(result)
    row["inlined_ops"] = inlined_operation_count(result)
    row["naive"] = None if skip_naive else naive(sizes, activation, loss, limit)
    row["naive_skipped"] = skip_naive
    row["matrix_s"] = matrix_level(sizes, activation, loss)
    return row


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _count(value: int) -> str:
    return f"{value:,}" if value < 10**7 else f"{value:.2e}"


def table(rows: list[dict], limit: float) -> str:
    header = ["network", "parameters"]
    if has_symengine():
        header.append("δ form, SymEngine")
    header += ["δ form, SymPy", "ops, δ form", "ops, δ inlined",
               "naive: diff of expanded loss", "ops, naive", "naive / δ (SymPy)", "matrix level"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row["network"], f"{row['params']:,}"]
        if has_symengine():
            cells.append(_seconds(row["symengine_s"]))
        cells += [_seconds(row["sympy_s"]), _count(row["delta_ops"]), _count(row["inlined_ops"])]
        naive_row = row["naive"]
        if naive_row is not None:
            cells += [_seconds(naive_row["seconds"]), _count(naive_row["ops"]),
                      f"{naive_row['seconds'] / row['sympy_s']:,.0f}×"]
        elif row["naive_skipped"]:
            cells += ["not run (a smaller, shallower one was stopped)", "–", "–"]
        else:
            cells += [f"> {limit:g} s (stopped)", "–", f"> {limit / row['sympy_s']:,.0f}×"]
        cells.append(_seconds(row["matrix_s"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--naive-timeout", type=float, default=60.0, help="seconds per naive run")
    parser.add_argument("--activation", default="sigmoid")
    parser.add_argument("--loss", default="half_sse")
    parser.add_argument("--networks", help="e.g. 2,4,1;4,8,8,1 (default: the built-in list)")
    parser.add_argument("--naive-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.naive_child:
        naive_child(tuple(int(n) for n in args.naive_child.split(",")), args.activation, args.loss)
        return
    networks = NETWORKS
    if args.networks:
        networks = tuple(tuple(int(n) for n in part.split(",")) for part in args.networks.split(";"))
    versions = f"SymPy {sympy.__version__}"
    if has_symengine():
        import symengine

        versions += f", SymEngine {symengine.__version__}"
    print(
        f"# {args.activation} layers, {args.loss} loss, with bias; Python {platform.python_version()}, "
        f"{versions}, {os.cpu_count()} CPUs; naive runs stopped after {args.naive_timeout:g} s"
    )
    scalar_gradients(Network.from_layers((2, 2, 1)), "auto")  # imports and first conversions
    rows: list[dict] = []
    stopped: list[tuple[int, ...]] = []
    for sizes in networks:
        # A network at least as deep and as large as one that was stopped would be too.
        skip = any(len(sizes) >= len(s) and _params(sizes) >= _params(s) for s in stopped)
        row = measure(sizes, args.activation, args.loss, args.naive_timeout, skip)
        if row["naive"] is None and not skip:
            stopped.append(sizes)
        rows.append(row)
        print(f"#   measured {row['network']}", file=sys.stderr, flush=True)
    print(table(rows, args.naive_timeout))
    print()
    print(depth_table(args.activation, args.loss))
    print()
    print(steps_table(args.activation, args.loss))


def _params(sizes: tuple[int, ...]) -> int:
    return sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))


DEPTHS = (3, 10, 50, 200, 1000)
STEP_NETWORKS = ((2, 4, 1), (4, 8, 8, 8, 8, 1), (10, 32, 32, 1))


def steps_table(activation: str, loss: str) -> str:
    """The printable scalar derivation: every chain-rule step of every entry, then as text."""
    lines = [
        "| network | scalar steps (`d.sections()`) | as text (`d.text()`) | lines of text |",
        "|---|---|---|---|",
    ]
    for sizes in STEP_NETWORKS:
        def work(sizes=sizes):
            return Network.from_layers(sizes, activation, loss=loss).derive().sections()

        steps_s, _ = best_time(work, 3)
        d = Network.from_layers(sizes, activation, loss=loss).derive()
        d.sections()
        start = time.perf_counter()
        text = d.text()
        text_s = time.perf_counter() - start
        lines.append(
            f"| {'-'.join(map(str, sizes))} | {_seconds(steps_s)} | {_seconds(text_s)} "
            f"| {text.count(chr(10)):,} |"
        )
    return "\n".join(lines)


def depth_table(activation: str, loss: str) -> str:
    """The matrix-level derivation (four equations per layer) for deep networks."""
    lines = ["| hidden layers of 16 units | matrix-level derivation |", "|---|---|"]
    for depth in DEPTHS:
        sizes = (4,) + (16,) * depth + (1,)
        lines.append(f"| {depth} | {_seconds(matrix_level(sizes, activation, loss))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
