"""Class assignments: variants regenerable from the seed and the id, the answers template, the
key, and grading every kind of submission into grades.csv and feedback."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop import models
from symbackprop.classroom.answers import check_value, read_answers
from symbackprop.classroom.assignment import load_assignment, write_assignment
from symbackprop.classroom.grading import HEADER, grade
from symbackprop.classroom.judging import Settings
from symbackprop.classroom.roster import read_roster_text
from symbackprop.classroom.variants import make_variant, read_code, variant_code, variant_seed
from symbackprop.errors import DataError
from tests.classroom_support import answers_file, hand_in, key_entries, wrong_formula

ROSTER = ("ada", "alan", "grace", "kurt", "emmy", "john", "barbara", "edsger", "Hedy", "mallory.b")
WHOLE = ["W2", "W1", "b1"]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("class") / "course"
    write_assignment(models.two_two_two(), ROSTER, folder, questions=WHOLE, seed=7, formats=["md"], jobs=2)
    return folder


# -- variants -------------------------------------------------------------------------------


def test_the_variant_seed_is_the_documented_digest_of_the_class_seed_and_the_id():
    digest = hashlib.sha256(b"symbackprop-variant:7:ada").digest()
    assert variant_seed(7, "ada") == int.from_bytes(digest[:4], "big") >> 1
    assert len({variant_seed(7, s) for s in ROSTER}) == len(ROSTER)
    assert variant_seed(8, "ada") != variant_seed(7, "ada")


def test_a_variant_is_regenerated_from_the_seed_and_the_id_alone():
    net = models.understanding()
    first, again = make_variant(net, 3, "ada"), make_variant(net, 3, "ada")
    other = make_variant(net, 3, "alan")
    assert first.questions == again.questions
    assert first.sheet.values.x == again.sheet.values.x
    assert (first.sheet.values.x, [q.wrt for q in first.questions]) != (
        other.sheet.values.x, [q.wrt for q in other.questions])
    # The questions are the sheet's own exercises, drawn from the variant's seed.
    assert [q.wrt for q in first.questions] == [e.wrt for e in first.sheet.exercises if e.wrt]


def test_the_code_names_the_variant_and_refuses_a_typo_or_another_network():
    net = models.two_two_two()
    code = variant_code(net, 7, "mallory.b")
    assert read_code(net, code) == (7, "mallory.b")
    assert read_code(net, f"  {code} ") == (7, "mallory.b")
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(DataError, match="mistyped, or it was made for another network"):
        read_code(net, typo)
    with pytest.raises(DataError, match="does not belong to the network 2-3-2"):
        read_code(sbp.Network.from_spec({"layers": [2, 3, 2]}), code)
    with pytest.raises(DataError, match="cannot read the sheet code"):
        read_code(net, "ada")
    # An assignment that names its questions gives codes that carry them: the same code
    # without those questions (or with others) is refused, never a wrong answers file.
    named = variant_code(net, 7, "mallory.b", WHOLE)
    assert named != code and read_code(net, named, WHOLE) == (7, "mallory.b")
    for questions in (None, ["W2", "W1"], ["W1", "W2", "b1"]):
        with pytest.raises(DataError, match="or other --questions"):
            read_code(net, named, questions)


def test_each_question_value_is_the_gradient_two_ways(course):
    """The key's value equals a finite difference of a forward pass written here, at the sheet's numbers;
    the key's formula is judged right by verify."""
    net = models.two_two_two()
    variant = make_variant(net, 7, "ada", WHOLE)
    values = variant.sheet.values
    params = {k: np.array(v, dtype=float) for k, v in values.params.items()}
    x, y = np.array(values.x), np.array(values.y)

    def loss(p):
        a1 = 1 / (1 + np.exp(-(p["W1"] @ x + p["b1"])))
        a2 = 1 / (1 + np.exp(-(p["W2"] @ a1 + p["b2"])))
        return 0.5 * np.sum((a2 - y) ** 2)

    for q in variant.questions:
        true = np.array(q.value)
        fd = np.zeros_like(params[q.wrt])
        for index in np.ndindex(fd.shape):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[q.wrt][index] += 1e-6
            down[q.wrt][index] -= 1e-6
            fd[index] = (loss(up) - loss(down)) / 2e-6
        np.testing.assert_allclose(true, fd, rtol=1e-6, atol=1e-10)
        assert sbp.verify(net, q.wrt, q.reference).correct


# -- the assignment folder -------------------------------------------------------------------


def test_the_folder_holds_a_sheet_and_a_template_per_student_and_the_key_apart(course):
    assignment = load_assignment(course)
    assert assignment.students == ROSTER and assignment.seed == 7 and assignment.questions == tuple(WHOLE)
    for student in ROSTER:
        sheet = (course / "students" / student / "sheet.md").read_text()
        code = variant_code(models.two_two_two(), 7, student, WHOLE)
        assert code in sheet and student in sheet
        template = tomllib.loads((course / "students" / student / "answers.toml").read_text())
        assert template["student"] == student and template["code"] == code
        assert [(a["question"], a["wrt"], a["formula"]) for a in template["answer"]] == [
            (1, "W2", ""), (2, "W1", ""), (3, "b1", "")]
        key = json.loads((course / "key" / student / "variant.json").read_text())
        assert key["code"] == code and key["seed"] == variant_seed(7, student)
        assert key["made_by"] == f"symbackprop {sbp.__version__}"
        assert "Key" not in sheet
        assert "Key: the chain" in (course / "key" / student / "sheet.md").read_text()


def test_writing_again_needs_force_and_only_rewrites_one_student(course, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    net = models.two_two_two()
    write_assignment(net, ROSTER, copy, questions=WHOLE, seed=7, formats=["md"])  # the same files
    (copy / "students" / "kurt" / "sheet.md").write_text("edited")
    with pytest.raises(DataError, match="sheet.md' already exists; pass --force"):
        write_assignment(net, ROSTER, copy, questions=WHOLE, seed=7, formats=["md"])
    with pytest.raises(DataError, match="another network, seed, questions or roster"):
        write_assignment(net, ROSTER, copy, questions=WHOLE, seed=8, formats=["md"], force=True)
    (copy / "students" / "ada" / "sheet.md").unlink()
    (copy / "key" / "ada" / "variant.json").unlink()
    before = (copy / "students" / "alan" / "answers.toml").stat().st_mtime_ns
    write_assignment(net, ROSTER, copy, questions=WHOLE, seed=7, formats=["md"], only="ada")
    assert (copy / "students" / "ada" / "sheet.md").read_bytes() == (course / "students" / "ada" / "sheet.md").read_bytes()
    assert (copy / "key" / "ada" / "variant.json").read_bytes() == (course / "key" / "ada" / "variant.json").read_bytes()
    assert (copy / "students" / "alan" / "answers.toml").stat().st_mtime_ns == before
    with pytest.raises(DataError, match="is not on the roster"):
        write_assignment(net, ROSTER, copy, questions=WHOLE, seed=7, formats=["md"], only="nobody")


def test_roster_problems_are_one_sentence_each():
    assert read_roster_text("id\nada\n\nalan\n", "r.csv") == ("ada", "alan")
    for text, message in [("name\nAda\n", "needs a header line with an 'id' column"),
                          ("id\nada\nADA\n", "lists 'ADA' twice"),
                          ("id\n../x\n", "cannot name a folder"),
                          ("id,name\n,Ada\n", "line 2 has no id"),
                          ("id\n", "lists no student")]:
        with pytest.raises(DataError, match=message):
            read_roster_text(text, "r.csv")


# -- grading -----------------------------------------------------------------------------------


def _class_submissions(course: Path, folder: Path) -> None:
    """One submission of every kind (see the expected rows in the test below)."""
    hand_in(folder, "ada", answers_file("ada", key_entries(course, "ada")))
    entries = key_entries(course, "alan")
    wrong = [(n, w, s, wrong_formula(kind, w), None) for (n, w, s, _, _), kind in
             zip(entries[:2], ["missing-derivative", "transposed"], strict=True)]
    hand_in(folder, "alan", answers_file("alan", [*wrong, entries[2][:4] + (None,)]))
    hand_in(folder, "grace", "\n  \n")
    hand_in(folder, "kurt", 'student = "kurt"\n[[answer]\nquestion = 1\n')
    hand_in(folder, "emmy", answers_file("ada", key_entries(course, "ada")))
    (folder / "john").mkdir()
    e = key_entries(course, "barbara")
    hand_in(folder, "barbara", answers_file("barbara", [
        (1, "W2", "python", "__import__('os').system('touch pwned')", None),
        (2, "W1", "python", wrong_formula("unreadable", "W1"), None),
        (2, "W1", "python", e[1][3], None),
        (3, "b1", "latex", r"\left(W^{(2)}\right)^T \delta^{(2)} \odot \sigma'(z^{(1)})", e[2][4]),
    ]))
    hand_in(folder, "edsger", answers_file("edsger", [(1, "W2", "python", e[0][3], None)]))
    hand_in(folder, "hedy", answers_file("Hedy", key_entries(course, "Hedy")))
    hand_in(folder, "HEDY", answers_file("Hedy", key_entries(course, "Hedy")))
    hand_in(folder, "zed", answers_file("zed", []))


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    return {(r["student"], r["question"]): r for r in rows}


def test_every_submission_is_a_row_with_its_verdict_and_reason(course, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    subs = tmp_path / "subs"
    _class_submissions(course, subs)
    grades = grade(course, subs, tmp_path / "grades.csv", Settings(value_weight=0.25), jobs=2)
    text = (tmp_path / "grades.csv").read_text()
    assert text.splitlines()[0] == ",".join(HEADER)
    rows = _rows(tmp_path / "grades.csv")
    assert len(rows) == 3 * len(ROSTER) + 1

    def row(student, q):
        r = rows[(student, str(q))]
        return r["verdict"], float(r["score"]) if r["score"] else None, r["diagnosis"]

    assert [row("ada", q) for q in (1, 2, 3)] == [("correct", 1.0, "")] * 3
    assert row("alan", 1) == ("incorrect", 0.0, "missing-derivative")
    assert row("alan", 2)[::2] == ("incorrect", "transposed")
    assert row("alan", 2)[1] == 0.5  # half the entries right; no value given, so the formula alone
    assert row("alan", 3) == ("correct", 1.0, "")
    assert row("grace", 1) == ("missing", 0.0, "answers.toml is empty")
    assert row("kurt", 2)[0] == "unreadable" and "not valid TOML" in row("kurt", 2)[2]
    assert row("emmy", 1)[0] == "rejected" and "says student = 'ada'" in row("emmy", 1)[2]
    assert row("john", 3) == ("missing", 0.0, "the folder john/ holds no answers.toml")
    assert row("mallory.b", 1)[0] == "missing"
    verdict, _, reason = row("barbara", 1)
    assert verdict == "unreadable" and "may be called" in reason
    assert not (tmp_path / "pwned").exists()
    assert row("barbara", 2)[0] == "rejected" and "answered twice" in row("barbara", 2)[2]
    assert row("barbara", 3) == ("correct", 1.0, "")  # LaTeX formula and a value within the tolerance
    assert row("edsger", 2) == ("missing", 0.0, "question 2 is not answered")
    assert row("Hedy", 1)[0] == "rejected" and "2 folders" in row("Hedy", 1)[2]
    assert rows[("zed", "")]["verdict"] == "rejected"
    assert grades.judged == len(ROSTER)

    feedback = (course / "feedback" / "alan.md").read_text()
    assert "σ'(z⁽²⁾) is missing" in feedback and "Where it fails" in feedback
    assert "right in 2 of 4 entries" in feedback
    overview = (course / "overview" / "overview.md").read_text()
    assert "| missing-derivative | 1 |" in overview
    png = (course / "overview" / "scores.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    totals = dict(line.split(",") for line in (course / "overview" / "totals.csv").read_text().splitlines())
    assert list(totals) == ["student", *ROSTER]  # roster order; folders off the roster are not students
    assert totals["ada"] == "1" and totals["grace"] == "0"
    assert float(totals["alan"]) == pytest.approx((0 + 0.5 + 1) / 3, abs=1e-4)

    # Idempotent: the same inputs give the same bytes, judged from the kept grades.
    again = grade(course, subs, tmp_path / "grades.csv", Settings(value_weight=0.25), jobs=1)
    assert again.judged == 0 and (tmp_path / "grades.csv").read_text() == text
    # Resumable: a student whose kept grade is lost is judged again, to the same result.
    (course / "grading" / "alan.json").unlink()
    (tmp_path / "grades.csv").unlink()
    resumed = grade(course, subs, tmp_path / "grades.csv", Settings(value_weight=0.25), jobs=2)
    assert resumed.judged == 1 and (tmp_path / "grades.csv").read_text() == text
    # A changed submission is judged again; its new feedback replaces the old only with force.
    hand_in(subs, "alan", answers_file("alan", key_entries(course, "alan")))
    feedback_before = (course / "feedback" / "alan.md").read_bytes()
    with pytest.raises(DataError, match="grades.csv' and 4 other files already exist with other content; pass --force"):
        grade(course, subs, tmp_path / "grades.csv", Settings(value_weight=0.25))
    # Refused as a whole: no file was replaced.
    assert (tmp_path / "grades.csv").read_text() == text
    assert (course / "feedback" / "alan.md").read_bytes() == feedback_before
    final = grade(course, subs, tmp_path / "grades.csv", Settings(value_weight=0.25), force=True)
    assert final.judged == 0  # the refused run kept what it judged
    assert _rows(tmp_path / "grades.csv")[("alan", "1")]["verdict"] == "correct"


def test_an_interrupted_run_resumes_where_it_stopped_and_gives_the_same_csv(course, tmp_path, monkeypatch):
    import symbackprop.classroom.grading as grading

    copy = tmp_path / "course"
    shutil.copytree(course, copy, ignore=shutil.ignore_patterns("grading", "feedback", "overview"))
    _class_submissions(copy, tmp_path / "subs")
    whole = grade(copy, tmp_path / "subs", tmp_path / "whole.csv", Settings(), jobs=1)
    assert whole.judged == len(ROSTER)
    shutil.rmtree(copy / "grading")
    real, calls = grading.grade_student, []

    def interrupted(*args, **kwargs):
        calls.append(args[1].student)
        if len(calls) == 4:
            raise KeyboardInterrupt  # Ctrl-C while the fourth student is judged
        return real(*args, **kwargs)

    monkeypatch.setattr(grading, "grade_student", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade(copy, tmp_path / "subs", tmp_path / "resumed.csv", Settings(), jobs=1)
    assert not (tmp_path / "resumed.csv").exists()  # no half-written grades
    monkeypatch.setattr(grading, "grade_student", real)
    resumed = grade(copy, tmp_path / "subs", tmp_path / "resumed.csv", Settings(), jobs=2)
    assert resumed.judged == len(ROSTER) - 3  # the three judged before Ctrl-C are kept
    assert (tmp_path / "resumed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_a_derivation_s_feedback_names_its_first_wrong_line(tmp_path):
    course = tmp_path / "course"
    write_assignment(models.two_two_two(), ("ada",), course, questions=["W1"], formats=["md"])
    derivation = "dZ2 = (A2 - Y) * A2 * (1 - A2)\ndZ1 = (W2.T @ dZ2) * A1\ndW1 = dZ1 @ X.T"
    hand_in(tmp_path / "subs", "ada", answers_file("ada", [(1, "W1", "python", derivation, None)]))
    grade(course, tmp_path / "subs", tmp_path / "g.csv", Settings(value_weight=0))
    feedback = (course / "feedback" / "ada.md").read_text()
    assert "The first wrong line is line 2" in feedback
    assert "σ(z⁽¹⁾) where its derivative σ'(z⁽¹⁾) belongs" in feedback
    assert "Where it fails (line 2)" in feedback


def test_a_formula_that_takes_too_long_is_cut_off_and_the_run_goes_on(tmp_path):
    course = tmp_path / "course"
    write_assignment(models.two_two_two(), ("ada", "alan"), course, questions=["W1"], formats=["md"])
    # 47 nested sigmoids: within every limit of verify, about 0.5 s to judge here.
    slow = " + ".join(["sigmoid(sigmoid(sigmoid(delta1 @ x.T)))"] * 47)
    hand_in(tmp_path / "subs", "ada", answers_file("ada", [(1, "W1", "python", slow, None)]))
    hand_in(tmp_path / "subs", "alan", answers_file("alan", [(1, "W1", "python", "delta1 @ x.T", None)]))
    grade(course, tmp_path / "subs", tmp_path / "g.csv", Settings(time_limit=0.02, value_weight=0))
    rows = _rows(tmp_path / "g.csv")
    assert rows[("ada", "1")]["verdict"] == "unreadable"
    assert rows[("ada", "1")]["diagnosis"] == "judging the formula took longer than 0.02 s"
    assert rows[("alan", "1")]["verdict"] == "correct"


def test_values_are_graded_within_the_stated_tolerance():
    assert check_value(1.004, 1.0, 0.005).score == 1.0
    assert check_value(1.006, 1.0, 0.005).score == 0.0
    # Relative to the largest entry of the gradient, so a tiny entry is not held to 0.5% of itself.
    assert check_value([[1.0, 0.004]], [[1.0, 0.0]], 0.005).score == 1.0
    assert check_value([0.1, 0.2], [0.1, 0.2], 0.005).score == 1.0
    assert check_value([[0.1], [0.2]], [0.1, 0.2], 0.005).score == 1.0  # a bias as a column
    wrong_shape = check_value([0.1, 0.2, 0.3], [0.1, 0.2], 0.005)
    assert wrong_shape.score == 0 and wrong_shape.message == (
        "the value is a list of 3 numbers but the gradient is a list of 2 numbers")
    assert check_value([[1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]], 0.005).message == (
        "the value is rows of different lengths but the gradient is 2 rows of 2 numbers")


def test_answers_files_with_problems_in_one_answer_keep_the_others(course):
    variant = make_variant(models.two_two_two(), 7, "ada", WHOLE)
    text = answers_file("ada", [(1, "W1", "python", "x", None), (2, "W1", "maple", "x", None),
                                (3, "b1", "python", "delta1", float("nan")), (9, "W2", "python", "", None)])
    answers = read_answers(text.replace("value = nan", "value = nan"), "ada", variant.questions)
    assert "asks for dL/dW2" in answers.answers[1].problem
    assert "syntax must be" in answers.answers[2].problem
    assert "finite number" in answers.answers[3].problem
    assert "not on your sheet" in answers.notes[0]


def test_settings_are_checked():
    for bad in ({"time_limit": 0}, {"tolerance": float("nan")}, {"value_weight": 1.5}, {"value_weight": True}):
        with pytest.raises(DataError):
            Settings(**bad)
