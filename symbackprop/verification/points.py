"""Random points where a formula is judged: x, y, parameters, and everything they determine.

Inputs and parameters are drawn on a grid of hundredths (x in [-2, 2],
weights in [-1.5, 1.5], biases in [-1, 1]; every third point five times
wider), so a counterexample can be typed back exactly; targets follow the loss (probability vectors for
cross_entropy, values in (0, 1) otherwise).  A point is kept only where the
loss is defined and no kinked activation sits at its kink.  The forward pass
is plain arithmetic; the δ's and the gradient are the derivation engine's own
expressions, evaluated in high precision (mpmath).

The network's own constants (a leaky ReLU's slope, the numbers in a custom
activation or loss) are decimals as written, 0.2 = 1/5, just as a formula's
numbers are: SymPy holds them as binary floats (0.2000000000000000111…), which
is fine for float64 code but would make a 40-digit truth differ from an exact
formula in the 17th digit.  :func:`as_written` turns them back.

>>> from symbackprop import models
>>> p = sample(models.two_two_two().derive(), "W1", count=2, seed=0)[0]
>>> sorted(p.values)[:4], p.gradient.shape
(['W1', 'W2', 'a1', 'a2'], (2, 2))
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import sympy

from ..activations import T
from ..derive import Derivation
from ..errors import DataError
from .context import split
from .grid import Grid

DIGITS = 40
MAX_ATTEMPTS = 500
KINK_MARGIN = mpmath.mpf("0.001")


@dataclass(frozen=True)
class Point:
    """Values (grids of mpf) of x, y, W, b, z, a, δ, ∂L/∂a (``dA1``…) and the true gradient."""

    values: dict[str, Grid]
    gradient: Grid
    loss: Any

    def inputs(self, parameters: tuple[str, ...]) -> dict[str, Any]:
        """x, y and the parameters as plain floats (vectors flat, matrices as rows)."""
        out: dict[str, Any] = {}
        for name in ("x", "y", *parameters):
            array = self.values[name]
            out[name] = [float(v) for v in array.flat] if array.cols == 1 and name[0] != "W" else [
                [float(v) for v in row] for row in array
            ]
        return out


def matrix(rows: int, cols: int, entries: list[Any]) -> Grid:
    return Grid(rows, cols, tuple(entries))


def as_written(expr: Any) -> Any:
    """``expr`` with every binary float replaced by the decimal it prints as (0.2 -> 1/5).

    >>> as_written(sympy.Float(0.2) * T)
    t/5
    """
    floats = getattr(expr, "atoms", lambda *_: set())(sympy.Float)
    return expr.xreplace({f: sympy.Rational(str(f)) for f in floats}) if floats else expr


def sample(derivation: Derivation, wrt: str, count: int = 6, seed: int = 0) -> list[Point]:
    """``count`` points (reproducible from ``seed``) where the loss is defined."""
    net = derivation.network
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
                    return points
    raise DataError(
        f"could not find {count} points where the loss {net.loss.name} of this network is "
        f"defined in {MAX_ATTEMPTS} random draws"
    )


def _grid(rng: random.Random, low: int, high: int) -> mpmath.mpf:
    """A multiple of 0.01 in [low/100, high/100], exact in decimal."""
    return mpmath.mpf(rng.randint(low, high)) / 100


def _targets(loss: str, n: int, rng: random.Random) -> list[Any]:
    if loss == "cross_entropy":
        # n positive hundredths that sum to exactly 1.
        cuts = sorted(rng.sample(range(1, 100), n - 1))
        edges = [0, *cuts, 100]
        return [mpmath.mpf(edges[i + 1] - edges[i]) / 100 for i in range(n)]
    return [_grid(rng, 1, 99) for _ in range(n)]


def _try_point(derivation: Derivation, wrt: str, rng: random.Random, scale: int) -> Point | None:
    net = derivation.network
    sizes = net.sizes
    values: dict[str, Grid] = {}
    values["x"] = matrix(sizes[0], 1, [_grid(rng, -200 * scale, 200 * scale) for _ in range(sizes[0])])
    values["y"] = matrix(sizes[-1], 1, _targets(net.loss.name, sizes[-1], rng))
    previous = values["x"]
    for layer, spec in enumerate(net.layers, start=1):
        n, m = sizes[layer], sizes[layer - 1]
        W = matrix(n, m, [_grid(rng, -150 * scale, 150 * scale) for _ in range(n * m)])
        values[f"W{layer}"] = W
        z = W @ previous
        if net.bias:
            b = matrix(n, 1, [_grid(rng, -100 * scale, 100 * scale) for _ in range(n)])
            values[f"b{layer}"] = b
            z = matrix(n, 1, [u + v for u, v in zip(z.flat, b.flat, strict=True)])
        if spec.activation.has_kink and any(abs(v) < KINK_MARGIN for v in z.flat):
            return None
        if spec.activation.elementwise:
            f = _numeric_activation(as_written(spec.activation.expr))
            a = matrix(n, 1, [f(v) for v in z.flat])
        else:
            exps = [mpmath.exp(v) for v in z.flat]
            total = mpmath.fsum(exps)
            a = matrix(n, 1, [e / total for e in exps])
        values[f"z{layer}"], values[f"a{layer}"] = z, a
        previous = a
    env = _environment(values, derivation)
    loss = _engine_function(derivation, "loss")(env)
    if not _finite_real(loss):
        return None
    L = net.depth
    for layer in range(L, 0, -1):
        delta = _engine_function(derivation, f"delta{layer}")(env)
        if not all(_finite_real(v) for v in delta.flat):
            return None
        values[f"delta{layer}"] = delta
        env.update(_flat(f"delta{layer}", delta, derivation))
    # ∂L/∂a⁽ˡ⁾: the loss's gradient at the output, (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ below it.
    values[f"dA{L}"] = _engine_function(derivation, "loss_gradient")(env)
    for layer in range(1, L):
        values[f"dA{layer}"] = values[f"W{layer + 1}"].T @ values[f"delta{layer + 1}"]
    gradient = _engine_function(derivation, f"grad{wrt}")(env)
    return Point(values, gradient, loss)


def _finite_real(value: Any) -> bool:
    return isinstance(value, mpmath.mpf) and mpmath.isfinite(value)


def _environment(values: dict[str, Grid], derivation: Derivation) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for name, array in values.items():
        env.update(_flat(name, array, derivation))
    return env


def _flat(name: str, array: Grid, derivation: Derivation) -> dict[str, Any]:
    symbols = _symbol_matrix(derivation, name)
    return {str(s): v for s, v in zip(symbols, array.flat, strict=True)}


def _symbol_matrix(derivation: Derivation, name: str) -> sympy.ImmutableMatrix:
    syms = derivation.symbols
    if name in ("x", "y"):
        return getattr(syms, name)
    stem, layer = split(name)
    return getattr(syms.layers[layer - 1], stem)


def quantity_value(point: Point, quantity: str) -> Grid:
    """The true value at ``point`` of a quantity a derivation may name (δ2, dA1, dW2, db1, z1, a1)."""
    stem, layer = split(quantity)
    if stem == "db":
        return point.values[f"delta{layer}"]
    if stem == "dW":
        previous = point.values["x" if layer == 1 else f"a{layer - 1}"]
        with mpmath.workdps(DIGITS):
            return point.values[f"delta{layer}"] @ previous.T
    return point.values[quantity]


@lru_cache(maxsize=64)
def _numeric_activation(expr: sympy.Expr):
    return sympy.lambdify(T, expr, modules="mpmath")


_ENGINE_CACHE: dict[tuple[int, str], Any] = {}


def _engine_function(derivation: Derivation, what: str):
    """The engine's loss, δ⁽ˡ⁾ (in terms of δ⁽ˡ⁺¹⁾) or gradient (δ form) as an mpmath function.

    The expressions are SymPy's, built by the derivation from the network spec;
    lambdify turns them into code.  No text typed into a formula reaches here.
    """
    key = (id(derivation), what)
    if key not in _ENGINE_CACHE or _ENGINE_CACHE[key][0] is not derivation:
        if what == "loss":
            expr: Any = derivation.loss
        elif what == "loss_gradient":
            expr = derivation.loss_gradient
        elif what.startswith("delta"):
            expr = derivation.deltas[int(what[5:]) - 1]
        else:
            expr = derivation.gradient(what[4:], form="delta")
        expr = as_written(expr)
        free = sorted(expr.free_symbols, key=str)
        func = sympy.lambdify(free, expr, modules="mpmath")
        names = [str(s) for s in free]
        shape = getattr(expr, "shape", None)

        def evaluate(env: dict[str, Any]) -> Any:
            result = func(*[env[n] for n in names])
            if shape is None:
                return _to_mpf(result)
            flat = [_to_mpf(result[i, j]) for i in range(shape[0]) for j in range(shape[1])]
            return matrix(shape[0], shape[1], flat)

        if len(_ENGINE_CACHE) > 256:
            _ENGINE_CACHE.clear()
        _ENGINE_CACHE[key] = (derivation, evaluate)
    return _ENGINE_CACHE[key][1]


def _to_mpf(value: Any) -> Any:
    if isinstance(value, mpmath.mpf | mpmath.mpc):
        return value
    if isinstance(value, int | float | Fraction):
        return mpmath.mpf(value)
    try:
        return mpmath.mpf(value)
    except (TypeError, ValueError):
        return mpmath.mpc(complex(value))
