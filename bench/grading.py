"""Benchmark: grading a class of 500 students × 3 questions with parallel workers.

The assignment (2-2-2 sigmoid, questions W2, W1, b1) is written once for 500
roster ids; each student hands in one of seven kinds of answers file (right in
Python, right in LaTeX, a σ' left out, W transposed, unreadable, a right
three-line derivation, values only), cycling through the roster.  Two runs:

- ``distinct``: every formula is made unique (multiplied by k/k, k the
  student's number), so no verdict is judged twice — the worst case;
- ``class``: the formulas as a class writes them, many the same, so each
  worker judges a repeated formula once.

Each run starts from no kept grades (DIR/grading is removed), with ``--jobs``
workers (default 2), and reports the wall time and the time per formula.

    .venv/bin/python bench/grading.py
    .venv/bin/python bench/grading.py --students 100 --jobs 1
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symbackprop import models  # noqa: E402
from symbackprop.classroom.assignment import write_assignment  # noqa: E402
from symbackprop.classroom.grading import grade  # noqa: E402
from symbackprop.classroom.judging import Settings  # noqa: E402
from tests.classroom_support import answers_file, hand_in, key_entries, wrong_formula  # noqa: E402

QUESTIONS = ["W2", "W1", "b1"]
LATEX = {
    "W2": r"\left((a^{(2)} - y) \odot \sigma'(z^{(2)})\right) (a^{(1)})^T",
    "W1": r"\left((W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)})\right) x^T",
    "b1": r"(W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)})",
}
DERIVATION = {
    "W2": "dZ2 = (A2 - Y) * A2 * (1 - A2); dW2 = dZ2 @ A1.T",
    "W1": "dZ2 = (A2 - Y) * A2 * (1 - A2); dZ1 = (W2.T @ dZ2) * A1 * (1 - A1); dW1 = dZ1 @ X.T",
    "b1": "dZ2 = (A2 - Y) * A2 * (1 - A2); dZ1 = (W2.T @ dZ2) * A1 * (1 - A1); db1 = dZ1",
}
KINDS = ("right", "latex", "missing-derivative", "transposed", "unreadable", "derivation", "values")


def submission(course: Path, student: str, number: int, distinct: bool) -> str:
    kind = KINDS[number % len(KINDS)]
    entries = []
    for question, wrt, _, formula, value in key_entries(course, student):
        syntax = "python"
        if kind == "latex":
            syntax, formula = "latex", LATEX[wrt]
        elif kind == "derivation":
            formula = DERIVATION[wrt]
        elif kind == "values":
            formula = ""
        elif kind != "right":
            formula = wrong_formula(kind if wrt != "b1" else "unreadable", "W2" if wrt == "b1" else wrt)
        if distinct and formula and kind not in ("derivation", "unreadable"):
            k = number + 1
            formula = f"({k}/{k}) * ({formula})" if syntax == "python" else rf"\frac{{{k}}}{{{k}}} {formula}"
        elif distinct and kind == "derivation":
            formula = formula.replace("(A2 - Y)", f"({number + 1}/{number + 1}) * (A2 - Y)")
        entries.append((question, wrt, syntax, formula, value if kind in ("right", "values") else None))
    return answers_file(student, entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    roster = [f"s{n:04d}" for n in range(args.students)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        course = folder / "course"
        start = time.perf_counter()
        write_assignment(models.two_two_two(), roster, course, questions=QUESTIONS, seed=1,
                         formats=["md"], jobs=args.jobs)
        made = time.perf_counter() - start
        print(f"assignment: {args.students} variants (sheet.md, answers.toml, key) in {made:.1f} s "
              f"with {args.jobs} workers")
        formulas = args.students * len(QUESTIONS)
        for mode in ("distinct", "class"):
            submissions = folder / f"subs-{mode}"
            for number, student in enumerate(roster):
                hand_in(submissions, student, submission(course, student, number, mode == "distinct"))
            shutil.rmtree(course / "grading", ignore_errors=True)
            shutil.rmtree(course / "feedback", ignore_errors=True)
            shutil.rmtree(course / "overview", ignore_errors=True)
            start = time.perf_counter()
            grades = grade(course, submissions, folder / f"grades-{mode}.csv", Settings(), jobs=args.jobs)
            took = time.perf_counter() - start
            verdicts = sorted({q.verdict for s in grades.students for q in s.questions})
            print(f"grade ({mode:8s}): {args.students} submissions × {len(QUESTIONS)} questions in "
                  f"{took:5.1f} s with {args.jobs} workers ({1000 * took / formulas:.1f} ms per formula; "
                  f"verdicts {', '.join(verdicts)})")
            start = time.perf_counter()
            grade(course, submissions, folder / f"grades-{mode}.csv", Settings(), jobs=args.jobs)
            print(f"grade ({mode:8s}) again, every grade kept: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
