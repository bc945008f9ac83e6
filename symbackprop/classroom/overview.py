"""What the class got right and wrong, for the teacher: a score histogram and the most common
diagnoses per question, so the next lecture can re-teach what most students missed.

    DIR/overview/scores.png     the students' scores (mean over the questions), 10 bins
    DIR/overview/overview.md    class mean, per question: mean score, verdicts, top diagnoses
    DIR/overview/totals.csv     student,score: one row per roster id, for a gradebook's import
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..symbols import Wrt
from .wording import spreadsheet_cell

TOP = 3


def summary(grades: Any) -> str:
    """The overview as Markdown (``grades`` is a Grades)."""
    students = [s for s in grades.students if s.on_roster]
    scores = [s.score for s in students]
    mean = sum(scores) / len(scores) if scores else 0.0
    out = ["# Class overview", "",
           f"{len(students)} students; mean score {mean:.2f} (of 1); "
           f"{sum(score == 1 for score in scores)} with every question right.", "",
           "![scores](scores.png)", ""]
    unknown = [s.student for s in grades.students if not s.on_roster]
    if unknown:
        out += [f"Folders not on the roster (not graded): {', '.join(unknown)}.", ""]
    for number, shown, mean_score, mistakes in per_question(grades):
        verdicts = Counter(q.verdict for s in students for q in s.questions if q.question == number)
        out += [f"## Question {number} ({shown})", "",
                f"Mean score {mean_score:.2f}; "
                + ", ".join(f"{n} {verdict}" for verdict, n in sorted(verdicts.items())) + ".", ""]
        if mistakes:
            out += ["| most common diagnoses | students |", "|---|---|"]
            out += [f"| {name} | {n} |" for name, n in mistakes]
            out.append("")
    return "\n".join(out)


def per_question(grades: Any) -> list[tuple[int, str, float, list[tuple[str, int]]]]:
    """(question, what it asks, mean score, most common diagnoses with their counts) per question."""
    students = [s for s in grades.students if s.on_roster]
    out = []
    for number in sorted({q.question for s in students for q in s.questions}):
        asked = [q for s in students for q in s.questions if q.question == number]
        shown = asked_about(q.wrt for q in asked)
        mistakes = Counter(q.diagnosis for q in asked if q.verdict == "incorrect" and q.diagnosis)
        out.append((number, shown, sum(q.score for q in asked) / len(asked), mistakes.most_common(TOP)))
    return out


def asked_about(wrts: Iterable[str]) -> str:
    """What a question asks the class, in words.

    >>> asked_about(["W2", "W2"])
    '∂L/∂W2'
    >>> asked_about(["W2[1,2]", "W2[2,1]", "W2[1,2]"])
    '∂L/∂ an entry of W2, 2 different ones'
    >>> asked_about(["b1[2]", "b2[1]"])
    '∂L/∂ an entry of b1 or b2, 2 different ones'
    """
    asked = sorted(set(wrts))
    if len(asked) == 1:
        return f"∂L/∂{asked[0]}"
    names = sorted({str(Wrt.parse(wrt).parameter) for wrt in asked})
    return f"∂L/∂ an entry of {' or '.join(names)}, {len(asked)} different ones"


def histogram_png(grades: Any) -> bytes:
    """The score histogram as PNG bytes (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    scores = [s.score for s in grades.students if s.on_roster]
    figure = Figure(figsize=(6, 3.6), dpi=100)
    axes = figure.add_subplot()
    axes.hist(scores, bins=[i / 10 for i in range(11)], color="#4c72b0", edgecolor="white")
    axes.set_xlim(0, 1)
    axes.set_xlabel("score (mean over the questions)")
    axes.set_ylabel("students")
    axes.set_title(f"Scores of {len(scores)} students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    # No date or software version in the file: the same grades give the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def totals_csv(grades: Any) -> str:
    """Each roster id's score (the mean over the questions), in roster order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("student", "score"))
    writer.writerows((spreadsheet_cell(s.student), format(s.score, "g")) for s in grades.students if s.on_roster)
    return buffer.getvalue()


def overview_files(grades: Any, folder: Path) -> list[tuple[Path, str | bytes]]:
    """The overview's files and their contents, for the caller to write."""
    return [(folder / "overview.md", summary(grades)), (folder / "scores.png", histogram_png(grades)),
            (folder / "totals.csv", totals_csv(grades))]
