"""Independent evaluation of a derivation at random points, for the engine tests.

The oracle is ``sympy.diff`` of the fully expanded loss; the engine's forms
(expanded, intermediate, δ) are evaluated at the same point from a forward
pass computed here, entry by entry, with 30-digit floats so that a 1e-10
tolerance measures the engine and not rounding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy

from symbackprop import Network
from symbackprop.activations import T

DIGITS = 30
KINK_MARGIN = 1e-3


def value(expr: sympy.Expr, point: dict) -> float:
    """A SymPy expression evaluated at a point (every free symbol must be given).

    The walk remembers every subexpression it has seen, so an expanded
    expression whose tree repeats the same forward pass many times costs what
    its distinct parts cost.
    """
    with mpmath.workdps(DIGITS):
        return float(_Evaluator(point).visit(sympy.sympify(expr)))


class _Evaluator:
    FUNCTIONS = {
        sympy.exp: mpmath.exp,
        sympy.log: mpmath.log,
        sympy.tanh: mpmath.tanh,
        sympy.sinh: mpmath.sinh,
        sympy.cosh: mpmath.cosh,
        sympy.erf: mpmath.erf,
        sympy.Abs: abs,
        sympy.sign: mpmath.sign,
    }

    def __init__(self, point: dict):
        self.point = point
        self.memo: dict = {}

    def visit(self, expr):
        try:
            return self.memo[expr]
        except KeyError:
            pass
        out = self.compute(expr)
        self.memo[expr] = out
        return out

    def compute(self, expr):
        if expr.is_Symbol:
            if expr not in self.point:
                raise AssertionError(f"no value for {expr}")
            return mpmath.mpf(self.point[expr])
        if expr.is_Rational:
            return mpmath.mpf(expr.p) / expr.q
        if expr.is_Float:
            return mpmath.mpf(expr)
        if expr.is_NumberSymbol:  # pi, E
            return mpmath.mpf(expr.evalf(DIGITS))
        if expr.is_Add:
            return mpmath.fsum(self.visit(arg) for arg in expr.args)
        if expr.is_Mul:
            return mpmath.fprod(self.visit(arg) for arg in expr.args)
        if expr.is_Pow:
            return self.visit(expr.base) ** self.visit(expr.exp)
        if expr.func in self.FUNCTIONS:
            return self.FUNCTIONS[expr.func](self.visit(expr.args[0]))
        if isinstance(expr, sympy.Max):
            return max(self.visit(arg) for arg in expr.args)
        if isinstance(expr, sympy.Min):
            return min(self.visit(arg) for arg in expr.args)
        if isinstance(expr, sympy.Heaviside):
            t = self.visit(expr.args[0])
            return mpmath.mpf(1 if t > 0 else 0) if t != 0 else self.visit(expr.args[1])
        if isinstance(expr, sympy.Piecewise):
            for piece, condition in expr.args:
                if self.truth(condition):
                    return self.visit(piece)
            raise AssertionError(f"no piece of {expr} applies")
        raise AssertionError(f"the test evaluator does not know {type(expr).__name__}: {expr}")

    def truth(self, condition) -> bool:
        if condition is sympy.true:
            return True
        if condition is sympy.false:
            return False
        if isinstance(condition, sympy.And):
            return all(self.truth(arg) for arg in condition.args)
        if isinstance(condition, sympy.Or):
            return any(self.truth(arg) for arg in condition.args)
        if isinstance(condition, sympy.Not):
            return not self.truth(condition.args[0])
        if isinstance(condition, sympy.logic.boolalg.ITE):
            test, then, otherwise = condition.args
            return self.truth(then) if self.truth(test) else self.truth(otherwise)
        left, right = self.visit(condition.lhs), self.visit(condition.rhs)
        compare = {
            sympy.StrictGreaterThan: lambda: left > right,
            sympy.GreaterThan: lambda: left >= right,
            sympy.StrictLessThan: lambda: left < right,
            sympy.LessThan: lambda: left <= right,
            sympy.Eq: lambda: left == right,
            sympy.Ne: lambda: left != right,
        }
        return compare[type(condition)]()


def close(got: float, want: float, tolerance: float = 1e-10) -> bool:
    return abs(got - want) <= tolerance * max(1.0, abs(want))


@dataclass(frozen=True)
class Point:
    """Values of x, y and the parameters, and the forward pass and δ's at them."""

    inputs: dict  # x, y, parameters -> Float
    everything: dict  # also z, a and δ -> Float


def random_point(net: Network, seed: int) -> Point:
    """A random point; targets are a probability vector for cross-entropy, in (0,1) otherwise.

    For piecewise-linear activations the point is drawn again until every
    pre-activation is at least ``KINK_MARGIN`` away from the kink at 0.
    """
    d = net.derive()
    rng = random.Random(seed)
    for _ in range(200):
        inputs = {}
        for x in d.symbols.x:
            inputs[x] = rng.uniform(-1, 1)
        ys = [rng.uniform(0.1, 0.9) for _ in d.symbols.y]
        if net.loss.name == "cross_entropy":
            total = sum(ys)
            ys = [v / total for v in ys]
        inputs.update(zip(d.symbols.y, ys, strict=True))
        for name in d.parameters():
            for symbol in d.symbols.parameter(name):
                inputs[symbol] = rng.uniform(-1, 1)
        inputs = {k: sympy.Float(v, DIGITS) for k, v in inputs.items()}
        everything = forward_and_deltas(d, inputs)
        if not _near_kink(d, everything):
            return Point(inputs, everything)
    raise AssertionError("could not draw a point away from the kinks")


def _near_kink(d, values: dict) -> bool:
    for spec, layer in zip(d.network.layers, d.symbols.layers, strict=True):
        if spec.activation.has_kink and any(abs(values[z]) < KINK_MARGIN for z in layer.z):
            return True
    return False


def forward_and_deltas(d, inputs: dict) -> dict:
    """z, a by a forward pass and δ by the engine's recursion, all as numbers."""
    values = dict(inputs)
    for spec, layer, z_local in zip(d.network.layers, d.symbols.layers, d.pre_activations, strict=True):
        zs = [z.xreplace(values).evalf(DIGITS) for z in z_local]
        if spec.activation.elementwise:
            acts = [spec.activation.expr.xreplace({T: z}).evalf(DIGITS) for z in zs]
        else:
            exps = [sympy.exp(z).evalf(DIGITS) for z in zs]
            acts = [e / sum(exps) for e in exps]
        values.update(zip(layer.z, zs, strict=True))
        values.update(zip(layer.a, acts, strict=True))
    for layer in reversed(d.symbols.layers):
        deltas = d.deltas[layer.index - 1]
        values.update(
            (symbol, entry.xreplace(values).evalf(DIGITS))
            for symbol, entry in zip(layer.delta, deltas, strict=True)
        )
    return values


def parameter_entries(d):
    """(name, row, col, symbol) for every scalar parameter, 0-based row and col."""
    for name in d.parameters():
        matrix = d.symbols.parameter(name)
        for row in range(matrix.rows):
            for col in range(matrix.cols):
                yield name, row, col, matrix[row, col]
