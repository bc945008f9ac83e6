"""The teacher–student experiment of "Beginner Deep Learning Maths".

A randomly initialised 2-4-2 sigmoid network, the teacher, labels 200 random
inputs.  The article's 2-3-3-2 sigmoid network without biases, the student,
has another shape, so it cannot copy the teacher's weights: it has to find a
function of its own that mimics the teacher's, by plain full-batch gradient
descent on the gradients that symbackprop derived and compiled.

    python examples/teacher_student.py [--epochs 2000] [--lr 3] [--plot loss.png] [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import symbackprop as sbp
from symbackprop import datasets, models
from symbackprop.params import save_params
from symbackprop.plot import plot_losses


def run(epochs: int = 2000, lr: float = 3.0, samples: int = 200, seed: int = 0,
        progress: bool | None = None) -> tuple[sbp.TrainResult, dict]:
    student = models.beginner()
    data = datasets.teacher(student, n_samples=samples, seed=seed)
    result = sbp.train(student, data.X, data.Y, epochs=epochs, lr=lr, seed=seed, progress=progress)
    # What a student that ignores its inputs can reach: always answer the mean target.
    mean_only = float(0.5 * np.mean(np.sum((data.Y - data.Y.mean(axis=0)) ** 2, axis=1)))
    outcome = {
        "teacher": data.description,
        "student": student.describe(),
        "epochs": result.epochs,
        "initial_loss": result.initial_loss,
        "final_loss": result.final_loss,
        "ratio": result.final_loss / result.initial_loss,
        "mean_only_loss": mean_only,
        "seconds": result.seconds,
    }
    return result, outcome


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", help="write the loss curve to this PNG")
    parser.add_argument("--save", help="write the student's parameters to this JSON file")
    parser.add_argument("--force", action="store_true", help="replace --plot/--save files")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    result, outcome = run(args.epochs, args.lr, seed=args.seed, progress=False if args.json else None)
    if args.plot:
        plot_losses(result, args.plot, title="student 2-3-3-2 mimics a 2-4-2 teacher",
                    force=args.force)
    if args.save:
        save_params(args.save, result.params, force=args.force)
    if args.json:
        print(json.dumps(outcome))
        return outcome
    print(f"teacher: {outcome['teacher']}")
    print(f"student: {outcome['student']}")
    print(f"loss {outcome['initial_loss']:.5g} -> {outcome['final_loss']:.5g} after "
          f"{outcome['epochs']} epochs of gradient descent (lr {args.lr:g}): "
          f"{outcome['ratio']:.2%} of the start")
    print(f"answering the mean target every time would give {outcome['mean_only_loss']:.5g}, "
          "so the student learned the teacher's function, not just its average")
    return outcome


if __name__ == "__main__":
    main()
