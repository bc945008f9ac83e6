"""Bad batches (X, Y): one validator (symbackprop.batch.check_batch) for every reader and function.

The same rules hold for --x/--y, data files, sbp.train and the compiled
f(params, X, Y): shapes, finite numbers, and targets in the loss's domain
(cross_entropy: probability vectors; binary_cross_entropy: within [0, 1]).
"""

from __future__ import annotations

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop import Network
from symbackprop.batch import check_batch
from symbackprop.errors import DataError, ShapeError
from symbackprop.params import init_params

from .bad_input import assert_refused, unchanged

CE = ("--layers", "2,3", "--activation", "softmax", "--loss", "cross_entropy")
BCE = ("--layers", "2,2,1", "--loss", "binary_cross_entropy")
CE_NET = Network.from_spec({"layers": [2, 3], "activation": "softmax", "loss": "cross_entropy"})
BCE_NET = Network.from_spec({"layers": [2, 2, 1], "loss": "binary_cross_entropy"})

TARGETS = [
    (CE, CE_NET, "0.2,0.3,0.4", "cross_entropy targets must be probability vectors (entries of at least 0 that sum to 1), but row 1 of Y sums to 0.9"),
    (CE, CE_NET, "1.5,-0.5,0", "cross_entropy targets must be probability vectors (entries of at least 0 that sum to 1), but row 1 of Y holds -0.5"),
    (BCE, BCE_NET, "1.5", "binary_cross_entropy targets must lie in [0, 1], but row 1 of Y holds 1.5"),
    (BCE, BCE_NET, "-0.1", "binary_cross_entropy targets must lie in [0, 1], but row 1 of Y holds -0.1"),
]


@pytest.mark.parametrize(("net_args", "net", "y", "message"), TARGETS)
@pytest.mark.parametrize("command", ["grad", "check", "train", "worksheet"])
def test_targets_outside_the_loss_domain_are_refused_everywhere(run_cli, tmp_path, monkeypatch, net_args, net, y, message, command):
    monkeypatch.chdir(tmp_path)
    rows = len(y.split(","))
    data = tmp_path / "d.csv"
    data.write_text(",".join([f"x{i}" for i in (1, 2)] + [f"y{j + 1}" for j in range(rows)]) + "\n0.5,1," + y + "\n")
    args = {
        "grad": ("grad", *net_args, "--x", "0.5,1", "--y", y),
        "check": ("check", *net_args, "--x", "0.5,1", "--y", y),
        "train": ("train", *net_args, "--data", str(data), "--epochs", "1"),
        "worksheet": ("worksheet", *net_args, "--y", y, "-o", "s.md"),
    }[command]
    with unchanged(tmp_path):
        result = run_cli(*args)
    label = {"worksheet": "y", "train": f"Y in {str(data)!r}"}.get(command, "Y")
    assert assert_refused(result) == message.replace("of Y", f"of {label}")


@pytest.mark.parametrize(("net_args", "net", "y", "message"), TARGETS)
def test_the_api_refuses_the_same_targets(net_args, net, y, message):
    X = np.array([[0.5, 1.0]])
    Y = np.array([[float(v) for v in y.split(",")]])
    f = net.compile()
    params = init_params(net, seed=0)
    for call in (
        lambda: check_batch(X, Y, net),
        lambda: f(params, X, Y),
        lambda: sbp.train(f, X, Y, epochs=1, progress=False),
        lambda: sbp.gradcheck(net, params, X, Y),
    ):
        with pytest.raises(DataError) as caught:
            call()
        assert str(caught.value) == message


def test_targets_in_the_domain_pass():
    X = np.zeros((3, 2))
    check_batch(X, [[1, 0, 0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]], CE_NET)
    check_batch(X, [[0], [1], [0.5]], BCE_NET)


@pytest.mark.parametrize(
    ("X", "Y", "error", "words"),
    [
        (np.zeros(6), np.zeros(3), ShapeError, "X has shape (6,) but this network (2-2-1) expects (batch, 2): one row per sample and 2 columns"),
        (np.zeros((4, 3)), np.zeros(4), ShapeError, "X has shape (4, 3)"),
        (np.zeros((4, 2)), np.zeros(3), ShapeError, "X has 4 samples but Y has 3"),
        (np.zeros((0, 2)), np.zeros((0, 1)), DataError, "the data has no samples"),
        ([["0.5", "1"]], [[1]], DataError, "X must be an array of numbers, got text ('0.5')"),
        ([[0.5, np.inf]], [[1]], DataError, "X contains a value that is not a finite number"),
        (np.ones((2, 2)) + 0j, np.ones((2, 1)), DataError, "complex numbers"),
    ],
)
def test_one_validator_for_files_training_and_the_compiled_function(X, Y, error, words):
    net = Network.from_layers([2, 2, 1])
    f = net.compile()
    params = init_params(net, seed=0)
    messages = set()
    for call in (
        lambda: check_batch(X, Y, net),
        lambda: f(params, X, Y),
        lambda: sbp.train(f, X, Y, epochs=1, progress=False),
    ):
        with pytest.raises(error) as caught:
            call()
        messages.add(str(caught.value))
    assert len(messages) == 1 and words in messages.pop()


def test_a_one_dimensional_batch_means_the_same_to_train_and_to_f():
    """Once a 1-D X trained but raised in f(...): now both read it the same way."""
    net = Network.from_layers([1, 2, 1], "tanh", "identity")
    f = net.compile()
    X, Y = np.linspace(-1, 1, 5), np.linspace(0, 1, 5)
    result = sbp.train(f, X, Y, epochs=2, progress=False)
    assert result.n_train == 5
    assert f(result.params, X, Y)[0] == pytest.approx(result.final_loss)
    wide = Network.from_layers([2, 2, 1]).compile()
    params = init_params(wide.network, seed=0)
    one = wide(params, [0.5, 1.0], [0.25])
    assert one[0] == wide(params, [[0.5, 1.0]], [[0.25]])[0]


def test_an_image_batch_of_another_shape_is_named_with_the_whole_network():
    net = Network.from_spec({"input": [1, 4, 4], "loss": "half_sse", "layers": [
        {"type": "conv2d", "channels": 1, "kernel": 2, "activation": "relu"}, {"type": "flatten"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]})
    with pytest.raises(ShapeError) as refused:
        net.compile()(init_params(net), np.zeros((3, 1, 4, 5)), np.zeros((3, 1)))
    assert str(refused.value) == (
        "X has shape (3, 1, 4, 5) but this network (1×4×4 → conv2d(1, 2×2) relu → flatten → dense(1) sigmoid) "
        "expects (batch, 1, 4, 4), or (batch, 16) read row-major")
