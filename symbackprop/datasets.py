"""Small data sets for training: the teacher network, XOR and spirals.

Each function returns a frozen :class:`Dataset` that unpacks as ``X, Y``
(rows are samples), with a sentence saying what it is.

* ``teacher(net)``: the experiment of "Beginner Deep Learning Maths".  A
  randomly initialised network of *another* shape (same inputs and outputs,
  different hidden layers) labels random inputs; the network being trained,
  the student, learns to mimic it.  The student cannot copy the teacher's
  weights, so a falling loss shows that gradient descent finds a function,
  not a memorised set of numbers.
* ``xor()``: the four points that no network without a hidden layer can fit.
* ``spirals()``: interleaved spiral arms, one class per arm, one-hot targets.

>>> from symbackprop import models
>>> X, Y = teacher(models.beginner(), n_samples=5, seed=1)
>>> X.shape, Y.shape
((5, 2), (5, 2))
>>> teacher(models.beginner()).teacher.sizes
(2, 4, 2)
>>> X, Y = xor()
>>> Y.ravel().tolist()
[0.0, 1.0, 1.0, 0.0]
>>> spirals(n_samples=6, classes=3).Y.sum(axis=0).tolist()
[2.0, 2.0, 2.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import options
from .errors import DataError, UnknownOptionError
from .limits import batch_memory_problem
from .network import Network
from .symbols import bias, weight

NAMES = ("teacher", "xor", "spirals", "digits", "running_sum")
SKLEARN = "scikit-learn is not installed; the 8×8 digits come with it: .venv/bin/pip install scikit-learn"


@dataclass(frozen=True)
class Dataset:
    """Samples ``X`` (n × n₀) and targets ``Y`` (n × n_L), and where they come from."""

    X: np.ndarray
    Y: np.ndarray
    name: str
    description: str
    teacher: Network | None = None
    teacher_params: dict[str, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for array in (self.X, self.Y):
            array.setflags(write=False)

    def __iter__(self) -> Iterator[np.ndarray]:
        yield self.X
        yield self.Y


# -- the teacher -------------------------------------------------------------------


def teacher(
    network: Network,
    n_samples: int = 200,
    seed: int = 0,
    hidden: tuple[int, ...] | None = None,
    weight_scale: float = 2.0,
) -> Dataset:
    """Inputs drawn from N(0, 1), labelled by a random network of another shape.

    The teacher has the student's input and output sizes and activations,
    and by default a single hidden layer one unit wider than the student's
    widest: never the student's shape.  Its outputs come from its own
    compiled network.
    Its weights are drawn from N(0, weight_scale²), large enough that the
    function it computes is clearly nonlinear.
    """
    n_samples = _count(n_samples, "n_samples")
    sizes = network.sizes
    if hidden is None:
        hidden = (max(sizes[1:-1], default=2) + 1,)
    teacher_sizes = (sizes[0], *hidden, sizes[-1])
    if tuple(teacher_sizes) == tuple(sizes):
        raise DataError(f"the teacher must have another shape than the student, got {sizes}")
    # The student's own activations, so targets lie where its outputs can reach:
    # in (0, 1) for sigmoid, on the simplex for softmax.
    hidden_act = network.layers[0].activation if network.depth > 1 else "tanh"
    output_act = network.output_activation
    teacher_net = Network.from_layers(
        teacher_sizes,
        activation=hidden_act,
        output_activation=output_act,
        loss=network.loss,
        bias=network.bias,
        name="teacher",
    )
    rng_params, rng_x = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    params: dict[str, np.ndarray] = {}
    for index, layer in enumerate(teacher_net.layers, start=1):
        params[str(weight(index))] = weight_scale * rng_params.standard_normal((layer.units, layer.inputs))
        if layer.bias:
            params[str(bias(index))] = weight_scale * rng_params.standard_normal(layer.units)
    X = rng_x.standard_normal((n_samples, sizes[0]))
    Y = teacher_net.compile().predict(params, X)
    shape = "-".join(map(str, teacher_sizes))
    acts = "/".join(layer.activation.name for layer in teacher_net.layers)
    return Dataset(
        X,
        Y,
        "teacher",
        f"{n_samples} samples labelled by a random {shape} {acts} teacher "
        f"network (seed {seed})",
        teacher_net,
        params,
    )


# -- XOR and spirals -----------------------------------------------------------------


def xor(outputs: int = 1) -> Dataset:
    """The XOR truth table: one target column, or two one-hot columns for softmax."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    if outputs == 1:
        Y = labels[:, None].astype(np.float64)
    elif outputs == 2:
        Y = np.eye(2)[labels]
    else:
        raise DataError(f"XOR has 1 output (or 2 one-hot outputs), not {outputs}")
    return Dataset(X, Y, "xor", "the four XOR points")


def spirals(
    n_samples: int = 300, classes: int = 3, noise: float = 0.15, turns: float = 0.75, seed: int = 0
) -> Dataset:
    """Points on ``classes`` interleaved spiral arms in the plane, one-hot targets.

    Arm k starts at angle 2πk/classes near the origin and winds ``turns``
    of a full turn while the radius grows to 1; ``noise`` (radians) jitters
    the angle.  No straight line separates two arms, so a network needs its
    hidden layers to classify them.
    """
    n_samples = _count(n_samples, "n_samples")
    classes = _count(classes, "classes")
    if classes < 2:
        raise DataError(f"spirals needs at least 2 classes, got {classes}")
    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % classes
    radius = np.empty(n_samples)
    for k in range(classes):
        members = labels == k
        radius[members] = np.linspace(0.1, 1.0, int(members.sum()))
    angle = 2 * math.pi * (labels / classes + turns * radius) + noise * rng.standard_normal(n_samples)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    Y = np.eye(classes)[labels]
    return Dataset(X, Y, "spirals", f"{n_samples} points on {classes} spiral arms (seed {seed})")


def digits(test_fraction: float = 0.25, seed: int = 0) -> tuple[Dataset, Dataset]:
    """scikit-learn's 8×8 handwritten digits (1,797 images), split into training and test sets.

    The images ship inside scikit-learn (no download).  X is (n, 1, 8, 8) with
    the pixels' 0..16 scaled to [0, 1], Y is one-hot over the 10 digits; the
    split is shuffled with ``seed``.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError(SKLEARN) from None
    raw = load_digits()
    X = (raw.images / 16.0).reshape(-1, 1, 8, 8)
    Y = np.eye(10)[raw.target]
    order = np.random.default_rng(seed).permutation(len(X))
    cut = len(X) - int(round(test_fraction * len(X)))
    train, test = order[:cut], order[cut:]
    where = f"scikit-learn's 8×8 digits, split with seed {seed}"
    return (
        Dataset(X[train], Y[train], "digits", f"{len(train)} training images of {where}"),
        Dataset(X[test], Y[test], "digits", f"{len(test)} test images of {where}"),
    )


def running_sum(n_samples: int = 1000, steps: int = 10, seed: int = 0) -> Dataset:
    """Sequences of ``steps`` numbers drawn uniformly from [−1, 1], labelled by the sign of their sum.

    X is (n, steps, 1); Y is one-hot: (1, 0) where the sum is negative, (0, 1) where it is
    positive.  A network that reads the numbers one at a time must carry the running sum
    along, which a recurrent layer does in its state.
    """
    n_samples, steps = _count(n_samples, "n_samples"), _count(steps, "steps")
    X = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n_samples, steps, 1))
    Y = np.eye(2)[(X.sum(axis=(1, 2)) > 0).astype(int)]
    return Dataset(X, Y, "running_sum", f"{n_samples} sequences of {steps} numbers in [-1, 1], labelled by the sign of their sum (seed {seed})")


def accuracy(outputs: np.ndarray, Y: np.ndarray) -> float:
    """The share of rows whose largest output is at the target's largest entry.

    One output column is read as a probability thresholded at 0.5.

    >>> accuracy(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[1.0, 0.0], [1.0, 0.0]]))
    0.5
    """
    outputs, Y = np.asarray(outputs), np.asarray(Y)
    if Y.shape[1] == 1:
        return float(np.mean((outputs[:, 0] > 0.5) == (Y[:, 0] > 0.5)))
    return float(np.mean(outputs.argmax(axis=1) == Y.argmax(axis=1)))


# -- by name, as the command line asks ---------------------------------------------


def by_name(name: str, network: Network, n_samples: int = 200, seed: int = 0) -> Dataset:
    """``teacher``, ``xor``, ``spirals``, ``digits`` or ``running_sum`` shaped for ``network``, or a DataError saying why not."""
    sizes = network.sizes
    n_samples = options.whole(n_samples, "the number of samples", 1)
    too_many = batch_memory_problem(n_samples, sizes)
    if too_many:
        raise DataError(too_many)
    if name == "teacher":
        return teacher(network, n_samples, seed)
    if name == "digits":
        if network.input_shape not in ((1, 8, 8), (64,)) or network.output_size != 10:
            raise DataError(
                f"digits needs a network with input [1, 8, 8] (or 64) and 10 outputs, got {network.describe()}"
            )
        train, _ = digits(seed=seed)
        return train
    if name == "running_sum":
        shape = network.input_shape
        if len(shape) != 2 or shape[1] != 1 or network.output_size != 2:
            raise DataError(
                f"running_sum needs a network with input [T, 1] (a sequence) and 2 outputs, got {network.describe()}"
            )
        return running_sum(n_samples, shape[0], seed)
    if name == "xor":
        if sizes[0] != 2 or sizes[-1] not in (1, 2):
            raise DataError(
                f"xor needs a network with 2 inputs and 1 or 2 outputs, got {'-'.join(map(str, sizes))}"
            )
        return xor(sizes[-1])
    if name == "spirals":
        if sizes[0] != 2 or sizes[-1] < 2:
            raise DataError(
                "spirals needs a network with 2 inputs and one output per class (at least 2), "
                f"got {'-'.join(map(str, sizes))}"
            )
        return spirals(n_samples, classes=sizes[-1], seed=seed)
    raise UnknownOptionError(f"unknown data set {name!r:.60}; expected one of {', '.join(NAMES)} or a file")


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise DataError(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)
