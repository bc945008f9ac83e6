"""``symbackprop grad`` and ``symbackprop check`` as DESIGN.md describes them."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from symbackprop.numeric import CompiledGradient

NET = ["--layers", "2,2,2", "--activation", "sigmoid"]
WORKED = {"W1": [[0.15, 0.20], [0.25, 0.30]], "b1": [0.35, 0.35],
          "W2": [[0.40, 0.45], [0.50, 0.55]], "b2": [0.60, 0.60]}
SAMPLE = ["--x", "0.05,0.10", "--y", "0.01,0.99"]


@pytest.fixture
def params_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(WORKED))
    return str(path)


def test_grad_json_with_update(run_cli, params_file):
    result = run_cli("grad", *NET, "--params", params_file, *SAMPLE, "--lr", "0.5", "--json")
    assert result.status == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"loss", "grads", "updated"}
    assert f"{out['loss']:.9f}" == "0.298371109"  # the worked example's total error
    assert f"{out['updated']['W2'][0][0]:.8f}" == "0.35891648"
    assert np.shape(out["grads"]["W1"]) == (2, 2) and np.shape(out["grads"]["b2"]) == (2,)
    np.testing.assert_allclose(
        np.array(out["updated"]["W1"]), np.array(WORKED["W1"]) - 0.5 * np.array(out["grads"]["W1"])
    )


def test_grad_text(run_cli, params_file):
    result = run_cli("grad", *NET, "--params", params_file, *SAMPLE)
    assert result.status == 0
    assert "loss: 0.2983711088" in result.stdout
    assert "dL/dW2 =\n[[ 0.0821670406" in result.stdout
    assert "after one step" not in result.stdout


def test_grad_without_params_uses_the_seed(run_cli):
    a = json.loads(run_cli("grad", *NET, *SAMPLE, "--seed", "3", "--json").stdout)
    b = json.loads(run_cli("grad", *NET, *SAMPLE, "--seed", "3", "--json").stdout)
    c = json.loads(run_cli("grad", *NET, *SAMPLE, "--seed", "4", "--json").stdout)
    assert a == b and a != c
    assert "updated" not in a


def test_grad_with_a_data_file_is_the_batch_mean(run_cli, params_file, tmp_path):
    csv = tmp_path / "batch.csv"
    csv.write_text("x1,x2,y1,y2\n0.05,0.10,0.01,0.99\n1,-1,0.5,0.5\n")
    batch = json.loads(run_cli("grad", *NET, "--params", params_file, "--data", str(csv),
                               "--json").stdout)
    one = json.loads(run_cli("grad", *NET, "--params", params_file, *SAMPLE, "--json").stdout)
    two = json.loads(run_cli("grad", *NET, "--params", params_file, "--x", "1,-1",
                             "--y", "0.5,0.5", "--json").stdout)
    assert batch["loss"] == pytest.approx((one["loss"] + two["loss"]) / 2)
    np.testing.assert_allclose(
        batch["grads"]["W1"], (np.array(one["grads"]["W1"]) + two["grads"]["W1"]) / 2
    )
    npz = tmp_path / "batch.npz"
    np.savez(npz, X=np.array([[0.05, 0.10], [1, -1]]), Y=np.array([[0.01, 0.99], [0.5, 0.5]]))
    again = json.loads(run_cli("grad", *NET, "--params", params_file, "--data", str(npz),
                               "--json").stdout)
    assert again["loss"] == pytest.approx(batch["loss"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--x", "0.05", "--y", "0.01,0.99"], "--x has 1 number but this network has 2 inputs"),
        (["--x", "0.05,abc", "--y", "0.01,0.99"], "--x takes numbers separated by commas"),
        (["--x", "0.05,0.1"], "--y is missing"),
        ([], "give one sample as --x"),
        (["--x", "1,2", "--y", "1,2", "--data", "d.csv"], "not both"),
        (["--data", "/nonexistent/d.csv"], "no such file"),
        (["--params", "/nonexistent/p.json", "--x", "1,2", "--y", "1,2"],
         "cannot read parameter file"),
    ],
)
def test_grad_user_mistakes_exit_2(run_cli, args, message):
    result = run_cli("grad", *NET, *args)
    assert result.status == 2
    assert result.stderr.startswith("symbackprop: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_grad_params_of_the_wrong_shape(run_cli, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**WORKED, "W2": [[0.4, 0.45, 0.5]]}))
    result = run_cli("grad", *NET, "--params", str(path), *SAMPLE)
    assert result.status == 2
    assert "parameter W2" in result.stderr and "expects (2, 2)" in result.stderr


@pytest.mark.parametrize(
    "net",
    [
        ["--layers", "2,3,3,2", "--activation", "sigmoid", "--no-bias"],
        ["--layers", "2,4,4,3", "--activation", "relu", "--output-activation", "softmax",
         "--loss", "cross_entropy"],
        ["--layers", "3,5,2", "--activation", "x*sigmoid(x)", "--loss", "(a-y)**4"],
    ],
)
def test_check_passes_with_exit_0(run_cli, net):
    result = run_cli("check", *net)
    assert result.status == 0, result.stdout + result.stderr
    assert "all " in result.stdout and "entries pass" in result.stdout
    assert "largest rel. error" in result.stdout


def test_check_json_and_complex(run_cli, params_file):
    result = run_cli("check", *NET, "--params", params_file, *SAMPLE, "--method", "complex",
                     "--json")
    assert result.status == 0
    data = json.loads(result.stdout)
    assert data["passed"] is True and data["method"] == "complex"
    assert all(p["max_relative_error"] < 1e-12 for p in data["parameters"])


def test_check_fails_with_exit_1_on_a_wrong_gradient(run_cli, monkeypatch):
    original = CompiledGradient.__call__

    def broken(self, params, X, Y):
        loss, grads = original(self, params, X, Y)
        return loss, {**grads, "b2": grads["b2"] * -1}

    monkeypatch.setattr(CompiledGradient, "__call__", broken)
    result = run_cli("check", *NET)
    assert result.status == 1
    assert "FAIL" in result.stdout and "entries FAIL" in result.stdout
    data = json.loads(run_cli("check", *NET, "--json").stdout)
    assert data["passed"] is False
    assert [p["name"] for p in data["parameters"] if not p["passed"]] == ["b2"]


def test_check_bad_option_exit_2(run_cli):
    result = run_cli("check", *NET, "--method", "forward")
    assert result.status == 2 and "symbackprop: error:" in result.stderr


def test_end_to_end_in_a_subprocess(params_file):
    out = subprocess.run(
        [sys.executable, "-m", "symbackprop", "grad", *NET, "--params", params_file, *SAMPLE,
         "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert f"{json.loads(out.stdout)['loss']:.9f}" == "0.298371109"
    check = subprocess.run(
        [sys.executable, "-m", "symbackprop", "check", "--layers", "2,3,1", "--activation",
         "tanh"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    ("spec", "x", "y"),
    [
        ({"layers": [2, 3, 3, 2], "activation": "sigmoid", "bias": False}, "0.5,-1", "0.2,0.8"),
        ({"layers": [2, 4, 4, 3], "activation": "relu", "output_activation": "softmax",
          "loss": "cross_entropy"}, "1,2", "0,1,0"),
    ],
)
def test_grad_on_the_articles_networks_from_a_spec_file(run_cli, tmp_path, spec, x, y):
    from symbackprop import Network
    from symbackprop.params import init_params

    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec))
    result = run_cli("grad", "--spec", str(path), "--x", x, "--y", y, "--seed", "7", "--json")
    assert result.status == 0, result.stderr
    out = json.loads(result.stdout)
    net = Network.from_spec(spec)
    assert {k: np.shape(v) for k, v in out["grads"].items()} == net.parameter_shapes()
    # the same numbers as the Python API with the same seeded parameters
    loss, grads = net.compile()(init_params(net, seed=7), [float(v) for v in x.split(",")],
                                [float(v) for v in y.split(",")])
    assert out["loss"] == pytest.approx(loss, rel=1e-12)
    for name, value in grads.items():
        np.testing.assert_allclose(out["grads"][name], value, rtol=1e-12)
