"""One answer judged: the formula through ``symbackprop.verify`` within a time limit, the value
against the tolerance, and the two combined into a score, a verdict and sentences for the student.

The time limit is enforced by a timer signal in the process that judges
(:mod:`symbackprop.timer`; SymPy and mpmath are pure Python, so the signal
interrupts them): a
formula that takes longer is a row with the verdict ``unreadable``, and the
run goes on.

>>> from symbackprop.models import two_two_two
>>> from symbackprop.classroom.answers import Answer
>>> from symbackprop.classroom.variants import Question
>>> q = Question(1, "W1", [[0.0, 0.0], [0.0, 0.0]], "delta1 @ x.T")
>>> g = judge(two_two_two(), q, Answer(1, "W1", "python", "(W2.T @ delta2) @ x.T"), Settings())
>>> g.verdict, g.score, g.diagnosis
('incorrect', 0.0, 'missing-derivative')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import AnswerShapeError, DataError, ShapeError, SymbackpropError
from ..spec import Network
from ..timer import TimedOut, time_limit
from ..verification.verdict import sentence
from .answers import Answer, check_value
from .variants import Question


@dataclass(frozen=True)
class Settings:
    """How answers are graded: seconds per formula, the value's tolerance and its share of the score."""

    time_limit: float = 10.0
    tolerance: float = 0.005
    value_weight: float = 0.25

    def __post_init__(self) -> None:
        checks = (("the time limit", self.time_limit, 0.0, 600.0, False),
                  ("the tolerance", self.tolerance, 0.0, 1.0, False),
                  ("the value weight", self.value_weight, 0.0, 1.0, True))
        for name, value, low, high, low_included in checks:
            number = None if isinstance(value, bool) or not isinstance(value, int | float) else value
            # NaN fails every comparison, so it is refused too.
            fits = number is not None and (low <= number if low_included else low < number) and number <= high
            if not fits:
                bound = "from" if low_included else "above"
                raise DataError(f"{name} must be a number {bound} {low:g} up to {high:g}, got {value!r:.40}")

    def describe(self) -> str:
        return (f"formula judged by symbackprop.verify (8 points, seed 0), at most {self.time_limit:g} s; "
                f"value right within {self.tolerance * 100:g}% of the largest entry; "
                f"a value, when given, worth {self.value_weight:g} of a question")


@dataclass(frozen=True)
class QuestionGrade:
    """The grade of one question: what grades.csv says, and what the feedback file says."""

    question: int
    wrt: str
    score: float
    verdict: str  # correct | incorrect | unreadable | missing | rejected
    diagnosis: str  # a diagnosis name, or the reason of a verdict that is not judged
    sentences: tuple[str, ...] = ()  # feedback, in words a student reads
    first_wrong_line: int | None = None
    counterexample: dict[str, Any] | None = None  # inputs where the formula fails

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionGrade:
        data = dict(data)
        data["sentences"] = tuple(data.get("sentences", ()))
        return cls(**data)


@dataclass(frozen=True)
class FormulaResult:
    score: float
    verdict: str
    diagnosis: str
    sentences: tuple[str, ...]
    first_wrong_line: int | None = None
    counterexample: dict[str, Any] | None = None
    wrong: tuple[str, ...] | None = None  # labels of the wrong entries (None: nothing could be judged)

    def entry_right(self, label: str) -> bool:
        """Whether the entry ``label`` (``W1[1,2]``) of the answer is right."""
        return self.wrong is not None and label not in self.wrong


# Many students write the same formula: judge each (network, wrt, syntax, formula) once per process.
_judged: dict[tuple[str, str, str, str], FormulaResult] = {}


def judge_formula(network: Network, wrt: str, syntax: str, formula: str, seconds: float) -> FormulaResult:
    """The formula's score and verdict, from ``symbackprop.verify`` (never raises)."""
    key = (repr(network.to_spec()), wrt, syntax, formula)
    if key not in _judged:
        _judged[key] = _judge_formula(network, wrt, syntax, formula, seconds)
    return _judged[key]


def _judge_formula(network: Network, wrt: str, syntax: str, formula: str, seconds: float) -> FormulaResult:
    from ..verification import verify

    try:
        with time_limit(seconds):
            verdict = verify(network, wrt, formula, syntax=syntax, symbolic=False)
    except TimedOut:
        return FormulaResult(0.0, "unreadable", f"judging the formula took longer than {seconds:g} s",
                             (f"Your formula could not be judged within {seconds:g} s; write it more simply.",))
    except ShapeError as exc:
        # Read, but its shapes do not fit: a mistake to learn from, not a typing error.
        said = " ".join(str(exc).split())
        transposed = isinstance(exc, AnswerShapeError) and exc.given == exc.expected[::-1]
        return FormulaResult(0.0, "incorrect", "transposed" if transposed else "shape-mismatch",
                             (sentence(f"Your formula's shapes do not fit: {said}"),))
    except SymbackpropError as exc:
        reason = " ".join(str(exc).split())
        return FormulaResult(0.0, "unreadable", reason, (sentence(f"Your formula cannot be read: {reason}"),))
    except Exception as exc:  # noqa: BLE001 - a grader's bug must cost one row, not the class's run
        reason = f"the grader failed on this formula ({type(exc).__name__}); a teacher should look at it"
        return FormulaResult(0.0, "unreadable", reason, (sentence(f"Your formula could not be judged: {reason}"),))
    if verdict.correct:
        return FormulaResult(1.0, "correct", "", (verdict.feedback(),), wrong=())
    name = verdict.diagnosis.name if verdict.diagnosis is not None else "no-classic-mistake"
    counter = verdict.counterexample
    example = None
    if counter is not None:
        example = {
            "point": counter.point, "inputs": counter.inputs, "entry": counter.entry,
            "line": counter.line if len(verdict.lines) > 1 else None,
            "formula_value": counter.formula_text or None, "true_value": counter.true_text,
        }
    wrong = verdict.entries.wrong if verdict.entries is not None else (verdict.wrt,)
    return FormulaResult(verdict.score, "incorrect", name, (verdict.feedback(),),
                         verdict.first_wrong_line, example, tuple(wrong))


def judge(network: Network, question: Question, answer: Answer | None, settings: Settings) -> QuestionGrade:
    """Grade one answer (None: the question is not answered) against its question."""
    def grade(score: float, verdict: str, diagnosis: str, sentences: tuple[str, ...] = (), **more: Any):
        return QuestionGrade(question.number, question.wrt, round(score, 4), verdict, diagnosis, sentences, **more)

    if answer is None:
        return grade(0.0, "missing", f"question {question.number} is not answered",
                     (f"Question {question.number} is not in your answers file.",))
    if answer.problem is not None:
        return grade(0.0, answer.verdict, answer.problem, (sentence(answer.problem),))
    if not answer.formula and answer.value is None:
        return grade(0.0, "missing", "no formula and no value given",
                     ("You gave neither a formula nor a value.",))
    weight = settings.value_weight
    if answer.formula:
        formula = judge_formula(network, question.wrt, answer.syntax, answer.formula, settings.time_limit)
    else:
        formula = FormulaResult(0.0, "missing", "no formula given", ("You gave no formula.",))
    sentences = list(formula.sentences)
    if answer.value is None:
        weight, value_score, value_note = 0.0, 0.0, ""  # optional: the formula alone is graded
    else:
        checked = check_value(answer.value, question.value, settings.tolerance)
        value_score, value_note = checked.score, ("" if checked.score == 1 else "value-wrong")
        sentences.append(sentence(checked.message))
    score = (1 - weight) * formula.score + weight * value_score
    if formula.verdict == "unreadable":
        verdict, diagnosis = "unreadable", formula.diagnosis
    elif formula.verdict == "correct" and (value_score == 1 or weight == 0):
        verdict, diagnosis = "correct", ""
    else:
        verdict = "incorrect"
        diagnosis = formula.diagnosis if formula.verdict != "correct" else value_note
    return grade(score, verdict, diagnosis, tuple(sentences),
                 first_wrong_line=formula.first_wrong_line, counterexample=formula.counterexample)
