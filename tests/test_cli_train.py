"""``symbackprop train`` as people and scripts use it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from symbackprop import datasets, models
from symbackprop.params import load_params

BEGINNER = ["--layers", "2,3,3,2", "--activation", "sigmoid", "--no-bias"]


def test_json_summary(run_cli):
    result = run_cli("train", *BEGINNER, "--data", "teacher", "--epochs", "300", "--lr", "3",
                     "--json")
    assert result.status == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["epochs"] == 300 and summary["stopped"] == "completed"
    assert summary["final_loss"] < 0.1 * summary["initial_loss"]


def test_save_writes_the_trained_parameters_and_refuses_to_overwrite(run_cli, tmp_path):
    path = tmp_path / "params.json"
    args = ["train", *BEGINNER, "--data", "teacher", "--samples", "40", "--epochs", "20",
            "--seed", "3", "--save", str(path), "--json"]
    result = run_cli(*args)
    assert result.status == 0, result.stderr
    params = load_params(path, models.beginner())
    # The saved parameters give the reported final loss on the same data.
    X, Y = datasets.teacher(models.beginner(), n_samples=40, seed=3)
    loss = models.beginner().compile().loss(params, X, Y)
    assert loss == pytest.approx(json.loads(result.stdout)["final_loss"], rel=1e-9)

    again = run_cli(*args)
    assert again.status == 2
    assert "already exists; pass --force" in again.stderr
    assert "training" not in again.stderr  # refused before any training
    assert run_cli(*args, "--force").status == 0


def test_plot_writes_a_png(run_cli, tmp_path):
    path = tmp_path / "loss.png"
    result = run_cli("train", *BEGINNER, "--data", "teacher", "--epochs", "10", "--plot",
                     str(path))
    assert result.status == 0, result.stderr
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote the loss curve to {path}" in result.stdout
    assert "initial loss:" in result.stdout and "final loss:" in result.stdout


def test_minibatch_losses_or_the_full_loss_on_request(run_cli, tmp_path):
    # Minibatch runs report the mean of each epoch's minibatch losses; --full-loss
    # reports the loss over all samples, which the saved parameters reproduce.
    X, Y = datasets.teacher(models.beginner(), n_samples=40, seed=3)
    f = models.beginner().compile()
    common = ["train", *BEGINNER, "--data", "teacher", "--samples", "40", "--epochs", "4",
              "--seed", "3", "--batch-size", "8", "--lr", "3", "--json"]
    summaries = {}
    for flag in ("", "--full-loss"):
        path = tmp_path / f"params{flag}.json"
        result = run_cli(*common, *([flag] if flag else []), "--save", str(path))
        assert result.status == 0, result.stderr
        summaries[flag] = json.loads(result.stdout)
        summaries[flag]["full"] = f.loss(load_params(path, models.beginner()), X, Y)
    running, full = summaries[""], summaries["--full-loss"]
    assert full["final_loss"] == pytest.approx(full["full"], rel=1e-12)
    assert full["full"] == pytest.approx(running["full"], rel=1e-12)  # the same training
    assert running["final_loss"] != pytest.approx(running["full"], rel=1e-6)


def test_xor_reports_accuracy_and_spirals_with_minibatches(run_cli):
    result = run_cli("train", "--layers", "2,3,1", "--data", "xor", "--epochs", "3000",
                     "--lr", "2", "--json")
    assert result.status == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"] == 1.0
    result = run_cli("train", "--layers", "2,8,8,3", "--activation", "relu",
                     "--output-activation", "softmax", "--loss", "cross_entropy",
                     "--data", "spirals", "--samples", "60", "--epochs", "5",
                     "--optimizer", "adam", "--lr", "0.01", "--batch-size", "16",
                     "--validation", "0.25", "--json")
    assert result.status == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["epochs"] == 5 and "final_validation_loss" in summary


def test_data_from_a_csv_file(run_cli, tmp_path):
    X, Y = datasets.xor()
    path = tmp_path / "xor.csv"
    rows = ["x1,x2,y1"] + [f"{a:g},{b:g},{y:g}" for (a, b), (y,) in zip(X, Y, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    result = run_cli("train", "--layers", "2,2,1", "--data", str(path), "--epochs", "5", "--json")
    assert result.status == 0, result.stderr
    assert json.loads(result.stdout)["epochs"] == 5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--data", "moons"], "neither a built-in data set"),
        (["--data", "spirals"], "spirals needs a network with 2 inputs"),
        (["--data", "teacher", "--optimizer", "rmsprop"], "rmsprop"),
        (["--data", "teacher", "--epochs", "0"], "--epochs"),
        (["--data", "teacher", "--plot", "loss.gif"], "must end in .png, .svg, .pdf"),
    ],
)
def test_mistakes_exit_2_with_one_sentence(run_cli, args, words):
    result = run_cli("train", "--layers", "2,2,1", *args)
    assert result.status == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_divergence_exits_1_suggesting_a_smaller_rate(run_cli):
    result = run_cli("train", "--layers", "2,8,1", "--activation", "tanh",
                     "--output-activation", "identity", "--data", "teacher",
                     "--epochs", "200", "--lr", "5", "--json")
    assert result.status == 1
    assert "training diverged" in result.stderr and "try a smaller one such as 0.5" in result.stderr
    assert json.loads(result.stdout)["stopped"] == "diverged"


def test_ctrl_c_stops_cleanly_and_saves_the_parameters(tmp_path):
    path = tmp_path / "params.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "symbackprop", "train", *BEGINNER, "--data", "teacher",
         "--epochs", "100000000", "--save", str(path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        first = process.stderr.readline()  # printed just before the first epoch
        assert first.startswith("training 2-3-3-2"), first
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "interrupted after epoch" in err and "Traceback" not in err
    summary = json.loads(out)
    assert summary["stopped"] == "interrupted" and summary["epochs"] > 0
    params = load_params(path, models.beginner())
    assert all(np.isfinite(v).all() for v in params.values())


def test_training_continues_from_saved_parameters(run_cli, tmp_path):
    path = tmp_path / "p.json"
    common = ["train", *BEGINNER, "--data", "teacher", "--samples", "30", "--lr", "3", "--json"]
    first = run_cli(*common, "--epochs", "40", "--save", str(path))
    assert first.status == 0, first.stderr
    second = run_cli(*common, "--epochs", "10", "--params", str(path))
    assert second.status == 0, second.stderr
    before, after = json.loads(first.stdout), json.loads(second.stdout)
    assert after["initial_loss"] == pytest.approx(before["final_loss"], rel=1e-12)
    assert after["final_loss"] < after["initial_loss"]
