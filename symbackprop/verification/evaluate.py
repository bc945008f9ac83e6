"""Numeric evaluation of a checked formula tree at one point, in high precision.

Matrices are 2-D NumPy arrays of mpmath numbers, so ``@``, ``*`` and ``.T``
are NumPy's and every entry is computed to 40 digits.  Where the formula is
not defined (a log of a negative number, a division by zero) the result is
:class:`Undefined`, never an exception that escapes.

>>> import mpmath
>>> from symbackprop.verification.nodes import BinOp, Name, Num
>>> from fractions import Fraction
>>> from symbackprop.verification.points import matrix
>>> a = matrix(2, 1, [mpmath.mpf(1), mpmath.mpf(3)])
>>> evaluate(BinOp("*", Num(Fraction(1, 2)), Name("a")), {"a": a}.__getitem__)[:, 0]
array([mpf('0.5'), mpf('1.5')], dtype=object)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import numpy as np

from .functions import FUNCTIONS
from .nodes import BinOp, Call, Name, Neg, Node, Num, Transpose
from .points import DIGITS


class Undefined(Exception):
    """The formula has no real value at this point."""


def evaluate(
    tree: Node,
    value_of: Callable[[str], Any],
    extra: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """The value of a shape-checked tree: an mpf or a 2-D object array of mpf."""
    with mpmath.workdps(DIGITS):
        try:
            result = _Evaluator(value_of, extra or {}).visit(tree)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError, ArithmeticError) as exc:
            raise Undefined(str(exc) or type(exc).__name__) from None
    for v in np.asarray(result, dtype=object).flat:
        if not (isinstance(v, mpmath.mpf) and mpmath.isfinite(v)):
            raise Undefined("the formula has no finite real value here")
    return result


class _Evaluator:
    def __init__(self, value_of: Callable[[str], Any], extra: Mapping[str, Callable[..., Any]]):
        self.value_of, self.extra = value_of, extra

    def visit(self, node: Node) -> Any:
        if isinstance(node, Num):
            return mpmath.mpf(node.value.numerator) / node.value.denominator
        if isinstance(node, Name):
            return self.value_of(node.id)
        if isinstance(node, Neg):
            return -self.visit(node.operand)
        if isinstance(node, Transpose):
            value = self.visit(node.operand)
            return value.T if isinstance(value, np.ndarray) else value
        if isinstance(node, Call):
            return self.call(node)
        return self.binary(node)

    def call(self, node: Call) -> Any:
        args = [self.visit(a) for a in node.args]
        if node.func in self.extra:
            func = self.extra[node.func]
            return _map(func, *args)
        spec = FUNCTIONS[node.func]
        (arg,) = args
        if spec.kind == "sum":
            return mpmath.fsum(np.asarray(arg, dtype=object).flat)
        if spec.kind == "softmax":
            exps = _map(FUNCTIONS["exp"].numeric, arg)
            return exps / mpmath.fsum(exps.flat)
        return _map(spec.numeric, arg)

    def binary(self, node: BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        op = node.op
        if op != "@":
            left, right = _as_number(left, right), _as_number(right, left)
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right
        if op == "@":
            return left @ right
        if op == "**":
            exponent = node.right.value  # checked by the parser: a small constant
            power = int(exponent) if exponent.denominator == 1 else mpmath.mpf(exponent.numerator) / exponent.denominator
            return _map(lambda v: v**power, left)
        raise AssertionError(op)


def _as_number(value: Any, other: Any) -> Any:
    """A (1, 1) matrix next to a larger one acts as the number it holds."""
    if (
        isinstance(value, np.ndarray)
        and value.shape == (1, 1)
        and isinstance(other, np.ndarray)
        and other.shape != (1, 1)
    ):
        return value[0, 0]
    return value


def _map(func: Callable[..., Any], *args: Any) -> Any:
    if any(isinstance(a, np.ndarray) for a in args):
        return np.frompyfunc(func, len(args), 1)(*args).astype(object)
    return func(*args)
