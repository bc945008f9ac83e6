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
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath

from ..derive import Derivation
from ..errors import DataError
from ..layers.l2 import WeightDecay
from ..layers.normalise_ops import EPSILON
from ..losses import PROBABILITY
from ..symbols import (
    INPUT,
    TARGET,
    Name,
    activation_gradient,
    deviation,
    error,
    gradient_name,
    parameter,
    variance,
)
from ..tensor import Add, Op
from .grid import Grid, batch_view, batch_wide_view_shape, zip_with
from .values import BatchValues, PlanValues, batch_size

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
        """x, y and the parameters as plain floats (vectors flat, matrices as rows, images nested),
        then what was drawn for the point (a dropout mask)."""
        given = self.given if self.given is not None else self.values
        out: dict[str, Any] = {}
        for name in dict.fromkeys(("x", "y", *parameters, *given)):
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
    samples = batch_size(derivation.plan)
    with mpmath.workdps(DIGITS):
        for _ in range(MAX_ATTEMPTS):
            # Every third point is drawn from a range five times wider, so that a
            # formula which only agrees near the origin is caught as well.
            wide = len(points) % 3 == 2
            if samples == 1:
                point = _try_point(derivation, wrt, rng, 5 if wide else 1)
            else:
                point = _try_batch_point(derivation, wrt, rng, 5 if wide else 1, samples)
            if point is not None:
                points.append(point)
                if len(points) == count:
                    return tuple(points)
    raise DataError(
        f"could not find {count} points where the loss {net.loss.name} of this network is "
        f"defined in {MAX_ATTEMPTS} random draws"
    )


def example(derivation: Derivation, seed: int = 0) -> Point:
    """A point for a worked example (a worksheet's): x, y and the parameters multiples of 0.1
    drawn from ``seed``, with the exact value of every quantity a formula may name."""
    rng = _Coarse(random.Random(seed))
    samples = batch_size(derivation.plan)
    first = derivation.network.parameter_names()[0]
    with mpmath.workdps(DIGITS):
        for _ in range(MAX_ATTEMPTS):
            if samples == 1:
                point = _try_point(derivation, first, rng, 1)  # type: ignore[arg-type]
            else:
                point = _try_batch_point(derivation, first, rng, 1, samples)  # type: ignore[arg-type]
            if point is not None:
                return point
    raise DataError(f"could not find a worked example where the loss is defined in {MAX_ATTEMPTS} draws")


class _Coarse:
    """Draws as random.Random does, but whole tenths where it would draw hundredths: numbers a
    person works with by hand."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def randint(self, low: int, high: int) -> int:
        return 10 * self.rng.randint(-(-low // 10), high // 10)

    def random(self) -> float:
        return self.rng.random()

    def sample(self, population: Any, k: int) -> list[Any]:
        return self.rng.sample(population, k)


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
    drawn_names: list[str] = []
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
            drawn = assignment.rule.sample(rng.random) if isinstance(assignment.rule, Op) else None
            target = assignment.target
            values[str(target.name)] = evaluate(assignment.rule) if drawn is None else Grid.array(target.shape, drawn)
            if drawn is not None:
                drawn_names.append(str(target.name))  # part of the point, as x and the parameters are
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
    _derived(values)
    given = {name: values[name] for name in (str(INPUT), str(TARGET), *network.parameter_names(), *drawn_names)}
    views = {name: view for name, value in values.items() if (view := value.view()) is not None}
    return Point(views, views[str(gradient_name(parameter(wrt)))], loss, given)


def _try_batch_point(derivation: Derivation, wrt: str, rng: random.Random, scale: int, count: int) -> Point | None:
    """A point of ``count`` samples, for a network whose layers read the whole batch (batch norm).

    A formula sees the batch as the textbooks of batch norm write it: each
    per-sample quantity a matrix whose column k is sample k (X is n₀ × N) —
    an image one whose row c is channel c of every sample and position, as
    batch norm of an image sees it (:func:`~.grid.batch_view`) — and δ, ∂L/∂a the derivatives of the batch loss — the mean of the samples'
    losses — so ∂L/∂W = δ Aᵀ with no 1/N left to write.
    """
    the_plan = derivation.plan
    network = derivation.network
    shared: dict[str, Grid] = {}
    samples: list[dict[str, Grid]] = [{} for _ in range(count)]
    batch = BatchValues(shared, samples)
    x = the_plan.x
    for sample in samples:
        sample[str(INPUT)] = Grid.array(x.shape, [_grid(rng, -200 * scale, 200 * scale) for _ in range(math.prod(x.shape))])
        sample[str(TARGET)] = matrix(network.output_size, 1, _targets(network.loss.targets, network.output_size, rng))
    for entry in the_plan.layers:
        for parameter_ in entry.parameters:
            reach = _REACH.get(parameter_.name.stem, 150)
            shared[str(parameter_.name)] = Grid.array(
                parameter_.shape, [_grid(rng, -reach * scale, reach * scale) for _ in range(math.prod(parameter_.shape))]
            )
        for assignment in entry.forward:
            name = str(assignment.target.name)
            value = batch(assignment.rule)
            if isinstance(value, list):
                for sample, v in zip(samples, value, strict=True):
                    sample[name] = v
            else:
                shared[name] = value
        act = entry.activation
        if act is not None and act.has_kink and any(
            abs(v) < KINK_MARGIN for sample in samples for v in sample[str(entry.z.name)].flat
        ):
            return None
    losses = batch(the_plan.loss)
    loss = mpmath.fsum(v.flat[0] for v in losses) / count
    if not _finite_real(loss):
        return None
    for layer in range(the_plan.depth, 0, -1):
        deltas = batch(the_plan.error_rule(layer))
        if not all(_finite_real(v) for d in deltas for v in d.flat):
            return None
        for sample, d in zip(samples, deltas, strict=True):
            sample[str(error(layer))] = d
    gradients = {str(activation_gradient(the_plan.depth)): batch(the_plan.loss_gradient)}
    for entry in the_plan.layers[1:]:
        gradients[str(activation_gradient(entry.index - 1))] = batch(entry.input_gradient)
    for name, values_ in gradients.items():
        for sample, v in zip(samples, values_, strict=True):
            sample[name] = v
    for entry in the_plan.layers:
        for gradient in the_plan.gradients(entry):
            shared[str(gradient_name(gradient.target.name))] = _batch_gradient(batch, gradient.rule, count)
    _derived(shared)
    views: dict[str, Grid] = {}
    for name, value in shared.items():
        if (seen := batch_wide_view_shape(value.array_shape)) is not None:
            views[name] = Grid(*seen, value.flat)
    for name in samples[0]:
        view = batch_view([sample[name] for sample in samples])
        if view is None:
            continue  # a sequence, or a kernel of several channels, has no view as a matrix of the batch
        # δ and ∂L/∂a of the batch loss, the mean of the samples' losses: 1/N of each sample's own.
        per = 1 / mpmath.mpf(count) if name.startswith(_BATCH_DERIVATIVES) else 1
        views[name] = zip_with(lambda v, f=per: v * f, view)
    given = {name: shared[name] for name in network.parameter_names()}
    for name in (str(INPUT), str(TARGET)):
        given[name] = Grid.of([list(sample[name].flat) for sample in samples])  # rows are samples, as in a data file
    given = {str(INPUT): given.pop(str(INPUT)), str(TARGET): given.pop(str(TARGET)), **given}
    return Point(views, views[str(gradient_name(parameter(wrt)))], loss, given)


# The names whose batch view is a derivative of the batch loss (scaled by 1/N).
_BATCH_DERIVATIVES = (str(error(1)).rstrip("1"), str(activation_gradient(1)).rstrip("1"))
# How far each kind of parameter is drawn from 0 (in hundredths): biases and shifts nearer.
_REACH = {"b": 100, "beta": 100}


def _batch_gradient(batch: BatchValues, rule: Any, count: int) -> Grid:
    """∂L/∂θ of the batch loss: the mean over the samples of each sample's rule, or of a sum over
    the batch; the L2 term λW (the same for the whole batch) added once."""
    decay = None
    if isinstance(rule, Add) and isinstance(rule.right, WeightDecay):
        rule, decay = rule.left, rule.right
    value = batch(rule)
    if isinstance(value, list):
        total = value[0]
        for v in value[1:]:
            total = zip_with(lambda p, q: p + q, total, v)
    else:
        total = value
    mean = zip_with(lambda v: v / count, total)
    return mean if decay is None else zip_with(lambda p, q: p + q, mean, batch(decay))


def _derived(shared: dict[str, Grid]) -> None:
    """Names a formula may use that the plan does not hold: each normalisation's variance σ²,
    from its deviation σ = √(σ² + ε)."""
    written = Fraction(str(EPSILON))  # 1e-5 as written, in the precision of the moment
    epsilon = mpmath.mpf(written.numerator) / written.denominator
    for name in list(shared):
        which = Name.parse(name) if name[0].isalpha() else None
        if which is not None and which.stem == deviation(1).stem and which.layer is not None:
            shared[str(variance(which.layer))] = zip_with(lambda v: v * v - epsilon, shared[name])


def _array(value: Grid) -> Any:
    """A value as a NumPy array of its own shape (for a layer's own test of its input)."""
    import numpy

    return numpy.array(value.flat, dtype=object).reshape(value.array_shape)


def _finite_real(value: Any) -> bool:
    return isinstance(value, mpmath.mpf) and mpmath.isfinite(value)


def quantity_value(point: Point, quantity: str) -> Grid:
    """The true value at ``point`` of a quantity a derivation may name (δ2, dA1, dW2, db1, z1, a1)."""
    return point.values[quantity]
