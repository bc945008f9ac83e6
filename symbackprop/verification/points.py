"""Random points where a formula is judged: x, y, parameters, and everything they determine.

Inputs and parameters are drawn on a grid of hundredths (x in [-2, 2],
weights in [-1.5, 1.5], biases in [-1, 1]; every third point five times
wider), so a counterexample can be typed back exactly; targets follow the loss (probability vectors for
cross_entropy, values in (0, 1) otherwise).  A point is kept only where the
loss is defined and no kinked activation sits at its kink.  The forward pass
is plain arithmetic; the δ's and the gradient are the derivation engine's own
expressions, evaluated in high precision (mpmath).

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
import numpy as np
import sympy

from ..activations import T
from ..derive import Derivation
from ..errors import DataError

DIGITS = 40
MAX_ATTEMPTS = 500
KINK_MARGIN = mpmath.mpf("0.001")


@dataclass(frozen=True)
class Point:
    """Values (2-D object arrays of mpf) of x, y, W, b, z, a, δ and the true gradient."""

    values: dict[str, np.ndarray]
    gradient: np.ndarray
    loss: Any

    def inputs(self, parameters: tuple[str, ...]) -> dict[str, Any]:
        """x, y and the parameters as plain floats (vectors flat, matrices as rows)."""
        out: dict[str, Any] = {}
        for name in ("x", "y", *parameters):
            array = self.values[name]
            out[name] = [float(v) for v in array[:, 0]] if array.shape[1] == 1 and name[0] != "W" else [
                [float(v) for v in row] for row in array
            ]
        return out


def matrix(rows: int, cols: int, entries: list[Any]) -> np.ndarray:
    out = np.empty((rows, cols), dtype=object)
    for k, value in enumerate(entries):
        out[k // cols, k % cols] = value
    return out


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
    values: dict[str, np.ndarray] = {}
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
            z = z + b
        if spec.activation.has_kink and any(abs(v) < KINK_MARGIN for v in z.flat):
            return None
        if spec.activation.elementwise:
            f = _numeric_activation(spec.activation.expr)
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
    gradient = _engine_function(derivation, f"grad{wrt}")(env)
    return Point(values, gradient, loss)


def _finite_real(value: Any) -> bool:
    return isinstance(value, mpmath.mpf) and mpmath.isfinite(value)


def _environment(values: dict[str, np.ndarray], derivation: Derivation) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for name, array in values.items():
        env.update(_flat(name, array, derivation))
    return env


def _flat(name: str, array: np.ndarray, derivation: Derivation) -> dict[str, Any]:
    symbols = _symbol_matrix(derivation, name)
    return {str(s): v for s, v in zip(symbols, array.flat, strict=True)}


def _symbol_matrix(derivation: Derivation, name: str) -> sympy.ImmutableMatrix:
    syms = derivation.symbols
    if name in ("x", "y"):
        return getattr(syms, name)
    stem, layer = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")) :])
    return getattr(syms.layers[layer - 1], stem)


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
        elif what.startswith("delta"):
            expr = derivation.deltas[int(what[5:]) - 1]
        else:
            expr = derivation.gradient(what[4:], form="delta")
        free = sorted(expr.free_symbols, key=str)
        func = sympy.lambdify(free, expr, modules="mpmath")
        names = [str(s) for s in free]
        shape = getattr(expr, "shape", None)

        def evaluate(env: dict[str, Any]) -> Any:
            result = func(*[env[n] for n in names])
            if shape is None:
                return _to_mpf(result)
            flat = [_to_mpf(v) for v in np.asarray(result, dtype=object).flat]
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
