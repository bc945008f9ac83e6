"""``symbackprop derive`` as scripts use it."""

from __future__ import annotations

import json
import subprocess
import sys


def test_derive_prints_textbook_latex(run_cli):
    result = run_cli("derive", "--layers", "2,2,1", "--activation", "sigmoid", "--format", "latex")
    assert result.status == 0, result.stderr
    out = result.stdout
    assert out.startswith(r"\documentclass") and out.rstrip().endswith(r"\end{document}")
    assert r"\sigma'\left(t\right)" in out
    assert r"\delta^{(2)}_{1} &= \frac{\partial \mathcal{L}}{\partial z^{(2)}_{1}}" in out


def test_wrt_one_entry(run_cli):
    result = run_cli("derive", "--layers", "2,2,1", "--wrt", "W1[1,2]")
    assert result.status == 0, result.stderr
    assert "∂ℒ/∂w⁽¹⁾₁₂" in result.stdout
    assert "∂ℒ/∂w⁽¹⁾₁₁" not in result.stdout


def test_matrix_level_from_a_spec_file(run_cli, tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"layers": [3, 4, 2], "activation": "tanh", "loss": "mse"}))
    result = run_cli("derive", "--spec", str(spec), "--level", "matrix", "--format", "markdown")
    assert result.status == 0, result.stderr
    assert r"\tanh'\left(z^{(1)}\right)" in result.stdout


def test_toml_spec_and_inline_override(run_cli, tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('layers = [2, 2, 2]\nactivation = "sigmoid"\nloss = "half_sse"\n')
    result = run_cli("derive", "--spec", str(spec), "--no-bias", "--level", "matrix")
    assert result.status == 0, result.stderr
    assert "b⁽¹⁾" not in result.stdout


def test_bad_input_is_one_sentence_and_status_2(run_cli):
    cases = [
        ("derive", "--layers", "2,0,1", "--activation", "sigmod"),
        ("derive", "--layers", "2,2,1", "--wrt", "W3"),
        ("derive", "--layers", "2,2,1", "--wrt", "W1[3,1]"),
        ("derive", "--layers", "2,3,3", "--activation", "softmax"),
        ("derive", "--layers", "2,2,1", "--loss", "cross_entropy"),
        ("derive", "--spec", "/nonexistent/net.json"),
        ("derive",),
        ("derive", "--layers", "2,2,1", "--format", "pdf"),
    ]
    for args in cases:
        result = run_cli(*args)
        assert result.status == 2, (args, result)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("symbackprop: error:"), result.stderr
        assert "Traceback" not in result.stderr


def test_unknown_activation_names_every_problem(run_cli):
    result = run_cli("derive", "--layers", "2,0,1", "--activation", "sigmod")
    assert "'sigmod'" in result.stderr and "did you mean 'sigmoid'" in result.stderr
    assert "0 for layer 1" in result.stderr


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "symbackprop", "derive", "--layers", "1,1", "--level", "matrix"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "δ⁽¹⁾" in result.stdout
