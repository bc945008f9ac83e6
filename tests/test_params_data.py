"""Parameters (init, JSON load/save) and data files (CSV, npz): values and error messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from symbackprop import DataError, Network, ShapeError, UnknownParameterError, models
from symbackprop.data import load_data
from symbackprop.params import init_params, load_params, params_to_json, save_params


@pytest.fixture
def net():
    return models.two_two_two()


def test_init_shapes_and_seeding():
    net = Network.from_layers([4, 8, 3], activation="tanh", output_activation="softmax",
                              loss="cross_entropy")
    a, b, c = init_params(net, seed=5), init_params(net, seed=5), init_params(net, seed=6)
    assert {k: v.shape for k, v in a.items()} == net.parameter_shapes()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W1"], c["W1"])
    assert np.all(a["b1"] == 0)


def test_init_scale_follows_glorot_and_he():
    # With many weights the sample standard deviation is close to the rule's.
    glorot = init_params(Network.from_layers([400, 600, 1], activation="sigmoid"), seed=1)
    he = init_params(Network.from_layers([400, 600, 1], activation="relu"), seed=1)
    assert glorot["W1"].std() == pytest.approx(np.sqrt(2 / (400 + 600)), rel=0.02)
    assert he["W1"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    forced = init_params(Network.from_layers([400, 600, 1], activation="relu"), seed=1,
                         scheme="xavier")
    assert forced["W1"].std() == pytest.approx(np.sqrt(2 / 1000), rel=0.02)
    with pytest.raises(DataError, match="unknown initialisation scheme 'lecun'"):
        init_params(Network.from_layers([2, 1]), scheme="lecun")


def test_json_round_trip(tmp_path, net):
    params = init_params(net, seed=3)
    path = save_params(tmp_path / "p.json", params)
    again = load_params(path, net)
    assert all(np.array_equal(params[k], again[k]) for k in params)
    assert json.loads(params_to_json(params))["W1"] == params["W1"].tolist()
    with pytest.raises(DataError, match="already exists"):
        save_params(path, params)
    save_params(path, {k: v + 1 for k, v in params.items()}, force=True)
    assert load_params(path, net)["b1"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ({"W1": [[1, 2]], "b1": [0, 0], "W2": [[1, 2], [3, 4]], "b2": [0, 0]}, ShapeError,
         r"parameter W1 in '.*p.json' has shape \(1, 2\) but this network .* expects \(2, 2\)"),
        ({"W1": [[1, 2], [3, 4]], "b1": [0, 0], "W2": [[1, 2], [3, 4]]}, DataError,
         "parameter b2 is missing"),
        ({"W1": [[1, 2], [3, 4]], "b1": [0, 0], "W2": [[1, 2], [3, 4]], "b2": [0, 0], "W3": [[1]]},
         UnknownParameterError, "unknown parameter 'W3'"),
        ({"W1": [[1, "x"], [3, 4]], "b1": [0, 0], "W2": [[1, 2], [3, 4]], "b2": [0, 0]},
         DataError, "parameter W1 .* must be a 2×2 list of rows of numbers"),
        ({"W1": [[1, 2], [3]], "b1": [0, 0], "W2": [[1, 2], [3, 4]], "b2": [0, 0]},
         DataError, "parameter W1"),
    ],
)
def test_load_params_errors_name_the_parameter(tmp_path, net, content, error, message):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(content))
    with pytest.raises(error, match=message):
        load_params(path, net)


def test_load_params_unreadable(tmp_path, net):
    with pytest.raises(DataError, match="cannot read parameter file"):
        load_params(tmp_path / "missing.json", net)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="is not valid JSON"):
        load_params(bad, net)


def test_csv_with_header_in_any_order(tmp_path, net):
    path = tmp_path / "d.csv"
    path.write_text("y2,x1,y1,x2\n0.99,0.05,0.01,0.10\n0.5,1,0.25,2\n")
    X, Y = load_data(path, net)
    assert X.tolist() == [[0.05, 0.10], [1.0, 2.0]]
    assert Y.tolist() == [[0.01, 0.99], [0.25, 0.5]]


def test_csv_without_header_counts_columns(tmp_path, net):
    path = tmp_path / "d.csv"
    path.write_text("0.05,0.10,0.01,0.99\n")
    X, Y = load_data(path, net)
    assert X.shape == (1, 2) and Y.tolist() == [[0.01, 0.99]]


def test_npz(tmp_path, net):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((3, 2)), Y=np.zeros((3, 2)))
    X, Y = load_data(path, net)
    assert X.shape == (3, 2) and Y.shape == (3, 2)
    np.savez(tmp_path / "wrong.npz", X=np.ones((3, 5)), Y=np.zeros((3, 2)))
    with pytest.raises(DataError, match=r"X in '.*wrong.npz' has shape \(3, 5\) .* expects \(batch, 2\)"):
        load_data(tmp_path / "wrong.npz", net)
    np.savez(tmp_path / "noy.npz", X=np.ones((3, 2)))
    with pytest.raises(DataError, match="has no array 'Y'"):
        load_data(tmp_path / "noy.npz", net)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,y1\n1,2,3\n", "has no column 'y2'"),
        ("x1,x2,y1,y2,y3\n1,2,3,4,5\n", "column 'y3' that this network does not use"),
        ("x1,x2,y1,y2\n1,2,abc,4\n", "line 2 .* has 'abc', which is not a number"),
        ("x1,x2,y1,y2\n1,2,3\n", "line 2 .* has 3 values"),
        ("a,b,c,d\n1,2,3,4\n", "column named 'a'"),
        ("1,2,3\n", "has 3 values; this network needs 2 inputs and 2 targets"),
        ("", "is empty"),
    ],
)
def test_csv_errors(tmp_path, net, text, message):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_data(path, net)


def test_missing_data_file(tmp_path, net):
    with pytest.raises(DataError, match="no such file"):
        load_data(tmp_path / "nope.csv", net)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot read data file"):
        load_data(tmp_path / "junk.npz", net)


def test_one_dimensional_arrays(tmp_path):
    from symbackprop.data import check_batch

    net = Network.from_layers([2, 3, 1])
    X, Y = check_batch([[0, 1], [1, 0], [1, 1]], [1, 0, 1], net)  # one target column
    assert X.shape == (3, 2) and Y.shape == (3, 1)
    X, Y = check_batch([0.5, 0.5], [1], net)  # one sample
    assert X.shape == (1, 2)
    with pytest.raises(DataError, match=r"X has shape \(6,\) but .* expects \(batch, 2\)"):
        check_batch(np.zeros(6), np.zeros(3), net)
