"""Jupyter notebooks graded by nbgrader or Otter-Grader: one assignment notebook per variant.

Each student's notebook gives the network, their worked example's numbers
and one question per question of the assignment; the student writes each
formula as text (``ANSWER_1 = "delta2 @ a1.T"``, LaTeX in ``r"..."``), and the
autograder cells call :func:`check` or :func:`entry_right`, which judge it with
``symbackprop.verify``.

- nbgrader: a course folder, ``nbgrader_config.py`` and
  ``source/backprop-<id>/backprop.ipynb`` per student (an nbgrader assignment
  per variant, since nbgrader puts the source's test cells back into every
  submission).  Each test cell's last value is the points earned, which
  nbgrader reads as partial credit.
- Otter-Grader: ``<id>/backprop.ipynb`` per student, a master notebook in
  Otter's format for ``otter assign``; each entry of an answer is a test case
  worth its share of the question's point, so partial credit is entry by entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..io import write_unless_same
from ..spec import Network
from .judging import FormulaResult, judge_formula
from .wording import entries, example_lines, wrt_latex

NOTEBOOK = "backprop.ipynb"
TIME_LIMIT = 10.0


# -- what the autograder cells call --------------------------------------------------------


def _judged(network: dict[str, Any], wrt: str, answer: Any) -> FormulaResult | None:
    if not isinstance(answer, str) or not answer.strip():
        return None
    syntax = "latex" if "\\" in answer else "python"
    return judge_formula(Network.from_spec(network), wrt, syntax, answer.strip(), TIME_LIMIT)


def check(network: dict[str, Any], wrt: str, answer: Any, points: float = 1.0) -> float:
    """Print what is right or wrong with ``answer`` for ∂L/∂``wrt``; return the points it earns."""
    result = _judged(network, wrt, answer)
    if result is None:
        print("No answer yet: write your formula between the quotes.")
        return 0.0
    print(" ".join(result.sentences))
    return round(result.score * points, 4)


def entry_right(network: dict[str, Any], wrt: str, answer: Any, entry: str) -> bool:
    """Whether the entry ``entry`` (``W1[1,2]``) of ``answer`` for ∂L/∂``wrt`` is right."""
    result = _judged(network, wrt, answer)
    return result is not None and result.entry_right(entry)


# -- writing the notebooks ---------------------------------------------------------------------


def _cell(kind: str, source: str, **nbgrader: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if nbgrader:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, **nbgrader}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _notebook(cells: list[dict[str, Any]]) -> str:
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _introduction(assignment: Any, student: str, variant: dict[str, Any]) -> str:
    given = "\n".join(f"- ${name} = {text}$" for name, text in example_lines(variant))
    return (
        f"# Backpropagation by hand — {student}\n\n"
        f"Sheet code {variant['code']}. The network: {assignment.network.describe()}.\n\n"
        f"Your worked example:\n\n{given}\n\n"
        "Write each answer as text: Python syntax such as `\"delta2 @ a1.T\"` or "
        "`\"((W2.T @ delta2) * a1 * (1 - a1)) @ x.T\"` (`@` the matrix product, `*` elementwise, "
        "`.T` the transpose), or LaTeX in a raw string, `r\"\\delta^{(2)} (a^{(1)})^T\"`. A derivation of "
        "several lines (`;` between them) ends with the answer."
    )


def _setup(assignment: Any) -> str:
    return f"NETWORK = {assignment.network.to_spec()!r}"


def nbgrader_notebook(assignment: Any, student: str) -> str:
    variant = assignment.variant_of(student)
    cells = [_cell("markdown", _introduction(assignment, student, variant)),
             _cell("code", _setup(assignment), grade=False, solution=False, locked=True, grade_id="setup")]
    for q in variant["questions"]:
        n = q.number
        cells.append(_cell("markdown", f"## Question {n}\n\nDerive $${wrt_latex(q.wrt)}$$"))
        cells.append(_cell(
            "code",
            f'ANSWER_{n} = ""  # your formula for dL/d{q.wrt}, between the quotes\n'
            f"### BEGIN SOLUTION\nANSWER_{n} = {q.reference!r}\n### END SOLUTION",
            grade=False, solution=True, locked=False, grade_id=f"answer_{n}",
        ))
        cells.append(_cell(
            "code",
            f"from symbackprop.classroom.notebooks import check\n\ncheck(NETWORK, {q.wrt!r}, ANSWER_{n})",
            grade=True, solution=False, locked=True, points=1, grade_id=f"test_{n}",
        ))
    return _notebook(cells)


NBGRADER_CONFIG = '''"""nbgrader's configuration for this course folder, written by symbackprop publish --to nbgrader."""

c = get_config()  # noqa: F821 - nbgrader provides it
c.CourseDirectory.root = "."
# A student writes over the line ANSWER_n = "": no stub that raises.
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER ABOVE"}
'''


def assignment_name(student: str) -> str:
    return f"backprop-{student}"


def write_nbgrader(assignment: Any, output: Path, force: bool = False) -> list[Path]:
    output.mkdir(exist_ok=True)
    written = [output / "nbgrader_config.py"]
    write_unless_same(written[0], NBGRADER_CONFIG, force=force)
    for student in assignment.students:
        folder = output / "source" / assignment_name(student)
        folder.mkdir(parents=True, exist_ok=True)
        write_unless_same(folder / NOTEBOOK, nbgrader_notebook(assignment, student), force=force)
        written.append(folder / NOTEBOOK)
    return written


OTTER_CONFIG = """# ASSIGNMENT CONFIG
name: backprop-{student}
run_tests: false
check_all_cell: false
export_cell: false
generate: true
"""


def otter_notebook(assignment: Any, student: str) -> str:
    variant = assignment.variant_of(student)
    cells = [_cell("raw", OTTER_CONFIG.format(student=student)),
             _cell("markdown", _introduction(assignment, student, variant)),
             _cell("code", _setup(assignment))]
    for q in variant["questions"]:
        n = q.number
        parts = entries(q.wrt, q.value)
        cells += [
            _cell("raw", f"# BEGIN QUESTION\nname: q{n}\npoints: 1"),
            _cell("markdown", f"## Question {n}\n\nDerive $${wrt_latex(q.wrt)}$$"),
            _cell("raw", "# BEGIN SOLUTION"),
            _cell("code", f'ANSWER_{n} = {q.reference!r}  # SOLUTION'),
            _cell("raw", "# END SOLUTION"),
            _cell("raw", "# BEGIN TESTS"),
        ]
        for label, _ in parts:
            cells.append(_cell(
                "code",
                f'""" # BEGIN TEST CONFIG\npoints: {1 / len(parts)!r}\nfailure_message: {label} is not right\n'
                '""" # END TEST CONFIG\n'
                "from symbackprop.classroom.notebooks import entry_right\n"
                f"assert entry_right(NETWORK, {q.wrt!r}, ANSWER_{n}, {label!r})",
            ))
        cells += [_cell("raw", "# END TESTS"), _cell("raw", "# END QUESTION")]
    return _notebook(cells)


def write_otter(assignment: Any, output: Path, force: bool = False) -> list[Path]:
    output.mkdir(exist_ok=True)
    written = []
    for student in assignment.students:
        folder = output / student
        folder.mkdir(exist_ok=True)
        write_unless_same(folder / NOTEBOOK, otter_notebook(assignment, student), force=force)
        written.append(folder / NOTEBOOK)
    return written
