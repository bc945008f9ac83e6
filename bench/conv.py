"""Benchmark: the compiled gradient of a conv net against PyTorch CPU autograd, side by side.

The network of issue 14: input 1×28×28, conv2d with 8 channels of 3×3 and
ReLU, max pooling 2, flatten, dense 10 with softmax, cross-entropy; batch 64.
Both contenders compute the mean batch loss and every gradient; they run
interleaved in one process (each round calls each once, in a shuffled
order) and the table reports the median time per gradient and the ratio
compiled / PyTorch, for float64 and float32.  One BLAS thread and one torch
thread by default (a shared machine); ``--threads N`` gives both N.

    .venv/bin/python bench/conv.py            # full run
    .venv/bin/python bench/conv.py --quick    # fewer rounds, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import blas_threads  # noqa: F401 - sets the BLAS threads before NumPy loads
import numpy as np
from side_by_side import assert_agree, interleaved_times

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEC = {
    "input": [1, 28, 28],
    "loss": "cross_entropy",
    "layers": [
        {"type": "conv2d", "channels": 8, "kernel": 3, "activation": "relu"},
        {"type": "maxpool2d", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ],
}
BATCH = 64


def _torch_gradient(torch, params, dtype):
    F = torch.nn.functional
    tensors = {name: torch.tensor(value, dtype=dtype, requires_grad=True) for name, value in params.items()}

    def gradient(X, Y):
        for t in tensors.values():
            t.grad = None
        z = F.conv2d(X, tensors["W1"], tensors["b1"])
        a = F.max_pool2d(torch.relu(z), 2).reshape(X.shape[0], -1)
        logits = F.linear(a, tensors["W4"], tensors["b4"])
        loss = -(Y * torch.log_softmax(logits, dim=1)).sum() / X.shape[0]
        loss.backward()
        return loss.item(), {name: t.grad for name, t in tensors.items()}

    return gradient


def run(rounds: int, threads: int) -> list[dict]:
    from symbackprop import Network
    from symbackprop.params import init_params

    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is not installed: .venv/bin/pip install torch==2.13.0")
    torch.set_num_threads(threads)
    net = Network.from_spec(SPEC)
    params = init_params(net, seed=0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, 1, 28, 28))
    Y = np.eye(10)[rng.integers(0, 10, BATCH)]
    rows = []
    for dtype, torch_dtype in (("float64", torch.float64), ("float32", torch.float32)):
        f = net.compile(dtype=dtype)
        p = {name: value.astype(dtype) for name, value in params.items()}
        Xd, Yd = X.astype(dtype), Y.astype(dtype)
        raw = f.raw
        tg = _torch_gradient(torch, params, torch_dtype)
        Xt, Yt = torch.tensor(X, dtype=torch_dtype), torch.tensor(Y, dtype=torch_dtype)
        loss, grads = raw(p, Xd, Yd)
        tloss, tgrads = tg(Xt, Yt)
        assert_agree("PyTorch", tloss, tgrads, loss, grads, dtype)
        contenders = {
            "compiled": lambda raw=raw, p=p, Xd=Xd, Yd=Yd: raw(p, Xd, Yd),
            "compiled (checked)": lambda f=f, p=p, Xd=Xd, Yd=Yd: f(p, Xd, Yd),
            "pytorch": lambda tg=tg, Xt=Xt, Yt=Yt: tg(Xt, Yt),
        }
        medians = interleaved_times(contenders, rounds)
        rows.append(
            {
                "dtype": dtype,
                "compiled_ms": medians["compiled"] * 1e3,
                "compiled_checked_ms": medians["compiled (checked)"] * 1e3,
                "pytorch_ms": medians["pytorch"] * 1e3,
                "ratio": medians["compiled"] / medians["pytorch"],
                "ratio_checked": medians["compiled (checked)"] / medians["pytorch"],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke test)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = run(5 if args.quick else 200, args.threads)
    if args.json:
        print(json.dumps(rows))
        return
    print(f"conv net 1×28×28 → conv2d(8, 3×3) relu → maxpool2d(2) → flatten → dense(10) softmax, batch {BATCH}, {args.threads} thread(s)")
    print("dtype    compiled   compiled+checks  PyTorch   compiled/PyTorch  (with checks)")
    for row in rows:
        print(
            f"{row['dtype']:<8} {row['compiled_ms']:7.3f} ms  {row['compiled_checked_ms']:9.3f} ms  "
            f"{row['pytorch_ms']:7.3f} ms  {row['ratio']:10.2f}×  {row['ratio_checked']:12.2f}×"
        )


if __name__ == "__main__":
    main()
