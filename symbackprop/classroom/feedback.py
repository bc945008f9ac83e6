"""The feedback file each student reads: per question the verdict, the score, what is wrong
(the first wrong line, the diagnosis, a point where the formula fails) in plain sentences.

>>> from symbackprop.classroom.judging import QuestionGrade, Settings
>>> from symbackprop.classroom.grading import StudentGrade
>>> g = StudentGrade("ada", "7-ada-JHVJ", (QuestionGrade(1, "W2", 1.0, "correct", "", ("Right: this is ∂L/∂W2.",)),))
>>> print(feedback_markdown(g, Settings(value_weight=0)))
# Feedback for ada
<BLANKLINE>
Sheet code 7-ada-JHVJ. Score: 1 of 1 (100%).
<BLANKLINE>
## Question 1: ∂L/∂W2 — right, 1 of 1
<BLANKLINE>
Right: this is ∂L/∂W2.
<BLANKLINE>
---
How this was graded: formula judged by symbackprop.verify (8 points, seed 0), at most 10 s; value right within 0.5% of the largest entry; a value, when given, worth 0 of a question.
<BLANKLINE>
"""

from __future__ import annotations

from typing import Any

from .judging import QuestionGrade, Settings

VERDICT_WORDS = {
    "correct": "right",
    "incorrect": "not right yet",
    "unreadable": "could not be read",
    "missing": "not answered",
    "rejected": "not graded",
}


def feedback_markdown(grade: Any, settings: Settings) -> str:
    """The Markdown a student reads (``grade`` is a StudentGrade)."""
    total = sum(q.score for q in grade.questions)
    count = len(grade.questions)
    out = [f"# Feedback for {grade.student}", ""]
    percent = f"{100 * total / count:.0f}%" if count else "—"
    out += [f"Sheet code {grade.code}. Score: {_n(total)} of {count} ({percent}).", ""]
    for note in grade.notes:
        out += [f"Note: {note}", ""]
    for q in grade.questions:
        out += _question(q)
    out += ["---", f"How this was graded: {settings.describe()}.", ""]
    return "\n".join(out)


def _question(q: QuestionGrade) -> list[str]:
    out = [f"## Question {q.question}: ∂L/∂{q.wrt} — {VERDICT_WORDS.get(q.verdict, q.verdict)}, "
           f"{_n(q.score)} of 1", ""]
    out += [" ".join(q.sentences), ""]
    c = q.counterexample
    if c is not None:
        where = f" (line {c['line']})" if c.get("line") else ""
        out += [f"Where it fails{where}: with the numbers below, {c['entry']} comes out as "
                f"{c['formula_value'] or 'no real number'} but should be {c['true_value']}.", "", "```text"]
        width = max(len(name) for name in c["inputs"])
        out += [f"{name.ljust(width)} = {_value(value)}" for name, value in c["inputs"].items()]
        out += ["```", ""]
    return out


def _n(number: float) -> str:
    return format(round(number, 4), "g")


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return format(value, "g")
