"""Data sets: the teacher network, XOR and spirals."""

from __future__ import annotations

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop import datasets, models
from symbackprop.errors import DataError


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_teacher_has_another_shape_and_labels_with_its_own_network():
    student = models.beginner()
    data = datasets.teacher(student, n_samples=50, seed=4)
    assert data.teacher.sizes == (2, 4, 2) and data.teacher.sizes != student.sizes
    assert data.X.shape == (50, 2) and data.Y.shape == (50, 2)
    # An independent forward pass of the teacher (sigmoid, no bias, like the student).
    p = data.teacher_params
    assert set(p) == {"W1", "W2"}
    expected = _sigmoid(_sigmoid(data.X @ p["W1"].T) @ p["W2"].T)
    np.testing.assert_allclose(data.Y, expected, rtol=1e-12)
    assert "2-4-2" in data.description


def test_teacher_targets_are_clearly_nonconstant():
    # Targets that barely vary would let a student "learn" by answering the mean.
    _, Y = datasets.teacher(models.beginner(), n_samples=200, seed=0)
    assert Y.std(axis=0).min() > 0.05


def test_teacher_is_seeded():
    net = models.two_two_two()
    a, b, c = (datasets.teacher(net, 10, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert not np.array_equal(a.Y, c.Y)


def test_teacher_for_a_softmax_student_gives_probability_targets():
    data = datasets.teacher(models.understanding(), n_samples=30, seed=0)
    assert data.teacher.sizes == (2, 5, 3)
    assert data.teacher.layers[0].activation.name == "relu"
    np.testing.assert_allclose(data.Y.sum(axis=1), 1.0)
    assert (data.Y > 0).all()


def test_teacher_of_a_network_without_hidden_layers_and_custom_activations():
    net = sbp.Network.from_spec({"layers": [3, 1], "activation": "x*sigmoid(x)",
                                 "output_activation": "sigmoid"})
    data = datasets.teacher(net, n_samples=5)
    assert data.teacher.sizes == (3, 3, 1)
    net2 = sbp.Network.from_spec({"layers": [2, 3, 1], "activation": "x*sigmoid(x)",
                                  "output_activation": "identity"})
    assert datasets.teacher(net2, n_samples=5).teacher.layers[0].activation.is_custom


def test_teacher_rejects_a_bad_sample_count():
    with pytest.raises(DataError, match="n_samples must be a whole number"):
        datasets.teacher(models.beginner(), n_samples=0)


def test_xor():
    X, Y = datasets.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert Y[:, 0].tolist() == [float(a != b) for a, b in X.astype(int)]
    one_hot = datasets.xor(outputs=2)
    np.testing.assert_array_equal(one_hot.Y.argmax(axis=1), Y[:, 0])
    with pytest.raises(DataError, match="not 3"):
        datasets.xor(outputs=3)


def test_datasets_are_read_only():
    X, _ = datasets.xor()
    with pytest.raises(ValueError):
        X[0, 0] = 5.0


def test_spirals_are_balanced_one_hot_and_inside_the_unit_disc():
    data = datasets.spirals(n_samples=301, classes=3, seed=0)
    assert data.X.shape == (301, 2)
    assert set(np.unique(data.Y)) == {0.0, 1.0}
    np.testing.assert_array_equal(data.Y.sum(axis=1), 1.0)
    assert sorted(data.Y.sum(axis=0).tolist()) == [100.0, 100.0, 101.0]
    assert np.linalg.norm(data.X, axis=1).max() <= 1.0 + 1e-12
    assert not np.array_equal(data.X, datasets.spirals(301, seed=1).X)


def test_spirals_need_a_hidden_layer():
    # A softmax classifier without hidden layers draws straight boundaries: it
    # cannot separate the arms, which is the point of the data set.
    data = datasets.spirals(n_samples=300, classes=3, seed=0)
    linear = sbp.Network.from_spec({"layers": [2, 3], "activation": "softmax",
                                    "loss": "cross_entropy"})
    f = linear.compile()
    result = sbp.train(linear, data.X, data.Y, epochs=300, lr=0.1, optimizer="adam",
                       progress=False, compiled=f)
    assert datasets.accuracy(f.predict(result.params, data.X), data.Y) < 0.7


def test_by_name_checks_the_network():
    spiral_net = sbp.Network.from_layers([2, 5, 4], "relu", "softmax", "cross_entropy")
    assert datasets.by_name("spirals", spiral_net, 40).Y.shape == (40, 4)
    assert datasets.by_name("xor", models.two_two_two()).Y.shape == (4, 2)
    with pytest.raises(DataError, match="xor needs a network with 2 inputs"):
        datasets.by_name("xor", sbp.Network.from_layers([3, 2, 1]))
    with pytest.raises(DataError, match="spirals needs"):
        datasets.by_name("spirals", sbp.Network.from_layers([2, 2, 1]))
    with pytest.raises(DataError, match="unknown data set 'moons'"):
        datasets.by_name("moons", models.beginner())


def test_accuracy():
    Y = np.array([[1.0], [0.0], [1.0]])
    assert datasets.accuracy(np.array([[0.7], [0.2], [0.4]]), Y) == pytest.approx(2 / 3)
