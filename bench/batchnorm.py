"""Benchmark: the compiled gradient of an MLP with batch norm against the same written by hand.

Network 784 → dense(256) → batchnorm ReLU → dense(128) → batchnorm ReLU →
dense(10) softmax, cross-entropy, the loss averaged over the batch: the
Linear → BN → ReLU of the textbooks, batch statistics as in training.  For
each batch size (64, 256, 1024) and dtype (float64, float32) the contenders
run interleaved in one process — every round calls each once, in a shuffled
order — and the table reports the fastest of those calls (on a shared machine
the least disturbed one) and the ratios:

* compiled: ``net.compile()`` as users call it (parameters and batch checked),
  and ``f.raw``, the generated function alone;
* NumPy by hand: the same forward and backward pass written directly with
  NumPy, batch norm's backward in its textbook form
  dx = (γ/(Nσ)) (N dy − Σ dy − x̂ Σ dy x̂);
* PyTorch: CPU autograd of the same loss (``F.batch_norm`` in training mode),
  when torch is installed.

All are checked to give the same loss and gradients before anything is timed.
One BLAS thread and one torch thread by default (a shared machine);
``--threads N`` gives all of them N.

    .venv/bin/python bench/batchnorm.py            # full run
    .venv/bin/python bench/batchnorm.py --quick    # fewer rounds, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import blas_threads  # noqa: F401 - sets the BLAS threads before NumPy loads
import numpy as np
from side_by_side import assert_agree, interleaved_times

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEC = {
    "input": 784,
    "loss": "cross_entropy",
    "layers": [
        {"type": "dense", "units": 256},
        {"type": "batchnorm", "activation": "relu"},
        {"type": "dense", "units": 128},
        {"type": "batchnorm", "activation": "relu"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ],
}
EPS = 1e-5


def _batchnorm(Z, gamma, beta):
    mu = Z.mean(axis=0)
    centred = Z - mu
    std = np.sqrt((centred**2).mean(axis=0) + EPS)
    xhat = centred / std
    return xhat * gamma + beta, xhat, std


def _batchnorm_backward(dout, xhat, std, gamma):
    """The textbook form: dx = (γ/(Nσ)) (N dy − Σ dy − x̂ Σ dy x̂), and dγ, dβ."""
    n = dout.shape[0]
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx = gamma / (n * std) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def hand_written(params, X, Y):
    """Forward and backward of the network, as a person writes them with NumPy."""
    W1, b1, g2, be2, W3, b3, g4, be4, W5, b5 = (
        params[k] for k in ("W1", "b1", "gamma2", "beta2", "W3", "b3", "gamma4", "beta4", "W5", "b5")
    )
    m = X.shape[0]
    Z1 = X @ W1.T + b1
    Z2, xhat2, std2 = _batchnorm(Z1, g2, be2)
    A2 = np.maximum(Z2, 0)
    Z3 = A2 @ W3.T + b3
    Z4, xhat4, std4 = _batchnorm(Z3, g4, be4)
    A4 = np.maximum(Z4, 0)
    Z5 = A4 @ W5.T + b5
    S = Z5 - Z5.max(axis=1, keepdims=True)
    E = np.exp(S)
    T = E.sum(axis=1, keepdims=True)
    loss = -np.sum(Y * (S - np.log(T))) / m
    D5 = (E / T - Y) / m
    D4 = (D5 @ W5) * (Z4 > 0)
    D3, gg4, gbe4 = _batchnorm_backward(D4, xhat4, std4, g4)
    D2 = (D3 @ W3) * (Z2 > 0)
    D1, gg2, gbe2 = _batchnorm_backward(D2, xhat2, std2, g2)
    grads = {
        "W1": D1.T @ X, "b1": D1.sum(axis=0), "gamma2": gg2, "beta2": gbe2,
        "W3": D3.T @ A2, "b3": D3.sum(axis=0), "gamma4": gg4, "beta4": gbe4,
        "W5": D5.T @ A4, "b5": D5.sum(axis=0),
    }
    return loss, grads


def torch_function(params, X, Y, dtype):
    import torch

    F = torch.nn.functional
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    tp = {k: torch.tensor(v, dtype=tdtype, requires_grad=True) for k, v in params.items()}
    tX, tY = torch.tensor(X, dtype=tdtype), torch.tensor(Y, dtype=tdtype)

    def run():
        for value in tp.values():
            value.grad = None
        a = F.linear(tX, tp["W1"], tp["b1"])
        a = torch.relu(F.batch_norm(a, None, None, tp["gamma2"], tp["beta2"], training=True, eps=EPS))
        a = F.linear(a, tp["W3"], tp["b3"])
        a = torch.relu(F.batch_norm(a, None, None, tp["gamma4"], tp["beta4"], training=True, eps=EPS))
        z = F.linear(a, tp["W5"], tp["b5"])
        loss = -(tY * torch.log_softmax(z, dim=1)).sum() / tX.shape[0]
        loss.backward()
        return float(loss.detach()), {k: v.grad for k, v in tp.items()}

    return run


def bench_case(batch, dtype, rounds, rng, use_torch):
    import symbackprop as sbp
    from symbackprop.params import init_params

    net = sbp.Network.from_spec(SPEC)
    f = net.compile(dtype=dtype)
    params = init_params(net, seed=0)
    for name in params:  # scales and shifts away from 1 and 0, so that a mistake would show
        if name.startswith(("gamma", "beta")):
            params[name] = params[name] + rng.normal(scale=0.3, size=params[name].shape)
    params = {k: v.astype(dtype) for k, v in params.items()}
    X = rng.standard_normal((batch, 784)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, batch)]

    loss_h, grads_h = hand_written(params, X, Y)
    assert_agree("compiled", *f(params, X, Y), loss_h, grads_h, dtype)
    raw = f.raw
    contenders = {
        "compiled": lambda: f(params, X, Y),
        "raw": lambda: raw(params, X, Y),
        "numpy": lambda: hand_written(params, X, Y),
    }
    if use_torch:
        run = torch_function(params, X, Y, dtype)
        assert_agree("PyTorch", *run(), loss_h, grads_h, dtype)
        contenders["torch"] = run
    return interleaved_times(contenders, rounds, seed=batch, statistic=min)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="timed calls per contender (100)")
    parser.add_argument("--quick", action="store_true", help="5 rounds, batch 64 only")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON only")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 100)
    batches = (64,) if args.quick else (64, 256, 1024)
    use_torch, torch_version = False, ""
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(args.threads)
            use_torch, torch_version = True, torch.__version__
        except ImportError:
            print("PyTorch is not installed (.venv/bin/pip install torch==2.13.0): its column is left out")
    rng = np.random.default_rng(0)
    rows = []
    for dtype in (np.float64, np.float32):
        for batch in batches:
            rows.append({"dtype": np.dtype(dtype).name, "batch": batch, **bench_case(batch, dtype, rounds, rng, use_torch)})
    if args.json:
        print(json.dumps(rows))
        return
    print(
        "784 → dense(256) → batchnorm relu → dense(128) → batchnorm relu → dense(10) softmax, cross_entropy; "
        f"fastest of {rounds} interleaved calls; NumPy {np.__version__}"
        + (f", PyTorch {torch_version}" if use_torch else "")
        + f"; {args.threads} thread(s), {platform.machine()} with {os.cpu_count()} cores"
    )
    print()
    head = "| dtype | batch | compiled ms | generated alone ms | NumPy by hand ms | compiled / NumPy | generated / NumPy |"
    sep = "|---|---:|---:|---:|---:|---:|---:|"
    if use_torch:
        head += " PyTorch ms | compiled / PyTorch |"
        sep += "---:|---:|"
    print(head)
    print(sep)
    for r in rows:
        line = (
            f"| {r['dtype']} | {r['batch']} | {r['compiled'] * 1e3:.2f} | {r['raw'] * 1e3:.2f} | "
            f"{r['numpy'] * 1e3:.2f} | {r['compiled'] / r['numpy']:.2f}× | {r['raw'] / r['numpy']:.2f}× |"
        )
        if use_torch:
            line += f" {r['torch'] * 1e3:.2f} | {r['compiled'] / r['torch']:.2f}× |"
        print(line)


if __name__ == "__main__":
    main()
