"""Gradient checking: correct gradients pass, wrong ones fail, kinks are told apart."""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop import DataError, Network, models
from symbackprop.activations import activation
from symbackprop.gradient_check import GradCheckReport, gradcheck, grade, kink_arguments
from symbackprop.params import init_params


@pytest.mark.parametrize("make", [models.two_two_two, models.beginner, models.understanding])
@pytest.mark.parametrize("method", ["central", "complex"])
def test_articles_networks_pass(make, method):
    report = gradcheck(make(), seed=3, method=method)
    assert isinstance(report, GradCheckReport)
    assert report.passed, report.table()
    # complex steps have no subtraction error: machine precision
    limit = 1e-12 if method == "complex" else 1e-6
    assert max(row.max_relative_error for row in report.rows) < limit


def wrong(compiled, change):
    def gradient(params, X, Y):
        loss, grads = compiled(params, X, Y)
        grads = {k: v.copy() for k, v in grads.items()}
        change(grads)
        return loss, grads

    return gradient


@pytest.mark.parametrize(
    ("label", "change", "bad"),
    [
        ("1% too large", lambda g: g.__setitem__("W1", g["W1"] * 1.01), "W1"),
        ("one entry's sign", lambda g: g["W2"].__setitem__((1, 0), -g["W2"][1, 0]), "W2"),
        ("transposed", lambda g: g.__setitem__("W2", g["W2"].T.copy()), "W2"),
        ("bias missing the batch mean", lambda g: g.__setitem__("b1", g["b1"] * 4), "b1"),
    ],
)
def test_injected_wrong_gradient_fails(label, change, bad):
    net = Network.from_spec({"layers": [3, 3, 3], "activation": "tanh",
                             "output_activation": "sigmoid"})
    f = net.compile()
    report = gradcheck(f, gradient=wrong(f, change), seed=1)
    assert not report.passed, label
    failed = [row.name for row in report.rows if not row.passed]
    assert failed == [bad]
    assert report.row(bad).grade in ("suspicious", "wrong")
    assert "FAIL" in report.table()


def test_kink_is_reported_not_failed():
    net = Network.from_spec({"layers": [2, 2, 1], "activation": "relu",
                             "output_activation": "identity"})
    params = init_params(net, seed=0)
    params["W1"] = np.array([[1.0, 0.0], [0.5, 0.5]])
    params["W2"] = np.array([[1.0, 1.0]])
    X = np.array([[1.0, 2.0]])
    Y = np.array([[3.0]])
    # z1_1 = w·x + b = 1e-9: any step of w1_11 or b1_1 crosses the kink at 0.
    params["b1"] = np.array([-1.0 + 1e-9, 0.0])
    report = gradcheck(net, params, X, Y)
    assert report.passed, report.table()
    assert (1, 1) in report.row("W1").kinks and (1,) in report.row("b1").kinks
    assert "straddle a kink" in report.table()
    # the kink is real: the one-sided slopes differ, so a difference there is not a derivative
    f = net.compile()
    h = 1e-6
    up = dict(params, b1=params["b1"] + [h, 0])
    down = dict(params, b1=params["b1"] - [h, 0])
    central = (f.loss(up, X, Y) - f.loss(down, X, Y)) / (2 * h)
    assert abs(central - f(params, X, Y)[1]["b1"][0]) > 0.1


def test_kink_arguments_from_the_expression():
    assert [str(a) for a in kink_arguments(activation("leaky_relu(0.2)").expr)] == ["t"]
    assert [str(a) for a in kink_arguments(activation("max(x, 1)").expr)] == ["t - 1"]
    assert kink_arguments(activation("tanh").expr) == []


def test_complex_step_refused_where_not_analytic():
    net = Network.from_spec({"layers": [2, 2, 1], "activation": "abs(x)"})
    with pytest.raises(DataError, match="Abs .* is not analytic"):
        gradcheck(net, method="complex")
    assert gradcheck(net, seed=2).passed


def test_custom_activation_and_loss_pass():
    net = Network.from_spec({"layers": [2, 3, 2], "activation": "x*sigmoid(x)",
                             "output_activation": "tanh", "loss": "(a - y)**4"})
    assert gradcheck(net, seed=4, method="complex").passed
    assert gradcheck(net, seed=4).passed


def test_max_entries_samples_entries():
    net = Network.from_layers([20, 10, 2])
    report = gradcheck(net, max_entries=15, seed=0)
    assert [row.checked for row in report.rows] == [15, 10, 15, 2]


def test_grades_and_report_data():
    assert [grade(x) for x in (1e-9, 1e-5, 1e-3, 0.5)] == [
        "excellent", "fine", "suspicious", "wrong"]
    data = gradcheck(models.two_two_two(), seed=0).to_dict()
    assert data["passed"] is True
    assert [p["name"] for p in data["parameters"]] == ["W1", "b1", "W2", "b2"]
    assert data["parameters"][0]["entries_checked"] == 4
    with pytest.raises(DataError, match="unknown check method"):
        gradcheck(models.two_two_two(), method="forward")
