"""Random points where a formula is judged: x, y, parameters, and everything they determine.

Inputs and parameters are drawn on a grid of hundredths (x in [-2, 2],
weights in [-1.5, 1.5], biases in [-1, 1]; every third point five times
wider), so a counterexample can be typed back exactly; targets follow the loss (probability vectors for
cross_entropy, values in (0, 1) otherwise).  A point is kept only where the
loss is defined and no kinked activation sits at its kink.  Every value — the
forward pass, each δ, ∂L/∂a, every gradient — is the backpropagation plan's
rule evaluated in high precision (mpmath, :mod:`~symbackprop.verification.values`).

The network's own constants (a leaky ReLU's slope, the numbers in a custom
activation or loss) are decimals as written, 0.2 = 1/5, just as a formula's
numbers are: SymPy holds them as binary floats (0.2000000000000000111…), which
is fine for float64 code but would make a 40-digit truth differ from an exact
formula in the 17th digit.  :func:`~symbackprop.verification.values.as_written`
turns them back.

>>> from symbackprop import models
>>> p = sample(models.two_two_two().derive(), "W1", count=2, seed=0)[0]
>>> sorted(p.values)[:4], p.gradient.shape
(['W1', 'W2', 'a1', 'a2'], (2, 2))
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath

from ..derive import Derivation
from ..errors import DataError
from ..losses import PROBABILITY
from ..symbols import INPUT, TARGET, activation_gradient, error, gradient_name, parameter
from .grid import Grid
from .values import PlanValues

DIGITS = 40
MAX_ATTEMPTS = 500
KINK_MARGIN = mpmath.mpf("0.001")


@dataclass(frozen=True)
class Point:
    """Values (grids of mpf) of x, y, W, b, z, a, δ, ∂L/∂a (``dA1``…) and the true gradient.

    ``values`` are as a formula sees them (:meth:`Grid.view`: a one-channel
    image is a matrix); ``given`` holds x, y and the parameters in their own
    shapes, as a parameters file would.
    """

    values: dict[str, Grid]
    gradient: Grid
    loss: Any
    given: dict[str, Grid] | None = None

    def inputs(self, parameters: tuple[str, ...]) -> dict[str, Any]:
        """x, y and the parameters as plain floats (vectors flat, matrices as rows, images nested)."""
        given = self.given if self.given is not None else self.values
        out: dict[str, Any] = {}
        for name in ("x", "y", *parameters):
            array = given[name]
            out[name] = _nested(array.array_shape, [float(v) for v in array.flat], name[0] != "W")
        return out


def _nested(shape: tuple[int, ...], flat: list[float], column: bool) -> Any:
    """Row-major entries as nested lists of ``shape``; a ``column`` as one flat list."""
    if len(shape) == 1 or (column and len(shape) == 2 and shape[1] == 1):
        return flat
    step = len(flat) // shape[0]
    return [_nested(shape[1:], flat[k * step : (k + 1) * step], False) for k in range(shape[0])]


def matrix(rows: int, cols: int, entries: list[Any]) -> Grid:
    return Grid(rows, cols, tuple(entries))


def sample(derivation: Derivation, wrt: str, count: int = 6, seed: int = 0) -> list[Point]:
    """``count`` points (reproducible from ``seed``) where the loss is defined."""
    # Drawing a point evaluates the network at 40 digits; a grader judges many formulas
    # about one network, so the points are drawn once per network, parameter, count and seed.
    return list(_sample(derivation.network, wrt, count, seed))


@lru_cache(maxsize=64)
def _sample(net: Any, wrt: str, count: int, seed: int) -> tuple[Point, ...]:
    derivation = Derivation(net)
    rng = random.Random(seed)
    points: list[Point] = []
    with mpmath.workdps(DIGITS):
        for _ in range(MAX_ATTEMPTS):
            # Every third point is drawn from a range five times wider, so that a
            # formula which only agrees near the origin is caught as well.
            wide = len(points) % 3 == 2
            point = _try_point(derivation, wrt, rng, 5 if wide else 1)
            if point is not None:
                points.append(point)
                if len(points) == count:
                    return tuple(points)
    raise DataError(
        f"could not find {count} points where the loss {net.loss.name} of this network is "
        f"defined in {MAX_ATTEMPTS} random draws"
    )


def _grid(rng: random.Random, low: int, high: int) -> mpmath.mpf:
    """A multiple of 0.01 in [low/100, high/100], exact in decimal."""
    return mpmath.mpf(rng.randint(low, high)) / 100


def _targets(targets: str, n: int, rng: random.Random) -> list[Any]:
    if targets == PROBABILITY:
        # n positive hundredths that sum to exactly 1.
        cuts = sorted(rng.sample(range(1, 100), n - 1))
        edges = [0, *cuts, 100]
        return [mpmath.mpf(edges[i + 1] - edges[i]) / 100 for i in range(n)]
    return [_grid(rng, 1, 99) for _ in range(n)]


def _try_point(derivation: Derivation, wrt: str, rng: random.Random, scale: int) -> Point | None:
    the_plan = derivation.plan
    network = derivation.network
    values: dict[str, Grid] = {}
    evaluate = PlanValues(values)
    x = the_plan.x
    values[str(INPUT)] = Grid.array(x.shape, [_grid(rng, -200 * scale, 200 * scale) for _ in range(math.prod(x.shape))])
    values[str(TARGET)] = matrix(network.output_size, 1, _targets(network.loss.targets, network.output_size, rng))
    for entry in the_plan.layers:
        for parameter_ in entry.parameters:
            reach = 100 if parameter_.name.stem == "b" else 150
            count = math.prod(parameter_.shape)
            values[str(parameter_.name)] = Grid.array(
                parameter_.shape, [_grid(rng, -reach * scale, reach * scale) for _ in range(count)]
            )
        for assignment in entry.forward:
            values[str(assignment.target.name)] = evaluate(assignment.rule)
        act = entry.activation
        if act is not None and act.has_kink and any(abs(v) < KINK_MARGIN for v in values[str(entry.z.name)].flat):
            return None
        if entry.layer.switches() and entry.layer.switch_margin(_array(values[str(entry.prev.name)])) < KINK_MARGIN:
            return None  # a max-pooling window with two equal largest entries: a kink, as above
    loss = evaluate(the_plan.loss).flat[0]
    if not _finite_real(loss):
        return None
    for layer in range(the_plan.depth, 0, -1):
        delta = evaluate(the_plan.error_rule(layer))
        if not all(_finite_real(v) for v in delta.flat):
            return None
        values[str(error(layer))] = delta
    # ∂L/∂a⁽ˡ⁾: the loss's gradient at the output, what layer l + 1 sends back below it.
    values[str(activation_gradient(the_plan.depth))] = evaluate(the_plan.loss_gradient)
    for entry in the_plan.layers[1:]:
        values[str(activation_gradient(entry.index - 1))] = evaluate(entry.input_gradient)
    for entry in the_plan.layers:
        for gradient in the_plan.gradients(entry):
            values[str(gradient_name(gradient.target.name))] = evaluate(gradient.rule)
    given = {name: values[name] for name in (str(INPUT), str(TARGET), *network.parameter_names())}
    views = {name: view for name, value in values.items() if (view := value.view()) is not None}
    return Point(views, views[str(gradient_name(parameter(wrt)))], loss, given)


def _array(value: Grid) -> Any:
    """A value as a NumPy array of its own shape (for a layer's own test of its input)."""
    import numpy

    return numpy.array(value.flat, dtype=object).reshape(value.array_shape)


def _finite_real(value: Any) -> bool:
    return isinstance(value, mpmath.mpf) and mpmath.isfinite(value)


def quantity_value(point: Point, quantity: str) -> Grid:
    """The true value at ``point`` of a quantity a derivation may name (δ2, dA1, dW2, db1, z1, a1)."""
    return point.values[quantity]
