"""Every script in examples/ runs as a script and reaches the outcome it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbackprop import datasets, models
from symbackprop.params import load_params

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str, timeout: float = 120) -> dict:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--json", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_gradient_descent_intro_reaches_minus_two():
    out = run_example("gradient_descent_intro.py")
    assert out["derivative"] == "2*x + 4"
    # Each step is x - 0.1 (2x + 4), checked by hand for the first two.
    assert out["path"][:3] == pytest.approx([0.0, -0.4, -0.72])
    assert out["x"] == pytest.approx(-2.0, abs=1e-6)
    assert out["y"] < 1e-12


def test_teacher_student_loss_falls_below_five_percent(tmp_path):
    saved = tmp_path / "student.json"
    out = run_example("teacher_student.py", "--save", str(saved))
    assert out["final_loss"] <= 0.05 * out["initial_loss"]
    # Better than answering the mean target: the student learned the function.
    assert out["final_loss"] < 0.2 * out["mean_only_loss"]
    # The reported loss, recomputed independently from the saved student.
    student = models.beginner()
    params = load_params(saved, student)
    X, Y = datasets.teacher(student, n_samples=200, seed=0)
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    a = sigmoid(sigmoid(sigmoid(X @ params["W1"].T) @ params["W2"].T) @ params["W3"].T)
    assert 0.5 * np.mean(np.sum((a - Y) ** 2, axis=1)) == pytest.approx(out["final_loss"], rel=1e-9)


def test_spirals_are_learned_to_high_accuracy():
    out = run_example("spirals.py")
    assert out["network"].startswith("2-16-16-3 relu/relu/softmax, cross_entropy")
    assert out["train_accuracy"] >= 0.97
    assert out["test_accuracy"] >= 0.9  # points the network never saw


def test_xor_is_learned():
    out = run_example("xor.py")
    assert out["accuracy"] == 1.0
    np.testing.assert_allclose(out["outputs"], [0, 1, 1, 0], atol=0.2)


def test_a_conv_net_learns_the_8x8_digits():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: .venv/bin/pip install scikit-learn")
    out = run_example("digits_conv.py")
    assert out["network"].startswith("1×8×8 → conv2d(8, 3×3) relu → maxpool2d(2) → flatten → dense(10) softmax")
    assert out["test_images"] == 449 and out["train_images"] == 1348
    assert out["test_accuracy"] >= 0.95  # images the network never saw
    assert out["final_loss"] < 0.2 * out["initial_loss"]


def test_ddp_over_two_processes_ends_where_one_process_does():
    pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install 'symbackprop[torch]' (make test does)"
    )
    out = run_example("ddp_torch.py", "--steps", "20", timeout=600)
    assert out["processes"] == 2 and out["steps"] == 20
    assert out["ranks_agree"] == 0.0  # DDP keeps the two processes' parameters identical
    # Two halves' mean losses averaged are the whole batch's: the same SGD path.
    assert out["distance_to_one_process"] < 1e-12
    assert out["final_loss"] < out["initial_loss"]


def test_classroom_round_trip_grades_each_kind_of_answer(tmp_path):
    out = run_example("classroom.py", "--out", str(tmp_path / "class"))
    verdicts = {(r["student"], r["wrt"]): (r["verdict"], r["diagnosis"]) for r in out["rows"]}
    assert {verdicts[("ada", w)] for w in ("W3", "W2", "W1")} == {("correct", "")}
    assert verdicts[("alan", "W2")] == ("incorrect", "missing-derivative")
    assert verdicts[("grace", "W3")] == ("incorrect", "transposed")
    assert verdicts[("kurt", "W3")][0] == "unreadable"
    assert {verdicts[("emmy", w)] for w in ("W3", "W2", "W1")} == {("correct", "")}
    assert verdicts[("john", "W1")][0] == "missing"
    assert out["scores"] == {"ada": 1.0, "alan": 0.3333, "grace": 0.6667, "kurt": 0.0, "emmy": 1.0, "john": 0.0}
    feedback = (Path(out["feedback"]) / "alan.md").read_text()
    assert "The first wrong line is line 1, dZ2 = W3.T @ delta3" in feedback
    assert Path(out["histogram"]).read_bytes()[:4] == b"\x89PNG"
    # The whole round trip again gives the same grades, byte for byte.
    first = Path(out["grades"]).read_bytes()
    again = run_example("classroom.py", "--out", str(tmp_path / "class"))
    assert Path(again["grades"]).read_bytes() == first


def test_the_notebook_runs_and_shows_the_derivation_step_by_step():
    """examples/derivation.ipynb, executed as Jupyter would: every cell runs, and a derivation shows itself."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(EXAMPLES / "derivation.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    derivation = outputs[0]["data"]
    # Jupyter shows the Markdown: the steps, with $$ display math.
    assert derivation["text/markdown"].startswith("## Forward pass")
    assert "## Errors of layer 1" in derivation["text/markdown"] and "$$\n\\begin{aligned}" in derivation["text/markdown"]
    # Front ends that take LaTeX get one block with the $$ delimiters VS Code needs.
    assert derivation["text/latex"].startswith("$$") and derivation["text/latex"].endswith("$$")
    sheet = outputs[-1]["data"]["text/markdown"]
    assert sheet.startswith("# Backpropagation by hand") and "Name:" in sheet and "Key" not in sheet
