"""The worked example's numbers: inputs, targets and parameters, and what follows from them.

Parameters are drawn from the seed as multiples of 0.05 so a student can
follow the arithmetic by hand; ``params``/``x``/``y`` replace any of them.
The loss and gradients come from the compiled symbolic gradient function;
z, a and δ are the derivation's own equations evaluated at the same point,
and the two are compared, so a worksheet whose key disagrees with the
compiled code cannot be written.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from ..arrays import float_array
from ..batch import target_problem
from ..derive import Derivation
from ..errors import DataError, ShapeError
from ..losses import PROBABILITY, UNIT_INTERVAL
from ..options import learning_rate
from ..params import check_params, load_params

GRID = 0.05  # parameters and inputs are multiples of this
NEAR_KINK = 0.02  # resample when a ReLU-family unit sits this close to its kink
ATTEMPTS = 200
KINK_EXACT = 1e-5  # closer than this, the finite-difference stencil may straddle the kink
# Worked by hand, and checked by finite differences that lose meaning when a
# step of 6e-6·|θ| moves z by more than its whole range: given numbers stay within this.
LARGEST_GIVEN = 1e3


@dataclass(frozen=True)
class Values:
    """Every number of one forward and backward pass (plain floats, 0-based lists).

    z, a, δ, the loss, the gradients and the updated parameters come from the
    compiled gradient function; ``key_*`` are the derivation's own equations
    evaluated by SymPy at the same point, kept to check the two against each other.
    """

    x: tuple[float, ...]
    y: tuple[float, ...]
    params: dict[str, np.ndarray]
    z: tuple[tuple[float, ...], ...]  # z[l-1][j-1]
    a: tuple[tuple[float, ...], ...]
    delta: tuple[tuple[float, ...], ...]
    loss: float
    grads: dict[str, np.ndarray]
    lr: float
    updated: dict[str, np.ndarray]
    key_delta: tuple[tuple[float, ...], ...]
    key_grads: dict[str, np.ndarray]  # δ a^T from the derivation's equations
    key_loss: float

    def key_agreement(self) -> float:
        """Largest relative difference between the compiled numbers and the key's."""
        errors = [relative_error(self.grads[n], self.key_grads[n], 1e-9).max() for n in self.grads]
        errors += [relative_error(c, k, 1e-9).max() for c, k in zip(self.delta, self.key_delta, strict=True)]
        errors.append(float(relative_error(self.loss, self.key_loss, 1e-9)))
        return float(max(errors))


def _real(expr: sympy.Expr) -> float:
    """A SymPy number as a float; NaN where it is not real (a log of a negative number)."""
    try:
        return float(expr)
    except TypeError:
        return math.nan


def relative_error(a: np.ndarray, b: np.ndarray, tiny: float = 1e-12) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), tiny)


def _grid(rng: np.random.Generator, low: float, high: float, shape: Any = None) -> np.ndarray:
    """Uniform multiples of GRID in [low, high], never 0 (a zero weight teaches nothing)."""
    steps = np.arange(round(low / GRID), round(high / GRID) + 1)
    steps = steps[steps != 0]
    return rng.choice(steps, size=shape) * GRID


def draw_targets(derivation: Derivation, rng: np.random.Generator) -> np.ndarray:
    """Targets the loss accepts: one-hot for cross-entropy, inside (0, 1) for sigmoid outputs."""
    network = derivation.network
    n = network.sizes[-1]
    targets, out = network.loss.targets, network.output_activation.kind
    if targets == PROBABILITY:
        target = np.zeros(n)
        target[rng.integers(n)] = 1.0
        return target
    if targets == UNIT_INTERVAL or out in ("sigmoid", "softmax"):
        return _grid(rng, 0.05, 0.95, n)
    if out == "tanh":
        return _grid(rng, -0.9, 0.9, n)
    return _grid(rng, -1.0, 1.0, n)


def evaluate(
    derivation: Derivation,
    x: Sequence[float],
    y: Sequence[float],
    params: Mapping[str, np.ndarray],
    lr: float,
    compiled: Any = None,
) -> Values:
    """One forward and backward pass at (x, y, params), by the compiled code and by the key's equations.

    The key's side runs layer by layer, so δ⁽ˡ⁾ is evaluated with δ⁽ˡ⁺¹⁾ as a
    number, never as one inlined expression.
    """
    d = derivation
    net = d.network
    syms = d.symbols
    point: dict[sympy.Symbol, sympy.Float] = {}
    point.update(zip(syms.x, map(sympy.Float, x), strict=True))
    point.update(zip(syms.y, map(sympy.Float, y), strict=True))
    for name, value in params.items():
        symbols = syms.parameter(name)
        point.update(zip(symbols, map(sympy.Float, np.asarray(value).reshape(-1)), strict=True))
    zs, as_ = [], []
    for layer, spec in zip(syms.layers, net.layers, strict=True):
        z = [_real(expr.xreplace(point)) for expr in d.pre_activations[layer.index - 1]]
        if spec.activation.elementwise:
            a = [_real(spec.activation(sympy.Float(value))) for value in z]
        else:
            top = max(z)
            exps = [math.exp(value - top) for value in z]
            a = [e / sum(exps) for e in exps]
        point.update(zip(layer.z, map(sympy.Float, z), strict=True))
        point.update(zip(layer.a, map(sympy.Float, a), strict=True))
        zs.append(tuple(z))
        as_.append(tuple(a))
    deltas: list[tuple[float, ...]] = [()] * net.depth
    for layer in range(net.depth, 0, -1):
        values = [_real(expr.xreplace(point)) for expr in d.deltas[layer - 1]]
        point.update(zip(syms.layers[layer - 1].delta, map(sympy.Float, values), strict=True))
        deltas[layer - 1] = tuple(values)
    key_grads: dict[str, np.ndarray] = {}
    for name in net.parameter_names():
        layer = int(name[1:])
        delta = np.array(deltas[layer - 1])
        if name[0] == "W":
            previous = np.array(x if layer == 1 else as_[layer - 2])
            key_grads[name] = np.outer(delta, previous) + net.l2 * np.asarray(params[name], dtype=float)  # L2: + λW
        else:
            key_grads[name] = delta
    key_loss = _real(d.loss.xreplace(point))
    f = compiled if compiled is not None else d.compile()
    X = np.asarray(x, dtype=float).reshape(1, -1)
    Y = np.asarray(y, dtype=float).reshape(1, -1)
    # Numbers outside the loss's domain give NaN here and a clear DataError later.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        trace = f.trace(dict(params), X, Y)
        _, updated = f.step(dict(params), X, Y, lr)

    def rows(arrays: Sequence[np.ndarray]) -> tuple[tuple[float, ...], ...]:
        return tuple(tuple(float(v) for v in np.asarray(array)[0]) for array in arrays)

    return Values(
        tuple(float(v) for v in x),
        tuple(float(v) for v in y),
        {name: np.asarray(value, dtype=float) for name, value in params.items()},
        rows(trace.z),
        rows(trace.a),
        rows(trace.delta),
        float(trace.loss),
        {name: np.asarray(value, dtype=float) for name, value in trace.grads.items()},
        float(lr),
        {name: np.asarray(value, dtype=float) for name, value in updated.items()},
        tuple(deltas),
        key_grads,
        key_loss,
    )


def _vector(value: Sequence[float] | None, size: int, what: str) -> np.ndarray | None:
    if value is None:
        return None
    array = float_array(value, what).reshape(-1)
    if array.size != size:
        raise ShapeError(f"{what} has {array.size} entries but this network expects {size}")
    _moderate(array, what)
    return array


def _moderate(array: np.ndarray, what: str) -> None:
    if array.size and np.max(np.abs(array)) > LARGEST_GIVEN:
        raise DataError(
            f"{what} holds {float(np.max(np.abs(array))):.3g}, but a worked example's numbers must "
            f"lie within ±{LARGEST_GIVEN:g}: it is worked by hand and checked by finite differences"
        )


def _usable(d: Derivation, values: Values, entries: Sequence[tuple[str, int, int]]) -> bool:
    """No unit near a kink, and every exercise's gradient visibly non-zero."""
    for layer, z in zip(d.network.layers, values.z, strict=True):
        if layer.activation.has_kink and min(abs(v) for v in z) < NEAR_KINK:
            return False
    for name, row, col in entries:
        grad = values.grads[name]
        value = grad[row - 1, col - 1] if grad.ndim == 2 else grad[row - 1]
        if not abs(value) >= 1e-4:  # NaN too
            return False
    return True


def choose_values(
    derivation: Derivation,
    seed: int,
    entries: Sequence[tuple[str, int, int]],
    params: Mapping[str, Any] | str | Path | None = None,
    x: Sequence[float] | None = None,
    y: Sequence[float] | None = None,
    lr: float = 0.5,
    compiled: Any = None,
) -> Values:
    """The worked example: given numbers are kept, the rest are drawn from ``seed``.

    Drawn numbers are redrawn (deterministically) until no ReLU-family unit
    sits on its kink and the exercises' gradients are not zero, so the
    example exercises every step of the key.
    """
    net = derivation.network
    lr = learning_rate(lr)
    if isinstance(params, str | Path):
        params = load_params(params, net)
    elif params is not None:
        params = check_params(params, net)
    for name, value in (params or {}).items():
        _moderate(value, f"parameter {name}")
    x_given = _vector(x, net.sizes[0], "x")
    y_given = _vector(y, net.sizes[-1], "y")
    if y_given is not None:
        problem = target_problem(y_given.reshape(1, -1), net.loss.name, "y")
        if problem:
            raise DataError(problem)
    compiled = compiled if compiled is not None else derivation.compile()
    fixed = params is not None and x_given is not None and y_given is not None
    last = None
    for attempt in range(1 if fixed else ATTEMPTS):
        rng = np.random.default_rng([seed, attempt])
        drawn_x = _grid(rng, 0.05, 1.0, net.sizes[0])
        drawn_y = draw_targets(derivation, rng)
        drawn_params = {}
        for name, shape in net.parameter_shapes().items():
            drawn_params[name] = _grid(rng, -1.0, 1.0, shape)
        last = evaluate(
            derivation,
            drawn_x if x_given is None else x_given,
            drawn_y if y_given is None else y_given,
            drawn_params if params is None else params,
            lr,
            compiled,
        )
        if _usable(derivation, last, entries):
            break
    _refuse_unusable(derivation, last)  # type: ignore[arg-type]
    return last  # type: ignore[return-value]


def _refuse_unusable(derivation: Derivation, values: Values) -> None:
    """Given numbers the key cannot be checked at: a loss that is not finite, a unit on a kink."""
    net = derivation.network
    numbers = [values.loss, *(g for grad in values.grads.values() for g in np.ravel(grad))]
    if not all(math.isfinite(v) for v in numbers):
        raise DataError(
            f"the {net.loss.name} loss is not finite at x = {list(values.x)}, y = {list(values.y)} "
            "with these parameters; choose targets and parameters where it is defined"
        )
    for layer, (spec, z) in enumerate(zip(net.layers, values.z, strict=True), start=1):
        for unit, value in enumerate(z, start=1):
            if spec.activation.has_kink and abs(value) < KINK_EXACT:
                raise DataError(
                    f"unit {unit} of layer {layer} has z = {value:.3g}, on the kink of "
                    f"{spec.activation.name}, where the derivative is only a convention and finite "
                    "differences cannot check it; choose other numbers for the worked example"
                )
