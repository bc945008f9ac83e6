"""``symbackprop verify``: exit statuses, the report, --json, and counterexamples that hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

NET = ["--layers", "2,2,2", "--activation", "sigmoid"]
MISSING = "(W2.T @ delta2) @ x.T"
RIGHT = "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T"


def test_correct_formula_exits_0(run_cli):
    result = run_cli("verify", *NET, "--wrt", "W1", "--formula", RIGHT)
    assert result.status == 0
    assert result.stdout.startswith(f"correct: {RIGHT} is ∂L/∂W1")
    assert result.stderr == ""


def test_incorrect_formula_exits_1_with_counterexample_and_diagnosis(run_cli):
    result = run_cli("verify", *NET, "--wrt", "W1", "--formula", MISSING)
    assert result.status == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"incorrect: {MISSING} is not ∂L/∂W1"
    assert lines[1].startswith("counterexample (point 1 of 8, seed 0)")
    assert [line.split("=")[0].strip() for line in lines[2:8]] == ["x", "y", "W1", "b1", "W2", "b2"]
    assert "the formula gives" in lines[8] and "the true value is" in lines[8]
    assert lines[9] == "diagnosis: the activation-derivative factor σ'(z⁽¹⁾) is missing"


def test_latex_and_scalar_entry(run_cli):
    ok = run_cli("verify", *NET, "--wrt", "W2[1,2]", "--syntax", "latex",
                 "--formula", r"\delta^{(2)}_{1}\, a^{(1)}_{2}")
    assert ok.status == 0, ok.stderr
    wrong = run_cli("verify", *NET, "--wrt", "W2[1,2]", "--formula", "delta2_2 * a1_1")
    assert wrong.status == 1
    assert "at W2[1,2] the formula gives" in wrong.stdout
    assert "row and column indices swapped" in wrong.stdout


def sigmoid(t):
    return 1 / (1 + np.exp(-t))


def test_json_counterexample_holds_when_recomputed_by_hand(run_cli):
    result = run_cli("verify", *NET, "--wrt", "W1", "--formula", MISSING, "--json")
    assert result.status == 1
    verdict = json.loads(result.stdout)
    assert verdict["correct"] is False
    assert verdict["diagnosis"]["name"] == "missing-derivative"
    c = verdict["counterexample"]
    p = {k: np.array(v, dtype=float) for k, v in c["inputs"].items()}
    # Hand-written backpropagation of the 2-2-2 sigmoid network with half squared error.
    x, y = p["x"][:, None], p["y"][:, None]
    a1 = sigmoid(p["W1"] @ x + p["b1"][:, None])
    a2 = sigmoid(p["W2"] @ a1 + p["b2"][:, None])
    delta2 = (a2 - y) * a2 * (1 - a2)
    truth = ((p["W2"].T @ delta2) * a1 * (1 - a1)) @ x.T
    typed = (p["W2"].T @ delta2) @ x.T
    np.testing.assert_allclose(c["gradient"], truth, rtol=1e-9)
    np.testing.assert_allclose(c["formula"], typed, rtol=1e-9)
    row, col = (int(i) - 1 for i in c["entry"][3:-1].split(","))
    assert c["true_value"] == np.float64(c["gradient"][row][col])
    assert abs(typed[row, col] - truth[row, col]) == np.max(np.abs(typed - truth))


def test_json_of_a_correct_formula(run_cli):
    result = run_cli("verify", *NET, "--wrt", "b2", "--formula", "delta2", "--json", "--points", "3")
    verdict = json.loads(result.stdout)
    assert result.status == 0
    assert verdict["correct"] is True and verdict["points"] == 3
    assert verdict["proof"] in ("symbolic", "numeric")
    assert verdict["counterexample"] is None and verdict["diagnosis"] is None


def test_json_gives_the_batch_the_formula_was_judged_on(run_cli):
    """One sample for a network without batch norm; N samples, the rows of the counterexample, with it."""
    single = json.loads(run_cli("verify", *NET, "--wrt", "b2", "--formula", "delta2", "--json").stdout)
    assert single["batch"] == 1
    spec = str(Path(__file__).resolve().parent.parent / "docs" / "files" / "batchnorm.json")
    result = run_cli("verify", "--spec", spec, "--wrt", "W1", "--formula", "(gamma2 * dy / sigma2) @ x.T", "--json")
    assert result.status == 1
    verdict = json.loads(result.stdout)
    assert verdict["batch"] == 3
    inputs = verdict["counterexample"]["inputs"]
    assert len(inputs["x"]) == len(inputs["y"]) == verdict["batch"]
    images = str(Path(spec).with_name("batchnorm-image.json"))
    result = run_cli("verify", "--spec", images, "--wrt", "gamma2", "--formula", "np.sum(delta2, axis=1, keepdims=True)", "--json")
    verdict = json.loads(result.stdout)
    assert verdict["batch"] == 2 == len(verdict["counterexample"]["inputs"]["x"])


def test_seed_makes_verdicts_reproducible(run_cli):
    first = run_cli("verify", *NET, "--wrt", "W1", "--formula", MISSING, "--json", "--seed", "5")
    again = run_cli("verify", *NET, "--wrt", "W1", "--formula", MISSING, "--json", "--seed", "5")
    other = run_cli("verify", *NET, "--wrt", "W1", "--formula", MISSING, "--json", "--seed", "6")
    assert first.stdout == again.stdout
    a, b = json.loads(first.stdout), json.loads(other.stdout)
    assert a["counterexample"]["inputs"] != b["counterexample"]["inputs"]


def test_unreadable_and_mismatched_formulas_exit_2_with_one_sentence(run_cli):
    cases = [
        (["--wrt", "W1", "--formula", "delta1 * x.T"], "did you mean @?"),
        (["--wrt", "W1", "--formula", "delta1 @ x"], "missing .T?"),
        (["--wrt", "W1", "--formula", "delta7 @ x.T"], "unknown name 'delta7'"),
        (["--wrt", "W1", "--formula", "__import__('os')"], "unknown function '__import__'"),
        (["--wrt", "W9", "--formula", "delta1"], "unknown parameter 'W9'"),
        (["--wrt", "W1[3,1]", "--formula", "delta1_1"], "entries are numbered from 1"),
        (["--wrt", "W1", "--formula", r"\delta^{(1)} x", "--syntax", "latex"], "missing ^T?"),
        (["--wrt", "W1", "--formula", "x", "--syntax", "tex"], "'tex' is not one of 'python', 'latex'"),
    ]
    for args, message in cases:
        result = run_cli("verify", *NET, *args)
        assert result.status == 2, (args, result.stdout)
        assert result.stdout == ""
        assert result.stderr.startswith("symbackprop: error: ") and result.stderr.count("\n") == 1
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_spec_file(run_cli, tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"layers": [2, 4, 4, 3], "activation": "relu",
                                "output_activation": "softmax", "loss": "cross_entropy"}))
    result = run_cli("verify", "--spec", str(spec), "--wrt", "W3", "--formula", "(a3 - y) @ a2.T")
    assert result.status == 0, result.stderr
    result = run_cli("verify", "--spec", str(spec), "--wrt", "W3", "--formula", "(-y/a3 * a3 * (1 - a3)) @ a2.T")
    assert result.status == 1
    assert "softmax treated as elementwise" in result.stdout


def test_end_to_end_in_a_subprocess():
    base = [sys.executable, "-m", "symbackprop", "verify", *NET, "--wrt", "W1"]
    ok = subprocess.run([*base, "--formula", "-"], input=RIGHT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("correct:")
    bad = subprocess.run([*base, "--formula", "x @ x.T", "--syntax", "python"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1
    assert "counterexample" in bad.stdout
