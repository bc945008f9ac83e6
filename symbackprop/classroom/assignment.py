"""The folder a teacher hands out from: one variant per roster id, and the teacher's key.

    DIR/students/<id>/sheet.md, sheet.html, sheet.pdf, answers.toml
    DIR/key/assignment.json        the network, the class seed, the questions, the roster
    DIR/key/<id>/variant.json      the variant's seed, code, questions and true values
    DIR/key/<id>/sheet.md          the teacher's copy, with the solution key
    DIR/key/<id>/answers.toml      the answers file filled in with a right answer

Everything is made from the network, the class seed and the id, so a
variant written again (``only=``) is the same sheet.  HTML needs KaTeX and
PDF needs LaTeX; by default a format whose tool is missing is left out (and
said so), while a format asked for by name must be possible before work starts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError, UnknownOptionError, UnsupportedError
from ..io import write_unless_same
from ..options import seed as check_seed
from ..spec import Network
from .answers import template, toml_string
from .pool import ordered_map
from .variants import Question, Variant, check_questions, fingerprint, make_variant

FORMAT = "symbackprop-assignment/1"
FORMATS = ("md", "html", "pdf")


@dataclass(frozen=True)
class Assignment:
    """What a grader needs to know about an assignment folder (``key/assignment.json``)."""

    folder: Path
    network: Network
    seed: int
    questions: tuple[str, ...] | None  # None: each sheet's own exercises
    students: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "network": self.network.to_spec(),
            "fingerprint": fingerprint(self.network),
            "seed": self.seed,
            "questions": None if self.questions is None else list(self.questions),
            "students": list(self.students),
        }

    @property
    def manifest(self) -> Path:
        return self.folder / "key" / "assignment.json"

    def key_folder(self, student: str) -> Path:
        return self.folder / "key" / student

    def student_folder(self, student: str) -> Path:
        return self.folder / "students" / student

    def variant_of(self, student: str) -> dict[str, Any]:
        """``student``'s variant as the key keeps it (seed, code, questions, example)."""
        path = self.key_folder(student) / "variant.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["questions"] = [Question.from_dict(q) for q in data["questions"]]
            return data
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"the key of {student} ({str(path)!r}) cannot be read: {exc}") from None


def load_assignment(folder: str | Path) -> Assignment:
    """The assignment in ``folder``, as ``write_assignment`` left it."""
    folder = Path(folder)
    path = folder / "key" / "assignment.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"{str(folder)!r} is not an assignment folder: it has no key/assignment.json "
            "(make one with symbackprop assignment)"
        ) from None
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"{str(path)!r} is not a symbackprop assignment ({FORMAT})")
    questions = data.get("questions")
    return Assignment(
        folder,
        Network.from_spec(data["network"]),
        int(data["seed"]),
        None if questions is None else tuple(questions),
        tuple(data["students"]),
    )


def available_formats(requested: Sequence[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(formats to write, formats left out for a missing tool, each with the reason said)."""
    from ..worksheets import MissingToolError

    wanted = tuple(requested) if requested else FORMATS
    for fmt in wanted:
        if fmt not in FORMATS:
            raise UnknownOptionError(f"unknown sheet format {fmt!r:.20}; expected md, html or pdf")
    left_out: list[str] = []
    keep: list[str] = []
    for fmt in wanted:
        try:
            _probe(fmt)
            keep.append(fmt)
        except MissingToolError as exc:
            if requested:
                raise
            left_out.append(f"{fmt}: {exc}")
    return tuple(keep), tuple(left_out)


def _probe(fmt: str) -> None:
    if fmt == "html":
        from ..worksheets.katex import find_katex

        find_katex()
    elif fmt == "pdf":
        from ..worksheets.tools import require

        require("latexmk")
        require("pdflatex")


def key_answers(variant: Variant) -> str:
    """The answers file filled in with the key's formulas and values."""
    lines = [f"student = {toml_string(variant.student)}", f"code = {toml_string(variant.code)}"]
    for q in variant.questions:
        lines += ["", "[[answer]]", f"question = {q.number}", f"wrt = {toml_string(q.wrt)}",
                  'syntax = "python"', f"formula = {toml_string(q.reference)}",
                  f"value = {json.dumps(q.value)}"]
    return "\n".join(lines) + "\n"


def variant_record(variant: Variant) -> dict[str, Any]:
    """What the key keeps of a variant: its seed, code, questions, the example's given numbers,
    and the version that made it (a later version may make another sheet from the same code)."""
    from .. import __version__

    values = variant.sheet.values
    return {
        "made_by": f"symbackprop {__version__}",
        "student": variant.student,
        "seed": variant.seed,
        "code": variant.code,
        "questions": [q.to_dict() for q in variant.questions],
        "example": {
            "x": list(values.x),
            "y": list(values.y),
            "params": {name: value.tolist() for name, value in values.params.items()},
        },
    }


def variant_files(variant: Variant, formats: Sequence[str]) -> dict[str, str | bytes]:
    """Every file of one variant, by path relative to the assignment folder."""
    from ..worksheets import render

    student, key = f"students/{variant.student}", f"key/{variant.student}"
    sheet = variant.student_sheet()  # the student's name on the name line, the code and its QR code
    files: dict[str, str | bytes] = {f"{student}/sheet.{fmt}": render(sheet, fmt) for fmt in formats}
    files[f"{student}/answers.toml"] = template(variant)
    files[f"{key}/variant.json"] = json.dumps(variant_record(variant), indent=1) + "\n"
    files[f"{key}/sheet.md"] = render(variant.sheet, "md")
    files[f"{key}/answers.toml"] = key_answers(variant)
    return files


# The worker's share of the work: set once per process by _start.
_job: dict[str, Any] = {}


def _start(spec: dict[str, Any], seed: int, questions: tuple[str, ...] | None, folder: str,
           formats: tuple[str, ...], force: bool) -> None:
    _job.update(network=Network.from_spec(spec), seed=seed, questions=questions, folder=Path(folder),
                formats=formats, force=force)


def _write_variant(student: str) -> str:
    variant = make_variant(_job["network"], _job["seed"], student, _job["questions"])
    for relative, data in variant_files(variant, _job["formats"]).items():
        write_unless_same(_job["folder"] / relative, data, force=_job["force"])
    return variant.code


def write_assignment(
    network: Network,
    roster: Sequence[str],
    folder: str | Path,
    questions: Sequence[str] | None = None,
    seed: int = 0,
    formats: Sequence[str] | None = None,
    only: str | None = None,
    force: bool = False,
    jobs: int = 1,
) -> tuple[Assignment, tuple[str, ...]]:
    """Write the assignment folder; returns it and the formats left out (with the reason).

    ``only`` writes one student's variant again.  A file that comes out the
    same is left as it is; a different file in its place is replaced only
    with ``force`` (a PDF always differs: pdflatex dates it).
    """
    seed = check_seed(seed, "the class seed")
    check_classroom_network(network)
    asked = check_questions(network, questions) if questions else None
    folder = Path(folder)
    if not folder.parent.is_dir():
        raise DataError(f"cannot write {str(folder)!r}: the folder {str(folder.parent)!r} does not exist")
    if folder.exists() and not folder.is_dir():
        raise DataError(f"cannot write {str(folder)!r}: it is a file, not a folder")
    assignment = Assignment(folder, network, seed, asked, tuple(roster))
    students = assignment.students
    if only is not None:
        if only not in students:
            raise DataError(f"{only!r:.80} is not on the roster; its ids are {', '.join(students[:5])}"
                            + (", …" if len(students) > 5 else ""))
        students = (only,)
    _check_same_assignment(assignment)
    made, left_out = available_formats(formats)
    manifest = json.dumps(assignment.to_dict(), indent=1) + "\n"
    (folder / "key").mkdir(parents=True, exist_ok=True)
    for student in students:
        (folder / "students" / student).mkdir(parents=True, exist_ok=True)
        (folder / "key" / student).mkdir(parents=True, exist_ok=True)
    write_unless_same(assignment.manifest, manifest, force=force)
    init = (network.to_spec(), seed, asked, str(folder), made, force)
    for _ in ordered_map(_write_variant, students, jobs, _start, init):
        pass
    return assignment, left_out


def check_classroom_network(network: Network) -> None:
    """Refuse, before anything is written, a network whose sheets have no per-student variants.

    A class's variants draw each student's numbers for the MLP worksheet; the sheets
    of the other layer kinds (``symbackprop worksheet``) draw theirs from the seed alone.
    """
    others = sorted({layer.kind for layer in network.layers if layer.kind != "dense"})
    if others:
        raise UnsupportedError(
            f"a class assignment is made of MLP worksheets (dense layers, optionally l2), but this "
            f"network has {', '.join(others)}; write its worksheet with 'symbackprop worksheet --seed S' instead"
        )


def _check_same_assignment(assignment: Assignment) -> None:
    """Refuse to mix two assignments (another network, seed, questions or roster) in one folder."""
    if not assignment.manifest.exists():
        return
    old = load_assignment(assignment.folder)
    if old.to_dict() != assignment.to_dict():
        raise DataError(
            f"{str(assignment.folder)!r} already holds an assignment with another network, seed, "
            "questions or roster; choose a new folder"
        )


def write_variant(
    network: Network,
    code: str,
    folder: str | Path,
    questions: Sequence[str] | None = None,
    formats: Sequence[str] = ("md",),
    force: bool = False,
) -> tuple[str, int]:
    """The variant a sheet code names, written into ``folder`` as the assignment lays it out.

    Returns (student id, class seed).
    """
    from .variants import read_code

    check_classroom_network(network)
    asked = check_questions(network, questions) if questions else None
    class_seed, student = read_code(network, code, asked)
    made, _ = available_formats(formats)
    folder = Path(folder)
    if not folder.parent.is_dir():
        raise DataError(f"cannot write {str(folder)!r}: the folder {str(folder.parent)!r} does not exist")
    for sub in (f"students/{student}", f"key/{student}"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    variant = make_variant(network, class_seed, student, asked)
    for relative, data in variant_files(variant, made).items():
        write_unless_same(folder / relative, data, force=force)
    return student, class_seed
