"""Benchmark: training at full speed — ``sbp.train`` against three other training loops.

Minibatch SGD on 784-256-128-10 (ReLU, ReLU, softmax; cross-entropy), 10,000
samples, batches of 128, 3 epochs, every contender on the same data, the same
starting parameters and the same batches (the row orders ``sbp.train`` draws
from its seed), each reporting the mean minibatch loss of every epoch:

* ``sbp.train``: the library's training function with the compiled gradient;
* step loop: a Python loop over ``f.step`` (the compiled gradient plus the update);
* NumPy by hand: backpropagation and the update written directly with NumPy,
  updating the parameters in place;
* PyTorch: CPU autograd of the same loss (``F.linear``, ``F.relu``,
  ``F.cross_entropy``) with ``torch.optim.SGD`` (when torch is installed).

Before anything is timed, every contender trains once and their final
parameters and losses are compared (float64: to 1e-9), so the table never
compares different work.  Then the contenders run interleaved, each round in a
shuffled order, and the table reports the fastest of the rounds of a whole
training run, in wall-clock time and in CPU time of the process.  The machine
is shared: other people's work slows single runs down by several times, which
the fastest round filters out, and CPU time leaves out the time the process
waited for a core (with 2 threads it adds up both threads' time).  Each thread
count runs in its own process (BLAS reads it when NumPy loads); both dtypes run
in that process.  The header gives the load average before and after.

    .venv/bin/python bench/training.py              # 1 and 2 threads, 5 rounds each
    .venv/bin/python bench/training.py --quick      # 1 thread, 2 rounds, 1 epoch
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (784, 256, 128, 10)
SAMPLES, BATCH, EPOCHS, LR, SEED = 10_000, 128, 3, 0.05, 0
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def data(dtype, samples):
    import numpy as np

    rng = np.random.default_rng(1)
    X = rng.standard_normal((samples, SIZES[0])).astype(dtype)
    Y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], samples)]
    return X, Y


def batches(orders, batch):
    """The row indices of every batch of every epoch, epoch by epoch."""
    for order in orders:
        yield [order[begin : begin + batch] for begin in range(0, len(order), batch)]


def train_library(f, X, Y, start, orders, epochs):
    import symbackprop as sbp

    result = sbp.train(f, X, Y, epochs=epochs, lr=LR, batch_size=BATCH, seed=SEED,
                       params=start, progress=False)
    return result.params, list(result.history[1:])


def train_step_loop(f, X, Y, start, orders, epochs):
    params, history = dict(start), []
    for epoch in batches(orders, BATCH):
        total = 0.0
        for rows in epoch:
            loss, params = f.step(params, X[rows], Y[rows], LR)
            total += loss * len(rows)
        history.append(total / X.shape[0])
    return params, history


def train_numpy(f, X, Y, start, orders, epochs):
    """Minibatch SGD as a person writes it with NumPy: no symbolic help, in-place updates."""
    import numpy as np

    params = {name: value.copy() for name, value in start.items()}
    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    history = []
    for epoch in batches(orders, BATCH):
        total = 0.0
        for rows in epoch:
            x, y, m = X[rows], Y[rows], len(rows)
            z1 = x @ W1.T
            z1 += b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ W2.T
            z2 += b2
            a2 = np.maximum(z2, 0)
            z3 = a2 @ W3.T
            z3 += b3
            z3 -= z3.max(axis=1, keepdims=True)
            e = np.exp(z3)
            s = e.sum(axis=1, keepdims=True)
            total += -float(np.sum(y * (z3 - np.log(s))))
            d3 = (e / s - y) / m
            d2 = d3 @ W3
            d2 *= a2 > 0
            d1 = d2 @ W2
            d1 *= a1 > 0
            W3 -= LR * (d3.T @ a2)
            b3 -= LR * d3.sum(axis=0)
            W2 -= LR * (d2.T @ a1)
            b2 -= LR * d2.sum(axis=0)
            W1 -= LR * (d1.T @ x)
            b1 -= LR * d1.sum(axis=0)
        history.append(total / X.shape[0])
    return params, history


def torch_trainer(threads):
    import torch
    import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling

    torch.set_num_threads(threads)

    def train_torch(f, X, Y, start, orders, epochs):
        params = {name: torch.tensor(value, requires_grad=True) for name, value in start.items()}
        W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
        opt = torch.optim.SGD(list(params.values()), lr=LR)
        tX, tY = torch.from_numpy(X), torch.from_numpy(Y)
        history = []
        for epoch in batches(orders, BATCH):
            total = 0.0
            for rows in epoch:
                index = torch.from_numpy(rows)
                x, y = tX[index], tY[index]
                opt.zero_grad(set_to_none=True)
                z = F.linear(F.relu(F.linear(F.relu(F.linear(x, W1, b1)), W2, b2)), W3, b3)
                loss = F.cross_entropy(z, y)
                loss.backward()
                opt.step()
                total += loss.item() * len(rows)
            history.append(total / X.shape[0])
        return {k: v.detach().numpy() for k, v in params.items()}, history

    return train_torch


def contenders(threads, use_torch):
    out = {
        "sbp.train": train_library,
        "step loop": train_step_loop,
        "NumPy by hand": train_numpy,
    }
    if use_torch:
        out["PyTorch"] = torch_trainer(threads)
    return out


def measure(dtype_name, rounds, epochs, samples, threads, use_torch):
    """Median seconds of one training run per contender, after checking they agree."""
    import numpy as np

    import symbackprop as sbp
    from symbackprop.params import init_params
    from symbackprop.training import shuffles

    dtype = np.dtype(dtype_name)
    net = sbp.Network.from_layers(list(SIZES), "relu", "softmax", "cross_entropy")
    f = net.compile(dtype=dtype)
    X, Y = data(dtype, samples)
    start = {k: v.astype(dtype) for k, v in init_params(net, SEED).items()}
    rng = shuffles(SEED)
    orders = [rng.permutation(samples) for _ in range(epochs)]
    runs = contenders(threads, use_torch)

    # The same training from every contender before anything is timed.
    reference_params, reference_history = train_numpy(f, X, Y, start, orders, epochs)
    # float32: rounding moves a few pre-activations across ReLU's kink, and
    # those differences grow over the run (more so with 2 BLAS threads, which
    # sum in another order), so the parameters are compared as a whole.
    loss_tol, params_tol = (1e-9, 1e-9) if dtype == np.float64 else (1e-3, 5e-2)
    for name, run in runs.items():
        params, history = run(f, X, Y, start, orders, epochs)
        np.testing.assert_allclose(history, reference_history, rtol=loss_tol, err_msg=name)
        for key, value in params.items():
            distance = np.linalg.norm(value - reference_params[key])
            assert distance <= params_tol * np.linalg.norm(reference_params[key]), (name, key)

    walls, cpus = {name: [] for name in runs}, {name: [] for name in runs}
    names = list(runs)
    for index in range(rounds):
        random.Random(index).shuffle(names)
        for name in names:
            wall, cpu = time.perf_counter(), time.process_time()
            runs[name](f, X, Y, start, orders, epochs)
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
    return {name: {"wall": min(walls[name]), "cpu": min(cpus[name])} for name in runs}


def child(args):
    """One process, one thread count: every dtype, printed as JSON."""
    use_torch = not args.no_torch
    if use_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            use_torch = False
    rows = [
        {"dtype": name, "threads": args.threads,
         **measure(name, args.rounds, args.epochs, args.samples, args.threads, use_torch)}
        for name in ("float64", "float32")
    ]
    print(json.dumps(rows))


def run_children(args) -> list[dict]:
    rows = []
    for threads in args.thread_counts:
        env = {**os.environ, **{var: str(threads) for var in THREAD_VARIABLES}}
        argv = [sys.executable, __file__, "--child", "--threads", str(threads),
                "--rounds", str(args.rounds), "--epochs", str(args.epochs),
                "--samples", str(args.samples)]
        if args.no_torch:
            argv.append("--no-torch")
        out = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            sys.exit(f"the {threads}-thread run failed:\n{out.stderr}")
        rows += json.loads(out.stdout.splitlines()[-1])
    return rows


def table(rows: list[dict]) -> str:
    """Seconds of wall-clock time per contender, and sbp.train's ratios: wall (CPU)."""
    has_torch = all("PyTorch" in row for row in rows)
    others = ["step loop", "NumPy by hand", *(["PyTorch"] if has_torch else [])]
    head = "| dtype | threads | sbp.train s |" + "".join(f" {name} s |" for name in others)
    head += "".join(f" sbp.train / {name} |" for name in reversed(others))
    lines = [head, "|---|---:" + "|---:" * (1 + 2 * len(others)) + "|"]
    for r in rows:
        line = f"| {r['dtype']} | {r['threads']} | {r['sbp.train']['wall']:.3f} |"
        line += "".join(f" {r[name]['wall']:.3f} |" for name in others)
        for name in reversed(others):
            wall = r["sbp.train"]["wall"] / r[name]["wall"]
            cpu = r["sbp.train"]["cpu"] / r[name]["cpu"]
            line += f" {wall:.2f}× ({cpu:.2f}×) |"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="timed runs per contender (5)")
    parser.add_argument("--epochs", type=int, default=None, help=f"epochs per run ({EPOCHS})")
    parser.add_argument("--samples", type=int, default=SAMPLES, help=f"samples ({SAMPLES:,})")
    parser.add_argument("--quick", action="store_true", help="1 thread, 2 rounds, 1 epoch")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.epochs = args.epochs or (1 if args.quick else EPOCHS)
    if args.child:
        sys.path.insert(0, str(ROOT))
        child(args)
        return
    args.thread_counts = (1,) if args.quick else (1, 2)
    load_before = os.getloadavg()[0]
    rows = run_children(args)
    import numpy as np

    versions = f"NumPy {np.__version__}"
    if not args.no_torch:
        try:
            import torch

            versions += f", PyTorch {torch.__version__}"
        except ImportError:
            print("PyTorch is not installed (pip install '.[torch]'): its column is left out")
    print(
        f"{'-'.join(map(str, SIZES))} relu/relu/softmax, cross_entropy; {args.samples:,} samples, "
        f"batches of {BATCH}, {args.epochs} epochs of SGD; fastest of {args.rounds} interleaved "
        f"runs; {versions}; {platform.machine()} with {os.cpu_count()} cores; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print("ratios: wall-clock time (CPU time)")
    print()
    print(table(rows))
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
