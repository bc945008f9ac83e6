"""nbgrader and Otter-Grader, run for real: an assignment notebook per variant, the students'
answers put in as a student would, the tools' own autograde, and the scores they give.

One student's notebook asks four questions and answers each with a different kind of answer:
W1 transposed (half its entries right), W2 with σ' left out, b1 right, b2 unreadable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from symbackprop import models
from symbackprop.classroom.assignment import write_assignment
from symbackprop.classroom.platforms import export

BIN = Path(sys.executable).parent
QUESTIONS = ["W1", "W2", "b1", "b2"]
ANSWERS = {
    1: "x @ delta1.T",  # transposed: W1 is 2×2, so its diagonal is right
    2: "(a2 - y) @ a1.T",  # σ'(z⁽²⁾) left out
    3: "(W2.T @ delta2) * a1 * (1 - a1)",  # right
    4: "delta2 @@ a1",  # not a formula
}
EXPECTED = [0.5, 0.0, 1.0, 0.0]


def _tool(name: str) -> Path:
    tool = BIN / name
    if not tool.exists():
        pytest.skip(f"{name} is not installed here; make test installs it (pip install -e '.[classroom]')")
    return tool


def _run(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # nbgrader runs alembic
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks") / "course"
    write_assignment(models.two_two_two(), ("ada",), folder, questions=QUESTIONS, seed=11, formats=["md"])
    return folder


def _answer(notebook: Path, submission: Path, blank: str) -> None:
    """The student's copy with each blank answer replaced, as a student types it."""
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        for n, formula in ANSWERS.items():
            source = source.replace(blank.format(n=n), f"ANSWER_{n} = {formula!r}")
        cell["source"] = source
    submission.parent.mkdir(parents=True, exist_ok=True)
    submission.write_text(json.dumps(nb))


@pytest.mark.slow
def test_nbgrader_autograde_gives_the_verify_scores(course, tmp_path):
    nbgrader = _tool("nbgrader")
    out = tmp_path / "nbgrader"
    export(course, "nbgrader", out)
    _run(nbgrader, "generate_assignment", "backprop-ada", "--force", cwd=out)
    release = out / "release" / "backprop-ada" / "backprop.ipynb"
    assert "BEGIN SOLUTION" not in release.read_text()  # the key is not handed out
    _answer(release, out / "submitted" / "ada" / "backprop-ada" / "backprop.ipynb", 'ANSWER_{n} = ""')
    _run(nbgrader, "autograde", "backprop-ada", "--create", "--force", cwd=out)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        scores = [gradebook.find_grade(f"test_{n}", "backprop", "backprop-ada", "ada").score for n in (1, 2, 3, 4)]
        total = gradebook.find_submission("backprop-ada", "ada").score
    assert scores == EXPECTED and total == sum(EXPECTED)
    graded = (out / "autograded" / "ada" / "backprop-ada" / "backprop.ipynb").read_text()
    assert "σ'(z⁽²⁾) is missing" in graded  # the feedback the test cell printed


@pytest.mark.slow
def test_otter_run_gives_partial_credit_entry_by_entry(course, tmp_path):
    otter = _tool("otter")
    out = tmp_path / "otter"
    export(course, "otter", out)
    folder = out / "ada"
    _run(otter, "assign", "backprop.ipynb", "dist", cwd=folder)
    student = folder / "dist" / "student" / "backprop.ipynb"
    assert "SOLUTION" not in student.read_text()
    _answer(student, tmp_path / "submission" / "backprop.ipynb", "ANSWER_{n} = ...")
    (zipped,) = (folder / "dist" / "autograder").glob("*.zip")
    results = tmp_path / "results"
    results.mkdir()
    _run(otter, "run", "-a", zipped, "-o", results, tmp_path / "submission" / "backprop.ipynb", cwd=tmp_path)
    tests = {t["name"]: t for t in json.loads((results / "results.json").read_text())["tests"]}
    assert [tests[f"q{n}"]["score"] for n in (1, 2, 3, 4)] == EXPECTED
    assert "W1[1,2] is not right" in tests["Public Tests"]["output"]
