"""``symbackprop demo``: the main job end to end."""

from __future__ import annotations

import json

import symbackprop.worksheets
from symbackprop import models
from symbackprop.params import load_params
from symbackprop.worksheets import MissingToolError


def test_demo_derives_checks_trains_and_plots(run_cli, tmp_path):
    out = tmp_path / "demo"
    result = run_cli("demo", "--out", str(out), "--epochs", "300", "--no-worksheet",
                     "--no-progress")
    assert result.status == 0, result.stderr
    text = result.stdout
    for heading in ("[1] Derive", "[2] Check", "[3] Train", "[4] Train", "[5] Train: a conv net"):
        assert heading in text
    assert "δ⁽³⁾ = ∇_a⁽³⁾ℒ ⊙ σ'(z⁽³⁾)" in text  # the matrix-form derivation was printed
    assert "∂ℒ/∂w⁽²⁾₁₁" in text  # and the chain of one hidden weight
    assert "after 300 epochs" in text
    assert "all 21 entries pass" in text and "all 47 entries pass" in text  # both networks
    assert "accuracy on 449 unseen images" in text  # the conv net on the 8×8 digits
    for name in ("derivation.txt", "derivation.tex", "teacher-student-loss.png",
                 "spirals-loss.png", "digits-loss.png", "student-params.json"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "teacher-student-loss.png").read_bytes()[:4] == b"\x89PNG"
    # derivation.tex is the standalone document that tests/test_latex_documents.py compiles.
    assert (out / "derivation.tex").read_text() == models.beginner().derive().latex(standalone=True)
    assert text.rstrip().endswith("Skipped worksheet.pdf: --no-worksheet was given")
    load_params(out / "student-params.json", models.beginner())
    # Re-running replaces the demo's own files instead of refusing.
    again = run_cli("demo", "--out", str(out), "--epochs", "5", "--no-worksheet",
                    "--no-progress")
    assert again.status == 0, again.stderr
    assert "after 5 epochs" in again.stdout


def test_demo_says_why_a_worksheet_was_skipped(run_cli, tmp_path, monkeypatch):
    def no_latex(*args, **kwargs):
        raise MissingToolError("latexmk is not installed: apt-get install latexmk")

    monkeypatch.setattr(symbackprop.worksheets, "worksheet", no_latex)
    result = run_cli("demo", "--out", str(tmp_path), "--epochs", "5", "--no-progress")
    # A part of the demo failed, so the demo fails (make demo with it), saying what and why.
    assert result.status == 1
    assert "skipped worksheet.pdf: latexmk is not installed" in result.stdout
    summary = result.stdout[result.stdout.index("\nDone in"):].splitlines()
    assert f"Wrote 6 files into {tmp_path}/:" in summary[1]
    assert summary[-2:] == [
        "Skipped worksheet.html: latexmk is not installed: apt-get install latexmk",
        "Skipped worksheet.pdf: latexmk is not installed: apt-get install latexmk",
    ]
    assert "could not write worksheet.html and worksheet.pdf" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_refuses_a_file_as_its_folder(run_cli, tmp_path):
    path = tmp_path / "file"
    path.write_text(json.dumps({}))
    result = run_cli("demo", "--out", str(path), "--no-worksheet")
    assert result.status == 2 and "is a file" in result.stderr and "Traceback" not in result.stderr


def test_demo_fails_when_a_gradient_check_fails(run_cli, tmp_path, monkeypatch):
    import symbackprop.gradient_check as gradcheck_module

    class Failed:
        passed = False

        def table(self):
            return "W1  FAIL (3)"

    monkeypatch.setattr(gradcheck_module, "gradcheck", lambda *a, **k: Failed())
    result = run_cli("demo", "--out", str(tmp_path), "--epochs", "5", "--no-worksheet",
                     "--no-progress")
    assert result.status == 1
    assert "W1  FAIL (3)" in result.stdout
    assert "disagreed with finite differences" in result.stderr
