"""The one check of a batch of samples (X, Y), used by every reader and every numeric function.

Rows are samples: X is (batch, n0) and Y is (batch, nL).  A 1-D array is one
value per sample when the width is 1, and one sample when its length is the
width; anything else of the wrong shape is refused.  For a network whose input
is an image, X is (batch, C, H, W), or (batch, C·H·W) read row-major (as a
CSV file holds it), or one sample (C, H, W).  Values must be finite
numbers, and targets must lie in the loss's domain: cross_entropy targets are
probability vectors (entries of at least 0 that sum to 1, as the δ = a − y of
softmax with cross-entropy assumes), binary_cross_entropy targets lie in
[0, 1].  Outside that domain the loss is not what it claims to be (it can go
negative), so the check refuses rather than compute a wrong answer.

>>> from symbackprop import Network
>>> net = Network.from_spec({"layers": [2, 2], "activation": "softmax", "loss": "cross_entropy"})
>>> X, Y = check_batch([0.5, 1.0], [0.25, 0.75], net)
>>> X.shape, Y.shape
((1, 2), (1, 2))
>>> check_batch([0.5, 1.0], [0.5, 0.7], net)
Traceback (most recent call last):
...
symbackprop.errors.DataError: cross_entropy targets must be probability vectors (entries of at least 0 that sum to 1), but row 1 of Y sums to 1.2
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .arrays import float_array
from .errors import DataError, ShapeError
from .limits import batch_memory_problem

if TYPE_CHECKING:
    from .spec import Network

SUM_TOLERANCE = 1e-6  # a probability vector typed with six decimals still sums to 1 within this


def _rows(value: Any, label: str, width: int, network: Network, dtype: Any, copy: bool,
          sample: tuple[int, ...] = ()) -> np.ndarray:
    array = float_array(value, label, dtype, copy)
    if len(sample) > 1:
        return _images(array, label, sample, network)
    if array.ndim == 1 and width == 1:
        array = array.reshape(-1, 1)  # one column: a value per sample
    elif array.ndim == 1 and array.size == width:
        array = array.reshape(1, -1)  # one sample
    if array.ndim != 2 or array.shape[1] != width:
        raise ShapeError(
            f"{label} has shape {array.shape} but this network ({_sizes(network)}) expects (batch, {width}): "
            f"one row per sample and {width} columns"
        )
    return array


def _images(array: np.ndarray, label: str, sample: tuple[int, ...], network: Network) -> np.ndarray:
    """A batch of images (batch, *sample), from itself, one image, or rows read row-major."""
    width = int(np.prod(sample))
    if array.shape == sample:
        array = array.reshape(1, *sample)  # one sample
    elif array.ndim == 2 and array.shape[1] == width:
        array = array.reshape(array.shape[0], *sample)  # rows of C·H·W, row-major
    if array.shape[1:] != sample:
        expected = ", ".join(map(str, sample))
        raise ShapeError(
            f"{label} has shape {array.shape} but this network ({_sizes(network)}) expects (batch, {expected}), "
            f"or (batch, {width}) read row-major"
        )
    return array


def _sizes(network: Network) -> str:
    """The network in a few words: its sizes, or its layers (without the loss)."""
    if network.is_mlp:
        return "-".join(map(str, network.sizes))
    return network.layer_path()


def check_inputs(
    X: Any, network: Network, source: str = "", dtype: Any = np.float64, copy: bool = True
) -> np.ndarray:
    """X as a 2-D array of finite floats with the network's input width."""
    where = f" in {source}" if source else ""
    return _rows(X, f"X{where}", network.sizes[0], network, dtype, copy, network.input_shape)


def check_batch(
    X: Any, Y: Any, network: Network, source: str = "", dtype: Any = np.float64, copy: bool = True,
    names: tuple[str, str] = ("X", "Y"),
) -> tuple[np.ndarray, np.ndarray]:
    """X and Y as 2-D arrays of finite floats with the network's widths, targets in the loss's domain.

    ``source`` (a file name) is named in messages; ``names`` are what the
    arrays are called there (``("X_val", "Y_val")`` for a held-out set).
    """
    where = f" in {source}" if source else ""
    x_label, y_label = (f"{name}{where}" for name in names)
    X = _rows(X, x_label, network.sizes[0], network, dtype, copy, network.input_shape)
    Y = _rows(Y, y_label, network.sizes[-1], network, dtype, copy)
    if X.shape[0] != Y.shape[0]:
        raise ShapeError(
            f"{x_label} has {X.shape[0]} samples but {names[1]} has {Y.shape[0]}; "
            "they must have one row per sample each"
        )
    if X.shape[0] == 0:
        raise DataError(f"the data{where} has no samples")
    too_many = batch_memory_problem(X.shape[0], network.sizes)
    if too_many:
        raise DataError(too_many)
    problem = target_problem(Y, network.loss.name, y_label)
    if problem:
        raise DataError(problem)
    return X, Y


def target_problem(Y: np.ndarray, loss_name: str, label: str = "Y") -> str | None:
    """Why the targets ``Y`` (batch, nL) lie outside the domain of the loss, or None.

    >>> target_problem(np.array([[0.0, 1.5]]), "binary_cross_entropy")
    'binary_cross_entropy targets must lie in [0, 1], but row 1 of Y holds 1.5'
    """
    if loss_name == "cross_entropy":
        sums = np.add.reduce(Y, axis=1)
        # One pass each over entries and row sums; the culprit is looked for only when one fails.
        if Y.size and np.minimum.reduce(Y, axis=None) >= 0 and np.abs(sums - 1).max() <= SUM_TOLERANCE:
            return None
        what = "cross_entropy targets must be probability vectors (entries of at least 0 that sum to 1)"
        negative = np.argwhere(Y < 0)
        if negative.size:
            row, col = negative[0]
            return f"{what}, but row {row + 1} of {label} holds {Y[row, col]:.6g}"
        off = np.flatnonzero(np.abs(sums - 1) > SUM_TOLERANCE)
        if off.size:
            return f"{what}, but row {off[0] + 1} of {label} sums to {sums[off[0]]:.6g}"
    elif loss_name == "binary_cross_entropy":
        if Y.size and np.minimum.reduce(Y, axis=None) >= 0 and np.maximum.reduce(Y, axis=None) <= 1:
            return None
        outside = np.argwhere((Y < 0) | (Y > 1))
        if outside.size:
            row, col = outside[0]
            return (
                f"binary_cross_entropy targets must lie in [0, 1], but row {row + 1} of {label} "
                f"holds {Y[row, col]:.6g}"
            )
    return None
