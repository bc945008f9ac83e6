"""A class round trip: roster → one variant per student → filled answers → grades.csv and feedback.

A class of six works the 2-3-3-2 sigmoid network of "Beginner Deep Learning
Maths" (no biases, quadratic cost) and is asked for ∂L/∂W3, ∂L/∂W2 and
∂L/∂W1.  Each student gets their own sheet (other numbers, the same network)
and fills in the answers file as students do: Ada gets everything right,
Alan leaves σ' out of the δ recursion, Grace transposes, Kurt types
something that is not a formula, Emmy writes LaTeX, and John hands in
nothing.  Then the class is graded: grades.csv, a feedback file per student,
an overview with a score histogram.

    python examples/classroom.py [--out out/classroom] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import tomllib
from pathlib import Path

from symbackprop import models
from symbackprop.classroom.assignment import write_assignment
from symbackprop.classroom.grading import grade
from symbackprop.classroom.judging import Settings

ROSTER = "id,name\nada,Ada Lovelace\nalan,Alan Turing\ngrace,Grace Hopper\nkurt,Kurt Gödel\nemmy,Emmy Noether\njohn,John von Neumann\n"
QUESTIONS = ["W3", "W2", "W1"]

# What each student writes for ∂L/∂W3, ∂L/∂W2, ∂L/∂W1 (a3 = ŷ; no biases).
RIGHT = {
    "W3": "((a3 - y) * a3 * (1 - a3)) @ a2.T",
    "W2": "((W3.T @ delta3) * a2 * (1 - a2)) @ a1.T",
    "W1": "dZ2 = (W3.T @ delta3) * a2 * (1 - a2)\ndZ1 = (W2.T @ dZ2) * a1 * (1 - a1)\ndW1 = dZ1 @ x.T",
}
WRITES = {
    "ada": RIGHT,
    "alan": {**RIGHT, "W2": "(W3.T @ delta3) @ a1.T", "W1": "dZ2 = W3.T @ delta3\ndZ1 = (W2.T @ dZ2) * a1 * (1 - a1)\ndW1 = dZ1 @ x.T"},
    "grace": {**RIGHT, "W3": "a2 @ ((a3 - y) * a3 * (1 - a3)).T"},
    "kurt": {"W3": "delta3 times a2 transposed", "W2": "", "W1": ""},
    "emmy": {
        "W3": r"\left((a^{(3)} - y) \odot \sigma'(z^{(3)})\right) (a^{(2)})^{\top}",
        "W2": r"\left((W^{(3)})^{\top} \delta^{(3)} \odot \sigma'(z^{(2)})\right) (a^{(1)})^{\top}",
        "W1": r"\left((W^{(2)})^{\top} \delta^{(2)} \odot \sigma'(z^{(1)})\right) x^{\top}",
    },
}


def fill(template: str, formulas: dict[str, str], syntax: str, values: dict[str, object]) -> str:
    """The answers file as a student fills it: each formula (and Ada's values) in its place."""
    out, wrt = [], None
    for line in template.splitlines():
        if line.startswith("wrt = "):
            wrt = tomllib.loads(line)["wrt"]
        elif line == 'syntax = "python"':
            line = f'syntax = "{syntax}"'
        elif line == 'formula = ""' and formulas.get(wrt):
            line = f"formula = '''\n{formulas[wrt]}'''"
        elif line.startswith("# value = ") and wrt in values:
            line = f"value = {json.dumps(values[wrt])}"
        out.append(line)
    return "\n".join(out) + "\n"


def run(out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = [row["id"] for row in csv.DictReader(ROSTER.splitlines())]
    course = out / "course"
    write_assignment(models.beginner(), roster, course, questions=QUESTIONS, seed=2024, formats=["md"])

    handed_in = out / "submissions"
    for student, formulas in WRITES.items():
        template = (course / "students" / student / "answers.toml").read_text(encoding="utf-8")
        values = {}
        if student == "ada":  # Ada also works out the numbers of her sheet's example
            key = json.loads((course / "key" / student / "variant.json").read_text(encoding="utf-8"))
            values = {q["wrt"]: q["value"] for q in key["questions"]}
        syntax = "latex" if student == "emmy" else "python"
        (handed_in / student).mkdir(parents=True)
        (handed_in / student / "answers.toml").write_text(fill(template, formulas, syntax, values), encoding="utf-8")

    grades = grade(course, handed_in, out / "grades.csv", Settings(), jobs=2)
    rows = list(csv.DictReader((out / "grades.csv").read_text(encoding="utf-8").splitlines()))
    return {
        "rows": rows,
        "scores": {s.student: s.score for s in grades.students},
        "grades": str(out / "grades.csv"),
        "feedback": str(course / "feedback"),
        "overview": str(course / "overview" / "overview.md"),
        "histogram": str(course / "overview" / "scores.png"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/classroom"))
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args()
    result = run(args.out)
    if args.json:
        print(json.dumps(result))
        return
    for row in result["rows"]:
        print(f"{row['student']:6s} Q{row['question']} {row['wrt']:3s} {row['score']:>6s} "
              f"{row['verdict']:10s} {row['diagnosis']}")
    print(f"\ngrades: {result['grades']}\nfeedback: {result['feedback']}/<id>.md\n"
          f"overview: {result['overview']} and {result['histogram']}")


if __name__ == "__main__":
    main()
