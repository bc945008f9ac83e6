"""No success is printed with NaN or infinity, and no checker passes a NaN.

* ``check`` fails (exit 1) when a gradient or the loss is NaN or infinite,
  and ``--tolerance nan`` is refused; ``--json`` never writes a bare NaN.
* ``grad`` refuses to print a loss or gradient that is NaN or infinite.
* ``train`` flags a loss that ends well above its start, and blames the
  starting parameters, not the learning rate, when they are the cause.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop import Network, models
from symbackprop.params import init_params

from .bad_input import assert_refused


def _strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"bare {constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


def test_check_fails_on_nan_gradients(run_cli):
    result = run_cli("check", "--layers", "2,2,1", "--activation", "sqrt(x)")
    assert result.status == 1, result.stdout
    assert "pass" not in result.stdout.splitlines()[-1]
    assert "NaN or inf" in result.stdout
    assert "are NaN or infinite: the loss or its gradient is not defined" in result.stdout
    assert result.stderr == ""  # no RuntimeWarning noise


def test_check_json_of_nan_gradients_is_valid_json(run_cli):
    result = run_cli("check", "--layers", "2,2,1", "--activation", "sqrt(x)", "--json")
    assert result.status == 1
    report = _strict_json(result.stdout)
    assert report["passed"] is False
    assert any(row["not_finite"] for row in report["parameters"])
    assert all(row["max_relative_error"] is None for row in report["parameters"] if row["not_finite"])


def test_a_gradient_returning_nan_never_passes():
    net = models.two_two_two()
    f = net.compile()

    def nan_gradient(params, X, Y):
        loss, grads = f(params, X, Y)
        return loss, {name: np.full_like(g, np.nan) for name, g in grads.items()}

    report = sbp.gradcheck(net, gradient=nan_gradient)
    assert not report.passed
    assert all(row.failures == row.checked == row.not_finite for row in report.rows)


def test_a_nan_loss_fails_every_entry():
    net = Network.from_layers([2, 1], "x*log(x)")  # undefined for negative inputs
    report = sbp.gradcheck(net, seed=3)
    assert not report.passed and sum(row.not_finite for row in report.rows) > 0


def test_grad_refuses_to_print_nan(run_cli):
    for extra in ((), ("--json",)):
        result = run_cli("grad", "--layers", "2,2,1", "--activation", "sqrt(x)", "--x", "-1,-2", "--y", "0.5", *extra)
        assert_refused(result, "at these parameters and inputs, so nothing is printed")


def test_grad_refuses_to_print_an_overflow(run_cli, tmp_path):
    params = {"W1": [[500.0, 500.0], [1, 1]], "b1": [0, 0], "W2": [[1, 1]], "b2": [0]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(params))
    result = run_cli("grad", "--layers", "2,2,1", "--activation", "exp(x)", "--params", str(path), "--x", "1,1", "--y", "0")
    assert_refused(result, "the loss is infinite")


def test_grad_json_holds_only_numbers(run_cli):
    result = run_cli("grad", "--layers", "2,2,1", "--x", "0.5,1", "--y", "0.5", "--json", "--lr", "0.1")
    assert result.status == 0
    out = _strict_json(result.stdout)
    assert np.isfinite(out["loss"])


# -- training --------------------------------------------------------------------------


def test_a_loss_that_ends_well_above_its_start_is_divergence():
    """1-1 identity, one sample: each step multiplies the error by 1 − 2·lr = −1.05."""
    net = Network.from_layers([1, 1], "identity")
    result = sbp.train(net, [[1.0]], [[0.0]], epochs=6, lr=1.025, params={"W1": [[1.0]], "b1": [0.0]}, progress=False)
    assert result.final_loss / result.initial_loss == pytest.approx(1.05**12)
    assert result.stopped == "diverged"
    assert "the loss rose from 0.5 to 0.8979 (180% of its start) over 6 epochs" in result.message
    assert "the learning rate 1.025 is probably too large for sgd" in result.message


def test_a_sigmoid_network_whose_loss_rises_is_flagged(run_cli):
    result = run_cli("train", "--layers", "2,4,1", "--activation", "sigmoid", "--output-activation", "identity",
                     "--data", "teacher", "--samples", "50", "--epochs", "20", "--lr", "2", "--json")
    assert result.status == 1
    summary = _strict_json(result.stdout)
    assert summary["stopped"] == "diverged" and summary["final_loss"] > 1.5 * summary["initial_loss"]
    last = result.stderr.strip().splitlines()[-1]  # after the line saying what is trained
    assert last.startswith("symbackprop: error: training diverged: the loss rose from")


def test_a_loss_that_stays_near_its_start_is_not_divergence():
    net = Network.from_layers([1, 1], "identity")
    result = sbp.train(net, [[1.0]], [[0.0]], epochs=6, lr=0.99, params={"W1": [[1.0]], "b1": [0.0]}, progress=False)
    assert result.stopped == "completed"


def test_huge_starting_parameters_are_blamed_not_the_learning_rate():
    net = Network.from_layers([2, 3, 1], "identity")
    params = {name: np.full(value.shape, 3e4) for name, value in init_params(net, seed=0).items()}
    X = np.array([[1.0, -1.0], [0.5, 2.0]])
    result = sbp.train(net, X, [[0.0], [1.0]], epochs=50, lr=0.01, params=params, progress=False)
    assert result.stopped == "diverged"
    assert "the starting parameters are very large (|W1| reaches 3e+04)" in result.message
    assert "learning rate" not in result.message


@pytest.mark.parametrize(
    ("activation", "params", "words"),
    [
        ("sqrt(x)", {"W1": [[-1.0, -1.0]], "b1": [0.0]}, "the loss is NaN at the starting parameters, before any update, so the learning rate is not the cause; check the data's targets and the starting parameters"),
        ("exp(x)", {"W1": [[1e4, 1e4]], "b1": [0.0]}, "the loss is infinite at the starting parameters, before any update, so the learning rate is not the cause (|W1| reaches 1e+04; start from smaller parameters)"),
    ],
)
def test_a_loss_undefined_at_the_start_is_not_blamed_on_the_learning_rate(run_cli, tmp_path, activation, params, words):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(params))
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y1\n1,1,0\n")
    result = run_cli("train", "--layers", "2,1", "--activation", activation, "--params", str(path),
                     "--data", str(data), "--epochs", "5", "--json")
    assert result.status == 1
    assert _strict_json(result.stdout)["epochs"] == 0
    assert result.stderr.strip().splitlines()[-1] == f"symbackprop: error: training cannot start: {words}"
