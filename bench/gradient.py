"""Benchmark: compiled symbolic gradients against hand-written NumPy and PyTorch.

Network 784-256-128-10, sigmoid hidden layers, softmax output, cross_entropy,
the loss averaged over the batch.  For each batch size (64, 256, 1024) and
dtype (float64, float32) the contenders run interleaved in one process —
every round calls each once, in a shuffled order — and the table reports
the median time per gradient and the ratios:

* compiled: ``net.compile()`` — NumPy source generated from the derivation;
* NumPy by hand: the same backpropagation written directly with NumPy;
* PyTorch: CPU autograd of the same loss (when torch is installed);
* matmul floor: only the matrix products a gradient needs (one per layer
  forward, one per layer for ∂L/∂W and one per layer above the first to pass
  δ back), which any implementation pays; its share of the compiled time is
  what is left for everything else to lose.

Also reports the time to derive and compile the network from scratch.

    .venv/bin/python bench/gradient.py            # full run
    .venv/bin/python bench/gradient.py --quick    # fewer rounds, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import blas_threads  # noqa: F401 - sets the BLAS threads before NumPy loads
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = (784, 256, 128, 10)
SPEC = {
    "layers": list(SIZES),
    "activation": "sigmoid",
    "output_activation": "softmax",
    "loss": "cross_entropy",
}


def hand_written(params, X, Y):
    """Backpropagation as a person writes it with NumPy (no symbolic help)."""
    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    m = X.shape[0]
    A1 = 1 / (1 + np.exp(-(X @ W1.T + b1)))
    A2 = 1 / (1 + np.exp(-(A1 @ W2.T + b2)))
    Z3 = A2 @ W3.T + b3
    Z3 = Z3 - Z3.max(axis=1, keepdims=True)
    E = np.exp(Z3)
    S = E.sum(axis=1, keepdims=True)
    A3 = E / S
    loss = -np.sum(Y * (Z3 - np.log(S))) / m
    D3 = (A3 - Y) / m
    D2 = (D3 @ W3) * A2 * (1 - A2)
    D1 = (D2 @ W2) * A1 * (1 - A1)
    grads = {
        "W1": D1.T @ X,
        "b1": D1.sum(axis=0),
        "W2": D2.T @ A1,
        "b2": D2.sum(axis=0),
        "W3": D3.T @ A2,
        "b3": D3.sum(axis=0),
    }
    return loss, grads


def matmul_floor(params, X, acts, deltas):
    """Only the matrix products: 3 forward, 3 for ∂L/∂W, 2 to pass δ back."""
    W1, W2, W3 = params["W1"], params["W2"], params["W3"]
    A1, A2 = acts
    D1, D2, D3 = deltas
    X @ W1.T
    A1 @ W2.T
    A2 @ W3.T
    D3.T @ A2
    D3 @ W3
    D2.T @ A1
    D2 @ W2
    D1.T @ X


def torch_function(params, X, Y, dtype):
    import torch

    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    tp = {k: torch.tensor(v, dtype=tdtype, requires_grad=True) for k, v in params.items()}
    tX = torch.tensor(X, dtype=tdtype)
    tY = torch.tensor(Y, dtype=tdtype)

    def run():
        for value in tp.values():
            value.grad = None
        a = torch.sigmoid(tX @ tp["W1"].T + tp["b1"])
        a = torch.sigmoid(a @ tp["W2"].T + tp["b2"])
        z = a @ tp["W3"].T + tp["b3"]
        loss = -(tY * torch.log_softmax(z, dim=1)).sum(dim=1).mean()
        loss.backward()
        return loss

    return run, tp


def bench_case(batch, dtype, rounds, rng, use_torch):
    import symbackprop as sbp
    from symbackprop.params import init_params

    net = sbp.Network.from_spec(SPEC)
    f = net.compile(dtype=dtype)
    params = {k: v.astype(dtype) for k, v in init_params(net, seed=0).items()}
    X = rng.standard_normal((batch, SIZES[0])).astype(dtype)
    Y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], batch)]

    # The same numbers from every contender before anything is timed.
    loss_c, grads_c = f(params, X, Y)
    loss_h, grads_h = hand_written(params, X, Y)
    tol = 1e-9 if dtype == np.float64 else 1e-3
    assert abs(loss_c - loss_h) <= tol * max(1, abs(loss_h)), (loss_c, loss_h)
    for k in grads_c:
        assert np.allclose(grads_c[k], grads_h[k], rtol=tol * 10, atol=tol), k
    trace = f.trace(params, X, Y)
    acts, deltas = trace.a[:2], trace.delta

    contenders = {
        "compiled": lambda: f(params, X, Y),
        "numpy": lambda: hand_written(params, X, Y),
        "floor": lambda: matmul_floor(params, X, acts, deltas),
    }
    if use_torch:
        run, tp = torch_function(params, X, Y, dtype)
        loss_t = float(run().detach())
        assert abs(loss_t - loss_h) <= tol * max(1, abs(loss_h))
        contenders["torch"] = run
    times = {name: [] for name in contenders}
    for fn in contenders.values():  # warm-up
        fn()
    names = list(contenders)
    for _ in range(rounds):
        rng_order = random.Random(len(times["compiled"]))
        rng_order.shuffle(names)
        for name in names:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def derive_compile_time() -> tuple[float, float]:
    """(import + derive + compile, derive + compile) in a fresh Python process."""
    import subprocess

    code = (
        "import time; t0 = time.perf_counter(); import symbackprop as sbp; "
        "t1 = time.perf_counter(); "
        f"sbp.Network.from_spec({SPEC!r}).derive().compile(); "
        "t2 = time.perf_counter(); print(t2 - t0, t2 - t1)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    total, compile_only = map(float, out.stdout.split())
    return total, compile_only


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="timed calls per contender (60)")
    parser.add_argument("--quick", action="store_true", help="10 rounds, batch 64 and 256 only")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS and PyTorch threads for every contender (default 1)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (10 if args.quick else 60)
    batches = (64, 256) if args.quick else (64, 256, 1024)
    use_torch = False
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(args.threads)
            use_torch = True
            torch_version = torch.__version__
        except ImportError:
            print("PyTorch is not installed (pip install '.[torch]'): its column is left out")

    import_compile_s, compile_s = derive_compile_time()
    rng = np.random.default_rng(0)
    rows = []
    for dtype in (np.float64, np.float32):
        for batch in batches:
            t = bench_case(batch, dtype, rounds, rng, use_torch)
            rows.append({"dtype": np.dtype(dtype).name, "batch": batch, **t})

    import platform

    print(
        f"784-256-128-10 sigmoid/sigmoid/softmax, cross_entropy; median of {rounds} "
        f"interleaved calls; NumPy {np.__version__}"
        + (f", PyTorch {torch_version}" if use_torch else "")
        + f"; {args.threads} thread(s), {platform.machine()} with {os.cpu_count()} cores"
    )
    print(
        f"derive + compile in a fresh process: {compile_s:.2f} s "
        f"({import_compile_s:.2f} s with `import symbackprop`)"
    )
    print()
    head = "| dtype | batch | compiled ms | NumPy by hand ms | compiled / NumPy |"
    sep = "|---|---:|---:|---:|---:|"
    if use_torch:
        head += " PyTorch ms | compiled / PyTorch |"
        sep += "---:|---:|"
    head += " matmul floor ms | floor share of compiled |"
    sep += "---:|---:|"
    print(head)
    print(sep)
    for r in rows:
        line = (
            f"| {r['dtype']} | {r['batch']} | {r['compiled'] * 1e3:.2f} | "
            f"{r['numpy'] * 1e3:.2f} | {r['compiled'] / r['numpy']:.2f}x |"
        )
        if use_torch:
            line += f" {r['torch'] * 1e3:.2f} | {r['compiled'] / r['torch']:.2f}x |"
        line += f" {r['floor'] * 1e3:.2f} | {r['floor'] / r['compiled']:.0%} |"
        print(line)
    if args.json:
        print(
            json.dumps(
                {
                    "derive_compile_s": compile_s,
                    "import_derive_compile_s": import_compile_s,
                    "rows": rows,
                }
            )
        )


if __name__ == "__main__":
    main()
