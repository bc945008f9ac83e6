"""The result of verifying a formula: frozen data with a text report and a JSON form.

A verdict says whether the answer is right, how much of it is right (the
score: the fraction of its entries that are right), for a derivation of
several lines which line is the first wrong one, a counterexample, and the
classic mistake when one matches.  ``feedback`` says it in a few sentences
for the person who wrote the formula.

>>> v = Verdict(True, "W2", "delta2 @ a1.T", "python", 0, 8, "symbolic", 0.0, None, None)
>>> v.exit_code, bool(v), v.score
(0, True, 1.0)
>>> print(v.report())
correct: delta2 @ a1.T is ∂L/∂W2 (proved symbolically, and equal at 8 random points, seed 0)
>>> describe_entries((2, 4), [(1, 0), (1, 1), (1, 2), (1, 3)], "W1")
'right in 4 of 8 entries: row 2 is wrong'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # diagnoses load only when a formula is wrong
    from .diagnosis import Diagnosis

TOLERANCE = 1e-25


@dataclass(frozen=True)
class Counterexample:
    """Where a wrong formula fails: the inputs, the entry, both values.

    ``inputs`` maps x, y and every parameter to floats (vectors as lists,
    matrices as lists of rows); they are multiples of 0.01 (targets of
    cross-entropy sum to 1), so they can be typed back exactly.
    ``formula_value`` is None where the formula has no real value;
    ``formula_text`` and ``true_text`` show both values with as many digits
    as it takes to see them differ.  ``line`` is the line of a derivation
    the counterexample is about (None for a one-line formula).
    """

    point: int
    inputs: dict[str, Any]
    entry: str
    formula_value: float | None
    true_value: float
    formula_matrix: Any
    true_matrix: Any
    formula_text: str = ""
    true_text: str = ""
    relative_difference: float = float("inf")
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "line": self.line,
            "inputs": self.inputs,
            "entry": self.entry,
            "formula_value": self.formula_value,
            "true_value": self.true_value,
            "relative_difference": _json_number(self.relative_difference),
            "formula": self.formula_matrix,
            "gradient": self.true_matrix,
        }


@dataclass(frozen=True)
class Entries:
    """Which entries of a value are right: ``wrong`` lists the others by label (``W1[2,1]``)."""

    right: int
    total: int
    wrong: tuple[str, ...]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {"right": self.right, "total": self.total, "wrong": list(self.wrong), "summary": self.summary}


@dataclass(frozen=True)
class LineVerdict:
    """One line of a derivation: what it was checked against (``checks``, None when it names
    nothing recognisable) and whether it is right."""

    line: int
    text: str
    checks: str | None
    correct: bool | None
    entries: Entries | None = None
    diagnosis: Diagnosis | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "text": self.text,
            "checks": self.checks,
            "correct": self.correct,
            "entries": None if self.entries is None else self.entries.to_dict(),
            "diagnosis": _diagnosis_dict(self.diagnosis),
        }


@dataclass(frozen=True)
class Verdict:
    """Whether ``formula`` is ∂L/∂``wrt``; when not, a counterexample and maybe a diagnosis.

    ``proof`` is ``"symbolic"`` when SymPy proved the equality, ``"numeric"``
    when the verdict rests on the random points; ``max_difference`` is the
    largest relative difference of the answer at any point: the answer is
    correct exactly when it is at most 1e-25.  ``score`` is the fraction of
    the answer's entries that are right (1 when correct); ``entries`` says
    which.  ``lines`` has one entry per line of a derivation and
    ``first_wrong_line`` the number of the first wrong one.
    """

    correct: bool
    wrt: str
    formula: str
    syntax: str
    seed: int
    points: int
    proof: str
    max_difference: float
    counterexample: Counterexample | None
    diagnosis: Diagnosis | None
    score: float = field(default=-1.0)
    entries: Entries | None = None
    lines: tuple[LineVerdict, ...] = ()
    first_wrong_line: int | None = None
    batch: int = 1  # the samples a formula was judged on together (batch norm), else 1
    images: bool = False  # the network's quantities include images (one row per channel in a batch)

    def __post_init__(self) -> None:
        if self.score < 0:
            object.__setattr__(self, "score", 1.0 if self.correct else 0.0)

    def __bool__(self) -> bool:
        return self.correct

    @property
    def exit_code(self) -> int:
        """0 when correct, 1 when not (the command line's exit status)."""
        return 0 if self.correct else 1

    @property
    def wrong_line(self) -> LineVerdict | None:
        return next((line for line in self.lines if line.line == self.first_wrong_line), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "correct": self.correct,
            "wrt": self.wrt,
            "formula": self.formula,
            "syntax": self.syntax,
            "seed": self.seed,
            "points": self.points,
            "batch": self.batch,
            "proof": self.proof,
            "score": self.score,
            "max_relative_difference": _json_number(self.max_difference),
            "tolerance": TOLERANCE,
            "entries": None if self.entries is None else self.entries.to_dict(),
            "first_wrong_line": self.first_wrong_line,
            "lines": [line.to_dict() for line in self.lines],
            "counterexample": None if self.counterexample is None else self.counterexample.to_dict(),
            "diagnosis": _diagnosis_dict(self.diagnosis),
            "feedback": self.feedback(),
        }

    def feedback(self) -> str:
        """A few sentences for the person who wrote the formula: what is wrong and where."""
        if self.correct:
            text = f"Right: this is ∂L/∂{self.wrt}."
            if self.first_wrong_line is not None and self.wrong_line is not None:
                text += (
                    f" But line {self.first_wrong_line} is not {self.wrong_line.checks}; "
                    "the answer does not depend on that mistake."
                )
            return text
        out = []
        if self.entries is not None and self.entries.total > 1:
            out.append(f"Your answer is {self.entries.summary}.")
        else:
            out.append(f"Your answer is not ∂L/∂{self.wrt}.")
        wrong = self.wrong_line
        if wrong is not None and len(self.lines) > 1:
            out.append(f"The first wrong line is line {wrong.line}, {wrong.text}: it is not {wrong.checks}.")
        if self.diagnosis is not None:
            message = self.diagnosis.message
            out.append(sentence(message))
        c = self.counterexample
        if c is not None:
            got = "has no real value" if c.formula_value is None else f"gives {c.formula_text}"
            out.append(f"For example, at point {c.point} {c.entry} {got} where the true value is {c.true_text}.")
        return " ".join(out)

    def report(self) -> str:
        """The verdict as text for people."""
        if self.correct:
            how = "proved symbolically, and equal" if self.proof == "symbolic" else "equal"
            extra = "" if self.proof == "symbolic" else f"; largest relative difference {self.max_difference:.1e}"
            lines = [
                f"correct: {self._subject()} is ∂L/∂{self.wrt} ({how} at {self.points} random points, "
                f"seed {self.seed}{extra})"
            ]
            wrong = self.wrong_line
            if wrong is not None:
                lines.append(
                    f"note: line {wrong.line} ({wrong.text}) is not {wrong.checks}, "
                    "but the answer does not depend on it"
                )
            return "\n".join(lines)
        c = self.counterexample
        assert c is not None
        lines = [f"incorrect: {self._subject()} is not ∂L/∂{self.wrt}"]
        wrong = self.wrong_line
        if wrong is not None and len(self.lines) > 1:
            lines.append(f"first wrong line: line {wrong.line}, {wrong.text} (it is not {wrong.checks})")
        lines.append(f"counterexample (point {c.point} of {self.points}, seed {self.seed}):")
        if self.batch > 1 and self.images:
            lines.append(
                f"  (a batch of {self.batch} samples: a row of x (row-major) and y each here; in the formula an image "
                "has a row per channel, each sample's positions in turn)"
            )
        elif self.batch > 1:
            lines.append(f"  (a batch of {self.batch} samples: a row of x and y each here, a column each in the formula)")
        width = max(len(name) for name in c.inputs)
        for name, value in c.inputs.items():
            lines.append(f"  {name.ljust(width)} = {_format(value)}")
        got = "no real value" if c.formula_value is None else c.formula_text
        if c.line is not None and len(self.lines) > 1:
            lines.append(f"  at {c.entry} line {c.line} gives {got}; the true value is {c.true_text}")
        else:
            lines.append(f"  at {c.entry} the formula gives {got}; the true value is {c.true_text}")
        if self.diagnosis is not None:
            lines.append(f"diagnosis: {self.diagnosis.message}")
        else:
            lines.append(
                "diagnosis: none of the classic mistakes matches; "
                "compare with `symbackprop derive … --wrt " + self.wrt.split("[")[0] + "`"
            )
        if self.entries is not None and 0 < self.entries.right < self.entries.total:
            lines.append(f"partial credit {self.score:.2f}: the answer is {self.entries.summary}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def _subject(self) -> str:
        """The formula, or for a derivation its answer line."""
        if len(self.lines) > 1:
            last = self.lines[-1]
            return f"the derivation's answer (line {last.line}: {last.text})"
        return self.formula


def sentence(text: str) -> str:
    """``text`` as a sentence: a capital, a full stop.  Only a Latin letter is capitalised:
    σ'(z) must not become Σ'(z), which is another symbol.

    >>> sentence("the factor is missing"), sentence("σ(z) where σ'(z) belongs")
    ('The factor is missing.', "σ(z) where σ'(z) belongs.")
    """
    first = text[:1]
    return (first.upper() if first.isascii() else first) + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def describe_entries(shape: tuple[int, int], wrong: list[tuple[int, int]], name: str) -> str:
    """'right in 6 of 8 entries: row 2 is wrong', in the words a student reads (1-based)."""
    rows, cols = shape
    total = rows * cols
    right = total - len(wrong)
    head = f"right in {right} of {total} entries"
    if not wrong:
        return head
    if right == 0:
        return f"{head}: every entry is wrong"
    wrong_set = set(wrong)
    full_rows = [i for i in range(rows) if all((i, j) in wrong_set for j in range(cols))]
    full_cols = [j for j in range(cols) if all((i, j) in wrong_set for i in range(rows))]
    if cols > 1 and {(i, j) for i in full_rows for j in range(cols)} == wrong_set:
        return f"{head}: {_listed('row', full_rows)} wrong"
    if rows > 1 and cols > 1 and {(i, j) for j in full_cols for i in range(rows)} == wrong_set:
        return f"{head}: {_listed('column', full_cols)} wrong"
    labels = [entry_label(name, where, cols) for where in wrong]
    shown = labels if len(labels) <= 4 else [*labels[:3], f"{len(labels) - 3} more"]
    verb = "is" if len(labels) == 1 else "are"
    return f"{head}: {_and(shown)} {verb} wrong"


def entry_label(name: str, where: tuple[int, int], columns: int | None = None) -> str:
    """``W1[2,1]`` for a matrix, ``b1[2]`` for a vector (1-based); ``columns`` tells a matrix
    (an image such as dA1, 4×4) from a vector where the name does not."""
    matrix = name[0] == "W" or name.startswith("dW") or (columns is not None and columns > 1)
    if matrix:
        return f"{name}[{where[0] + 1},{where[1] + 1}]"
    return f"{name}[{where[0] + 1}]"


def _listed(word: str, numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"{word} {numbers[0] + 1} is"
    return f"{word}s {_and([str(n + 1) for n in numbers])} are"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _diagnosis_dict(diagnosis: Diagnosis | None) -> dict[str, str] | None:
    return None if diagnosis is None else {"name": diagnosis.name, "message": diagnosis.message}


def _json_number(value: float) -> float | None:
    """JSON has no infinity: a difference where the formula has no value is null."""
    return None if value == float("inf") else value


def _format(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return f"{value:g}"
