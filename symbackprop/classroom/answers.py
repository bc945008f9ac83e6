"""The answers file: the template each student fills in, and reading what comes back.

``answers.toml`` holds ``student = "<id>"`` and one ``[[answer]]`` table per
question: ``question`` (its number), ``wrt``, ``syntax`` (``python`` or
``latex``), ``formula`` (empty when unanswered) and an optional ``value``
(a number, a list for a bias, a list of rows for a weight matrix).

Reading never raises for what a student wrote: a problem with the whole file
is a :class:`FileProblem` (its verdict and the reason), a problem with one
answer is kept beside that answer, so every question of every student ends as
one row of grades.csv.

>>> from symbackprop.classroom.variants import Question
>>> qs = (Question(1, "W2[1,2]", 0.1, "delta2_1 * a1_2"),)
>>> s = read_answers('student = "ada"\\n[[answer]]\\nquestion = 1\\nwrt = "W2[1,2]"\\n'
...                  'syntax = "python"\\nformula = "delta2_1 * a1_2"\\nvalue = 0.1\\n', "ada", qs)
>>> s.answers[1].formula, s.answers[1].value
('delta2_1 * a1_2', 0.1)
>>> read_answers("student = [", "ada", qs).verdict
'unreadable'
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..symbols import Wrt
from .variants import Question, Variant

MAX_ANSWERS_BYTES = 256 * 1024
SYNTAXES = ("python", "latex")


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's).

    >>> print(toml_string('say "hi"\\\\'))
    "say \\"hi\\"\\\\"
    """
    return json.dumps(text, ensure_ascii=False)


def template(variant: Variant) -> str:
    """The answers file a student fills in, with every question and empty formulas."""
    lines = [
        f"# Answers of {variant.student} (sheet code {variant.code}).",
        "# Fill in each formula, your dL/d(wrt), between the quotes: Python syntax such as",
        '#   formula = "delta2 @ a1.T"',
        "# or LaTeX, with syntax = \"latex\" and three single quotes around it, so that",
        "# backslashes and the ' of σ' stay as typed:",
        "#   formula = '''(W^{(2)})^T \\delta^{(2)} \\odot \\sigma'(z^{(1)})'''",
        "# A whole derivation goes between ''' and ''' too, one line per step; the last line is the answer.",
        "# value: your number at the sheet's worked example (a list for a bias, a list of rows",
        "# for a weight matrix); remove the # in front of it to give it.",
        f"student = {toml_string(variant.student)}",
        f"code = {toml_string(variant.code)}",
    ]
    for q in variant.questions:
        example = _zeros(q.value)
        lines += [
            "",
            "[[answer]]",
            f"question = {q.number}",
            f"wrt = {toml_string(q.wrt)}",
            'syntax = "python"',
            'formula = ""',
            f"# value = {example}",
        ]
    return "\n".join(lines) + "\n"


def _zeros(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_zeros(v) for v in value) + "]"
    return "0.0"


@dataclass(frozen=True)
class Answer:
    """One answer as handed in; ``problem`` is why it cannot be graded (None when it can)."""

    question: int
    wrt: str
    syntax: str = "python"
    formula: str = ""
    value: Any = None
    problem: str | None = None
    verdict: str = "unreadable"  # the verdict of the row when there is a problem


@dataclass(frozen=True)
class Answers:
    """A student's answers by question number; ``notes`` are said in the feedback only."""

    student: str
    answers: dict[int, Answer]
    notes: tuple[str, ...] = ()
    verdict: str | None = None  # set when the whole file cannot be graded
    reason: str | None = None


def file_problem(student: str, verdict: str, reason: str) -> Answers:
    """Answers that are all one problem: a missing, unreadable or foreign file."""
    return Answers(student, {}, (), verdict, reason)


def read_answers(text: str, student: str, questions: Sequence[Question]) -> Answers:
    """Read the text of ``student``'s answers.toml against the questions of their variant."""
    if not text.strip():
        return file_problem(student, "missing", "answers.toml is empty")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return file_problem(student, "unreadable", f"answers.toml is not valid TOML ({exc})")
    except (RecursionError, ValueError):
        return file_problem(student, "unreadable", "answers.toml nests too deeply or holds a number too long")
    named = data.get("student", student)
    if named != student:
        return file_problem(
            student, "rejected",
            f"the answers.toml handed in as {student} says student = {str(named)!r:.60}; "
            "a student hands in their own answers file",
        )
    tables = data.get("answer", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        return file_problem(student, "unreadable", "answers.toml must hold [[answer]] tables")
    by_number = {q.number: q for q in questions}
    answers: dict[int, Answer] = {}
    notes: list[str] = []
    for position, table in enumerate(tables, start=1):
        number = table.get("question")
        if isinstance(number, bool) or not isinstance(number, int) or number not in by_number:
            notes.append(
                f"answer {position} names question {str(number)!r:.20}, which is not on your sheet "
                f"(questions {', '.join(map(str, by_number))}); it was not graded."
            )
            continue
        if number in answers:
            answers[number] = Answer(
                number, by_number[number].wrt, problem=f"question {number} is answered twice; "
                "hand in one answer per question", verdict="rejected",
            )
            continue
        answers[number] = _answer(table, by_number[number])
    return Answers(student, answers, tuple(notes))


def _answer(table: dict[str, Any], question: Question) -> Answer:
    def refused(reason: str) -> Answer:
        return Answer(question.number, question.wrt, problem=reason)

    wrt = table.get("wrt", question.wrt)
    try:
        same = isinstance(wrt, str) and str(Wrt.parse(wrt)) == question.wrt
    except ValueError:
        same = False
    if not same:
        return refused(f"question {question.number} asks for dL/d{question.wrt}, but the answer is "
                       f"for {str(wrt)!r:.40}")
    syntax = table.get("syntax", "python")
    if syntax not in SYNTAXES:
        return refused(f"syntax must be \"python\" or \"latex\", got {str(syntax)!r:.40}")
    formula = table.get("formula", "")
    if not isinstance(formula, str):
        return refused(f"the formula must be text between quotes, got {type(formula).__name__}")
    value = table.get("value")
    if value is not None and not _numbers(value):
        return refused("the value must be a finite number, or lists of them, "
                       f"got {json.dumps(value, default=str)!r:.60}")
    return Answer(question.number, question.wrt, syntax, formula.strip(), value)


def _numbers(value: Any, depth: int = 0) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    return isinstance(value, list) and depth < 2 and bool(value) and all(_numbers(v, depth + 1) for v in value)


@dataclass(frozen=True)
class ValueCheck:
    """A value graded against the true one: the fraction of entries within the tolerance."""

    score: float
    message: str
    given: Any = field(default=None)


def check_value(given: Any, true: Any, tolerance: float) -> ValueCheck:
    """Grade a value: an entry is right when |given − true| ≤ tolerance × the largest |true| entry.

    >>> check_value(0.1404, 0.1406, 0.005).score, check_value(0.15, 0.1406, 0.005).score
    (1.0, 0.0)
    >>> check_value([[1, 2], [3, 4]], [[1, 2], [3, 5]], 0.005).message
    'the value is right in 3 of 4 entries (within 0.5% of the largest entry)'
    """
    flat_true, flat_given = _flatten(true), _flatten(given)
    shape_true, shape_given = _shape(true), _shape(given)
    percent = f"{tolerance * 100:.3g}%"
    if shape_true != shape_given and {shape_true, shape_given} != {shape_true[:1], shape_true[:1] + (1,)}:
        return ValueCheck(0.0, f"the value is {_shape_text(shape_given)} but the gradient is "
                               f"{_shape_text(shape_true)}", given)
    scale = max((abs(t) for t in flat_true), default=0.0)
    allowed = tolerance * scale + 1e-12
    right = sum(abs(g - t) <= allowed for g, t in zip(flat_given, flat_true, strict=True))
    if len(flat_true) == 1:
        shown = _short(flat_true[0])
        if right:
            return ValueCheck(1.0, f"the value {_short(flat_given[0])} is right (within {percent} of {shown})", given)
        return ValueCheck(0.0, f"the value {_short(flat_given[0])} is not the gradient's value {shown} "
                               f"(within {percent} would do)", given)
    message = f"the value is right in {right} of {len(flat_true)} entries (within {percent} of the largest entry)"
    return ValueCheck(right / len(flat_true), message, given)


def _short(number: float) -> str:
    return format(number, ".6g")


def _flatten(value: Any) -> list[float]:
    if isinstance(value, list):
        return [item for v in value for item in _flatten(v)]
    return [float(value)]


def _shape(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    inner = {_shape(v) for v in value}
    return (len(value), *next(iter(inner))) if len(inner) == 1 else (len(value), -1)


def _shape_text(shape: tuple[int, ...]) -> str:
    """A value's shape as a student reads it.

    >>> _shape_text(()), _shape_text((3,)), _shape_text((2, 3)), _shape_text((2, -1))
    ('a single number', 'a list of 3 numbers', '2 rows of 3 numbers', 'rows of different lengths')
    """
    if not shape:
        return "a single number"
    if -1 in shape:
        return "rows of different lengths"
    if len(shape) == 1:
        return f"a list of {shape[0]} numbers"
    if len(shape) == 2:
        return f"{shape[0]} rows of {shape[1]} numbers"
    return "(" + ", ".join(map(str, shape)) + ")"
