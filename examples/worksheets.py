"""Worksheets for the two articles' networks: a teacher's copy with the key, a student's without.

"Beginner Deep Learning Maths" works a 2-3-3-2 sigmoid network without biases
and the quadratic cost by hand; "Understanding the Mathematics of Deep
Learning" a 2-4-4-3 ReLU network with a softmax output and cross-entropy.
For each, this writes the teacher's copy (exercises, worked example, solution
key) and a student's copy with the key left out, in every format asked for.
Each seed gives other exercises and other numbers.  Every format that can be
written is; the others are reported with the reason (a missing tool names the
package to install), and the exit status is then 1.

    python examples/worksheets.py [--out out/worksheets] [--seed 0] [--formats pdf,html,md] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import symbackprop as sbp
from symbackprop import models
from symbackprop.errors import SymbackpropError
from symbackprop.worksheets import build, render

NETWORKS = {"beginner": models.beginner, "understanding": models.understanding}


def run(out: Path, seed: int = 0, formats: tuple[str, ...] = ("pdf", "html", "md")) -> dict:
    from symbackprop.io import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    written, skipped, checks = [], [], {}
    for name, make in NETWORKS.items():
        sheet = build(make(), seed=seed)  # derived, computed and checked once, written many times
        checks[name] = {
            "exercises": [e.wrt for e in sheet.exercises if e.wrt],
            "largest_relative_error": sheet.check.fd_error,
            "loss": sheet.values.loss,
        }
        for copy, document in (("key", sheet), ("student", sheet.student_copy())):
            for fmt in formats:
                path = out / f"{name}-{copy}.{fmt}"
                try:
                    # This folder belongs to the example, so its files are replaced on each run.
                    write_atomic(path, render(document, fmt), force=True)
                except SymbackpropError as exc:  # a missing tool, or LaTeX rejecting the sheet
                    skipped.append(f"{path.name}: {exc}")
                    continue
                except OSError as exc:  # a tool that is there but fails to run
                    skipped.append(f"{path.name}: {exc}")
                    continue
                written.append(str(path))
    return {"written": written, "skipped": skipped, "checks": checks, "version": sbp.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out") / "worksheets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default="pdf,html,md", help="comma-separated: pdf, html, tex, md")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    formats = tuple(f.strip().lstrip(".").lower() for f in args.formats.split(",") if f.strip())
    unknown = sorted(set(formats) - {"pdf", "html", "tex", "md"})
    if unknown:
        parser.error(f"unknown format {unknown[0]!r} in --formats; expected pdf, html, tex or md")
    outcome = run(args.out, args.seed, formats)
    if args.json:
        print(json.dumps(outcome))
    else:
        for name, check in outcome["checks"].items():
            print(f"{name}: exercises {', '.join(check['exercises'])}; key checked against finite "
                  f"differences, largest relative error {check['largest_relative_error']:.1e}")
        for path in outcome["written"]:
            print(f"wrote {path}")
        for note in outcome["skipped"]:
            print(f"skipped {note}")
    return 1 if outcome["skipped"] else 0


if __name__ == "__main__":
    sys.exit(main())
