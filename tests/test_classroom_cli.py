"""The class-assignment commands: assignment, variant and grade, and their refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.classroom_support import answers_file, hand_in, key_entries


def test_assignment_variant_and_grade_from_the_command_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.csv").write_text("name,id\nAda,ada\nAlan,alan\n")
    net = ["--layers", "2,2,2", "--activation", "sigmoid"]
    made = run_cli("assignment", *net, "--roster", "roster.csv", "-o", "course", "--seed", "7",
                   "--formats", "md", "--jobs", "2")
    assert made.status == 0, made.stderr
    assert made.stdout == "wrote 2 variants into course/students; the key is in course/key\n"
    code = (tmp_path / "course/key/ada/variant.json").read_text().split('"code": "')[1].split('"')[0]

    again = run_cli("variant", *net, "--code", code, "-o", "lost")
    assert again.status == 0, again.stderr
    assert (tmp_path / "lost/students/ada/sheet.md").read_bytes() == (tmp_path / "course/students/ada/sheet.md").read_bytes()

    hand_in(tmp_path / "subs", "ada", answers_file("ada", key_entries(tmp_path / "course", "ada")))
    graded = run_cli("grade", "course", "subs", "-o", "grades.csv", "--jobs", "1")
    assert graded.status == 0, graded.stderr
    assert graded.stdout.startswith("graded 2 students (mean score 0.50)")
    rows = list(csv.DictReader((tmp_path / "grades.csv").read_text().splitlines()))
    assert [r["verdict"] for r in rows] == ["correct"] * 4 + ["missing"] * 4  # the sheet's four derivations


def test_bad_input_is_one_sentence_and_exit_2(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.csv").write_text("name\nAda\n")
    net = ["--layers", "2,2,2"]
    cases = [
        (("assignment", *net, "--roster", "roster.csv", "-o", "c"), "needs a header line with an 'id' column"),
        (("assignment", *net, "--roster", "missing.csv", "-o", "c"), "cannot read roster 'missing.csv'"),
        (("variant", *net, "--code", "7-ada-AAAA", "-o", "v"), "mistyped, or it was made for another network"),
        (("grade", "nowhere", "subs", "-o", "g.csv"), "is not an assignment folder"),
        (("grade", "nowhere", "subs", "-o", "g.csv", "--value-weight", "2"), "the value weight must be"),
        (("grade", "nowhere", "subs", "-o", "g.csv", "--jobs", "0"), "--jobs must be a whole number"),
    ]
    for args, message in cases:
        result = run_cli(*args)
        assert result.status == 2, (args, result)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1
    (tmp_path / "roster.csv").write_text("id\nada\n")
    bad = run_cli("assignment", *net, "--roster", "roster.csv", "-o", "c", "--questions", "W3")
    assert bad.status == 2 and "unknown parameter 'W3'" in bad.stderr
    # The comma inside an entry's brackets is not a list's comma.
    outside = run_cli("assignment", *net, "--roster", "roster.csv", "-o", "c", "--questions", "W2[3,1],W1")
    assert outside.status == 2 and "'W2[3,1]' is not an entry of W2" in outside.stderr
    made = run_cli("assignment", *net, "--roster", "roster.csv", "-o", "c", "--questions", "W2[2,1], W1",
                   "--formats", "md")
    assert made.status == 0, made.stderr
    assert 'wrt = "W2[2,1]"' in (tmp_path / "c/students/ada/answers.toml").read_text()
    for platform in ("prairielearn", "nbgrader", "otter"):
        for target, message in (("roster.csv", "it is a file, and the"), ("no/such", "'no' does not exist")):
            result = run_cli("publish", "c", "--to", platform, "-o", target)
            assert result.status == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_publish_writes_for_a_platform_and_refuses_an_unknown_one(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.csv").write_text("id\nada\n")
    assert run_cli("assignment", "--layers", "2,2,2", "--roster", "roster.csv", "-o", "c", "--formats", "md",
                   "--questions", "W2").status == 0
    done = run_cli("publish", "c", "--to", "canvas", "-o", "quiz.zip")
    assert done.status == 0 and done.stdout == "wrote 1 file for canvas into quiz.zip\n"
    again = run_cli("publish", "c", "--to", "canvas", "-o", "quiz.zip")
    assert again.status == 0  # the same bytes: nothing to replace
    bad = run_cli("publish", "c", "--to", "blackboard", "-o", "x")
    assert bad.status == 2 and "unknown platform 'blackboard'" in bad.stderr
    for tolerance in ("nan", "-0.1", "2"):
        bad = run_cli("publish", "c", "--to", "moodle", "-o", "quiz.xml", "--tolerance", tolerance)
        assert bad.status == 2 and "the tolerance must be a number above 0 up to 1" in bad.stderr
    assert not (tmp_path / "quiz.xml").exists()


@pytest.mark.parametrize("kind", ["batchnorm", "layernorm", "rnn", "dropout", "conv"])
def test_a_network_of_other_layer_kinds_is_refused_before_anything_is_written(run_cli, tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.csv").write_text("id,name\nalice,A\nbob,B\n")
    spec = str(Path(__file__).resolve().parent.parent / "docs" / "files" / f"{kind}.json")
    made = run_cli("assignment", "--spec", spec, "--roster", "roster.csv", "-o", "course")
    assert made.status == 2 and "Traceback" not in made.stderr, made.stderr
    assert made.stderr.startswith("symbackprop: error: a class assignment is made of MLP worksheets")
    assert made.stderr.count("\n") == 1 and not (tmp_path / "course").exists()
    again = run_cli("variant", "--spec", spec, "--code", "ABCD-EFGH", "-o", "lost")
    assert again.status == 2 and "MLP worksheets" in again.stderr and not (tmp_path / "lost").exists()
