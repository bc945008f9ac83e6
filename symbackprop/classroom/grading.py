"""Grading a class: every roster id's answers.toml judged, into grades.csv and a feedback file each.

Every problem is a row, never a stop: a missing, empty or unreadable file,
an answers file naming another student, a folder that is not on the roster,
two folders for one student, a question answered twice, a formula that
cannot be read or takes too long.  Rows come in roster order, then question
order (unknown folders last, by name), so the same inputs give the same CSV
byte for byte.

Grading is resumable: each student's grade is kept in
``DIR/grading/<id>.json`` with a key made of everything it depends on (the
grader's version, the settings, the student's key and the bytes handed in);
a run after an interruption, or after a few late submissions, judges only
what changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, SymbackpropError
from ..io import check_output_path, read_text, write_files_unless_same, write_unless_same
from ..spec import Network
from ..verification.verdict import sentence
from .answers import MAX_ANSWERS_BYTES, Answers, file_problem, read_answers
from .assignment import Assignment, load_assignment
from .judging import QuestionGrade, Settings, judge
from .pool import ordered_map
from .variants import Question
from .wording import spreadsheet_cell

GRADER_VERSION = "1"
HEADER = ("student", "question", "wrt", "score", "verdict", "diagnosis")
ANSWERS = "answers.toml"


@dataclass(frozen=True)
class StudentGrade:
    """One student's grades; ``notes`` are said in the feedback only (e.g. an extra answer)."""

    student: str
    code: str
    questions: tuple[QuestionGrade, ...]
    notes: tuple[str, ...] = ()
    on_roster: bool = True

    @property
    def score(self) -> float:
        """The mean score over the questions."""
        return round(sum(q.score for q in self.questions) / len(self.questions), 4) if self.questions else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"student": self.student, "code": self.code, "notes": list(self.notes),
                "on_roster": self.on_roster, "questions": [q.to_dict() for q in self.questions]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudentGrade:
        return cls(data["student"], data["code"], tuple(QuestionGrade.from_dict(q) for q in data["questions"]),
                   tuple(data["notes"]), data["on_roster"])


@dataclass(frozen=True)
class Grades:
    """A class's grades: one StudentGrade per roster id, then one per unknown folder."""

    assignment: Assignment
    students: tuple[StudentGrade, ...]
    settings: Settings
    judged: int = 0  # students judged in this run (the others came from the kept grades)
    written: tuple[Path, ...] = field(default=())

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        out = []
        for s in self.students:
            if not s.on_roster:
                out.append((s.student, "", "", "0", "rejected", s.notes[0] if s.notes else "not on the roster"))
            for q in s.questions:
                out.append((s.student, str(q.question), q.wrt, _number(q.score), q.verdict, q.diagnosis))
        return out

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HEADER)
        for row in self.rows():
            writer.writerow([spreadsheet_cell(cell) for cell in row])
        return buffer.getvalue()


def _number(score: float) -> str:
    """0.5, 1, 0.3333: short and the same on every machine."""
    return format(round(score, 4), "g")


# -- finding what was handed in ---------------------------------------------------------


@dataclass(frozen=True)
class Handed:
    """What one roster id handed in: the text, or the problem that stands for it."""

    student: str
    text: str | None
    problem: tuple[str, str] | None  # (verdict, reason)
    digest: str


def collect(assignment: Assignment, submissions: Path) -> tuple[list[Handed], list[str]]:
    """Each roster id's submission, and the folders in ``submissions`` that match no roster id."""
    if not submissions.is_dir():
        raise DataError(f"cannot read the submissions {str(submissions)!r}: it is not a folder")
    folders = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    by_fold: dict[str, list[str]] = {}
    for name in folders:
        by_fold.setdefault(name.casefold(), []).append(name)
    roster = {s.casefold(): s for s in assignment.students}
    unknown = [name for name in folders if name.casefold() not in roster]
    handed = []
    for student in assignment.students:
        found = by_fold.get(student.casefold(), [])
        if len(found) > 1:
            reason = f"{len(found)} folders hand in for {student}: {', '.join(found)}; keep one"
            handed.append(Handed(student, None, ("rejected", reason), _digest(reason)))
            continue
        if not found:
            reason = f"nothing was handed in (no folder {student}/ in the submissions)"
            handed.append(Handed(student, None, ("missing", reason), _digest(reason)))
            continue
        path = submissions / found[0] / ANSWERS
        if not path.exists():
            reason = f"the folder {found[0]}/ holds no {ANSWERS}"
            handed.append(Handed(student, None, ("missing", reason), _digest(reason)))
            continue
        try:
            text = read_text(path, "answers file", MAX_ANSWERS_BYTES)
        except SymbackpropError as exc:
            reason = str(exc).replace(str(path), f"{found[0]}/{ANSWERS}")
            handed.append(Handed(student, None, ("unreadable", reason), _digest(reason)))
            continue
        handed.append(Handed(student, text, None, _digest(text)))
    return handed, unknown


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# -- grading one student (in a worker) ----------------------------------------------------

_job: dict[str, Any] = {}


def _start(spec: dict[str, Any], settings: Settings) -> None:
    _job.update(network=Network.from_spec(spec), settings=settings)


def _grade_one(task: tuple[Handed, str, tuple[Question, ...]]) -> StudentGrade:
    handed, code, questions = task
    return grade_student(_job["network"], handed, code, questions, _job["settings"])


def grade_student(
    network: Network, handed: Handed, code: str, questions: Sequence[Question], settings: Settings
) -> StudentGrade:
    """Grade what one student handed in (never raises for what they wrote)."""
    if handed.problem is not None:
        answers = file_problem(handed.student, *handed.problem)
    else:
        answers = read_answers(handed.text or "", handed.student, questions)
    if answers.verdict is not None:
        reason = answers.reason or ""
        said = sentence(reason)
        grades = tuple(QuestionGrade(q.number, q.wrt, 0.0, answers.verdict, reason, (said,)) for q in questions)
        return StudentGrade(handed.student, code, grades)
    return StudentGrade(
        handed.student, code,
        tuple(judge(network, q, _answer(answers, q), settings) for q in questions),
        answers.notes,
    )


def _answer(answers: Answers, question: Question):
    return answers.answers.get(question.number)


# -- the whole class -----------------------------------------------------------------------


def grade(
    folder: str | Path,
    submissions: str | Path,
    output: str | Path,
    settings: Settings | None = None,
    jobs: int = 1,
    force: bool = False,
) -> Grades:
    """Grade every roster id of the assignment in ``folder``; write grades.csv, feedback, overview."""
    from .feedback import feedback_markdown
    from .overview import overview_files

    settings = settings or Settings()
    assignment = load_assignment(folder)
    output = Path(output)
    if not (output.exists() and not force):
        check_output_path(output, force)
    handed, unknown = collect(assignment, Path(submissions))
    keep = assignment.folder / "grading"
    keep.mkdir(exist_ok=True)
    (assignment.folder / "feedback").mkdir(exist_ok=True)
    (assignment.folder / "overview").mkdir(exist_ok=True)

    variants = {h.student: _variant(assignment, h.student) for h in handed}
    results: dict[str, StudentGrade] = {}
    todo = []
    for h in handed:
        code, questions, key_digest = variants[h.student]
        cache_key = _cache_key(assignment, settings, key_digest, h.digest)
        kept = _kept(keep / f"{h.student}.json", cache_key)
        if kept is not None:
            results[h.student] = kept
        else:
            todo.append(((h, code, questions), cache_key))
    init = (assignment.network.to_spec(), settings)
    tasks = [task for task, _ in todo]
    for (_, cache_key), result in zip(todo, ordered_map(_grade_one, tasks, jobs, _start, init), strict=True):
        results[result.student] = result
        # Kept as soon as judged, so an interrupted run resumes here.
        write_unless_same(keep / f"{result.student}.json",
                          json.dumps({"key": cache_key, "grade": result.to_dict()}) + "\n",
                          force=True)
    students = [results[h.student] for h in handed]
    students += [StudentGrade(name, "", (), (f"the folder {name}/ is not on the roster",), on_roster=False)
                 for name in unknown]
    grades = Grades(assignment, tuple(students), settings, len(todo))
    files = [(output, grades.csv())]
    files += [(assignment.folder / "feedback" / f"{s.student}.md", feedback_markdown(s, settings))
              for s in students if s.on_roster]
    files += overview_files(grades, assignment.folder / "overview")
    # All or nothing: a refused run leaves grades.csv and every feedback file as they were.
    write_files_unless_same(files, force=force)
    return Grades(assignment, tuple(students), settings, len(todo), tuple(path for path, _ in files))


def _variant(assignment: Assignment, student: str) -> tuple[str, tuple[Question, ...], str]:
    """The code and questions of ``student``'s variant, and a digest of them for the kept grade's key."""
    data = assignment.variant_of(student)
    questions = tuple(data["questions"])
    return data["code"], questions, _digest(json.dumps([data["code"], [q.to_dict() for q in questions]]))


def _cache_key(assignment: Assignment, settings: Settings, key_digest: str, handed_digest: str) -> str:
    parts = [GRADER_VERSION, json.dumps(assignment.to_dict(), sort_keys=True),
             json.dumps(settings.__dict__, sort_keys=True), key_digest, handed_digest]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _kept(path: Path, key: str) -> StudentGrade | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return StudentGrade.from_dict(data["grade"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


__all__ = ["HEADER", "Grades", "Settings", "StudentGrade", "collect", "grade", "grade_student"]
