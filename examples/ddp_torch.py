"""Data-parallel training of the exported PyTorch model: DistributedDataParallel over 2 processes.

The symbolic gradient leaves NumPy for PyTorch's own engine.  The spirals
network (2-16-16-3, ReLU, softmax, cross-entropy) is exported with
``net.export("torch")``; two processes (gloo backend, this machine's
loopback) each take half of every minibatch, ``LossFunction.backward`` — the
derived gradient — gives each its half's gradient, and DDP averages the two
before SGD steps.  The mean of two equal halves' mean losses is the whole
batch's mean loss, so both processes must end with the parameters one process
reaches on whole batches; the script trains that way too and compares.

    python examples/ddp_torch.py [--steps 30] [--batch 32] [--lr 0.1] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

import symbackprop as sbp
from symbackprop import datasets
from symbackprop.params import init_params

WORLD_SIZE = 2


def load_module(path: Path):
    """The exported module, imported from its file (each process imports it itself)."""
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def batches(samples: int, batch: int, steps: int, seed: int) -> list[np.ndarray]:
    """The rows of each step's minibatch, the same in every process."""
    rng = np.random.default_rng(seed)
    return [rng.choice(samples, size=batch, replace=False) for _ in range(steps)]


def train_one_process(module, start, X, Y, rows, lr) -> dict[str, np.ndarray]:
    """Plain SGD on whole minibatches in this process: the reference."""
    model = module.Model.load_params(start, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for batch in rows:
        opt.zero_grad()
        model(X[batch], Y[batch]).backward()
        opt.step()
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


def worker(rank: int, path: str, port: int, start, X, Y, rows, lr, out_dir: str) -> None:
    """One of the two processes: its half of every minibatch, gradients averaged by DDP."""
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD_SIZE
    )
    try:
        torch.set_num_threads(1)
        module = load_module(Path(path))
        model = DistributedDataParallel(module.Model.load_params(start, dtype=torch.float64))
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        for batch in rows:
            half = batch[rank::WORLD_SIZE]  # equal halves: the batch size is even
            opt.zero_grad()
            model(X[half], Y[half]).backward()  # DDP averages the two halves' gradients
            opt.step()
        final = {name: p.detach().numpy() for name, p in model.module.named_parameters()}
        np.savez(Path(out_dir) / f"rank{rank}.npz", **final)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(steps: int = 30, batch: int = 32, lr: float = 0.1, seed: int = 0) -> dict:
    if batch % WORLD_SIZE:
        raise SystemExit(f"--batch must be even, so that both processes get equal halves; got {batch}")
    net = sbp.Network.from_layers([2, 16, 16, 3], "relu", "softmax", "cross_entropy")
    data = datasets.spirals(200, classes=3, seed=seed)
    X, Y = torch.tensor(data.X), torch.tensor(data.Y)
    start = init_params(net, seed)
    rows = [torch.from_numpy(r) for r in batches(len(X), batch, steps, seed)]
    with tempfile.TemporaryDirectory() as folder:
        path = net.export("torch").write(Path(folder) / "model.py")
        reference = train_one_process(load_module(path), start, X, Y, rows, lr)
        mp.spawn(worker, args=(str(path), free_port(), start, X, Y, rows, lr, folder),
                 nprocs=WORLD_SIZE, join=True)
        ranks = [dict(np.load(Path(folder) / f"rank{rank}.npz")) for rank in range(WORLD_SIZE)]
    f = net.compile()
    return {
        "network": net.describe(),
        "processes": WORLD_SIZE,
        "steps": steps,
        "batch": batch,
        "ranks_agree": max(
            float(np.max(np.abs(ranks[0][k] - ranks[1][k]))) for k in reference
        ),
        "distance_to_one_process": max(
            float(np.max(np.abs(r[k] - reference[k]))) for r in ranks for k in reference
        ),
        "initial_loss": f.loss(start, data.X, data.Y),
        "final_loss": f.loss(ranks[0], data.X, data.Y),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    outcome = run(args.steps, args.batch, args.lr, args.seed)
    if args.json:
        print(json.dumps(outcome))
        return outcome
    print(f"{outcome['network']}: {outcome['steps']} SGD steps of {outcome['batch']} samples, "
          f"each split over {outcome['processes']} processes (DDP, gloo)")
    print(f"largest difference between the two processes' parameters: {outcome['ranks_agree']:.2g}")
    print(f"largest difference from one process on whole batches: "
          f"{outcome['distance_to_one_process']:.2g}")
    print(f"loss {outcome['initial_loss']:.4g} -> {outcome['final_loss']:.4g}")
    return outcome


if __name__ == "__main__":
    main()
