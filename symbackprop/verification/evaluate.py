"""Numeric evaluation of a checked formula tree at one point, in high precision.

Matrices are :class:`~symbackprop.verification.grid.Grid` values of mpmath
numbers, every entry computed to 40 digits.  Index notation is evaluated
entry by entry with its letters bound.  Where the formula is not defined (a
log of a negative number, a division by zero) the result is
:class:`Undefined`, never an exception that escapes.

>>> import mpmath
>>> from symbackprop.verification.nodes import BinOp, Name, Num
>>> from fractions import Fraction
>>> from symbackprop.verification.grid import Grid
>>> a = Grid.column([1, 3])
>>> evaluate(BinOp("*", Num(Fraction(1, 2)), Name("a")), {"a": a}.__getitem__).flat
(mpf('0.5'), mpf('1.5'))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import mpmath

from .functions import FUNCTIONS
from .grid import Grid, entries, zip_with
from .images import OPERATIONS
from .nodes import BinOp, Call, Compare, Entry, Name, Neg, Node, Num, Sum, Table, Transpose
from .points import DIGITS


class Undefined(Exception):
    """The formula has no real value at this point."""


def evaluate(
    tree: Node,
    value_of: Callable[[str], Any],
    extra: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """The value of a shape-checked tree: an mpf or a Grid of mpf."""
    with mpmath.workdps(DIGITS):
        try:
            result = _Evaluator(value_of, extra or {}).visit(tree, {})
        except (ZeroDivisionError, OverflowError, ValueError, TypeError, ArithmeticError) as exc:
            raise Undefined(str(exc) or type(exc).__name__) from None
    for v in entries(result):
        if not (isinstance(v, mpmath.mpf) and mpmath.isfinite(v)):
            raise Undefined("the formula has no finite real value here")
    return result


_COMPARE = {
    ">": lambda u, v: u > v,
    "<": lambda u, v: u < v,
    ">=": lambda u, v: u >= v,
    "<=": lambda u, v: u <= v,
}


def _arithmetic(op: str) -> Callable[[Any, Any], Any]:
    return {
        "+": lambda u, v: u + v,
        "-": lambda u, v: u - v,
        "*": lambda u, v: u * v,
        "/": lambda u, v: u / v,
    }[op]


class _Evaluator:
    def __init__(self, value_of: Callable[[str], Any], extra: Mapping[str, Callable[..., Any]]):
        self.value_of, self.extra = value_of, extra

    def visit(self, node: Node, bound: dict[str, int]) -> Any:
        if isinstance(node, Num):
            return mpmath.mpf(node.value.numerator) / node.value.denominator
        if isinstance(node, Name):
            return self.value_of(node.id)
        if isinstance(node, Neg):
            return zip_with(lambda v: -v, self.visit(node.operand, bound))
        if isinstance(node, Transpose):
            value = self.visit(node.operand, bound)
            return value.T if isinstance(value, Grid) else value
        if isinstance(node, Call):
            return self.call(node, bound)
        if isinstance(node, Compare):
            test = _COMPARE[node.op]
            left, right = self.visit(node.left, bound), self.visit(node.right, bound)
            return zip_with(lambda u, v: mpmath.mpf(1 if test(u, v) else 0), left, right)
        if isinstance(node, Entry):
            return self.entry(node, bound)
        if isinstance(node, Sum):
            terms = [self.visit(node.body, {**bound, node.index: k}) for k in range(node.lower - 1, node.size or 0)]
            if any(isinstance(term, Grid) for term in terms):  # Σ_t over the steps of a sequence
                return functools.reduce(lambda u, v: zip_with(lambda p, q: p + q, u, v), terms)
            return mpmath.fsum(terms)
        if isinstance(node, Table):
            return self.table(node, bound)
        return self.binary(node, bound)

    def entry(self, node: Entry, bound: dict[str, int]) -> Any:
        matrix = self.value_of(node.name)
        where = node.positions(bound)
        if len(where) == 1 and matrix.cols > 1 and node.axis == 1:  # sample i of a batch: column i
            i = where[0]
            inside = 0 <= i < matrix.cols
            return Grid.build(matrix.rows, 1, lambda j, _: matrix[j, i] if inside else mpmath.mpf(0))
        if len(where) == 1 and matrix.cols > 1:  # step t of a sequence: row t, as a column
            t = where[0]
            inside = 0 <= t < matrix.rows
            return Grid.build(matrix.cols, 1, lambda j, _: matrix[t, j] if inside else mpmath.mpf(0))
        row, col = where[0], where[1] if len(where) > 1 else 0
        if not (0 <= row < matrix.rows and 0 <= col < matrix.cols):
            return mpmath.mpf(0)  # an offset index beyond the edge: the zero padding
        return matrix[row, col]

    def table(self, node: Table, bound: dict[str, int]) -> Grid:
        rows = node.sizes[0]
        cols = node.sizes[1] if len(node.sizes) > 1 else 1

        def cell(i: int, j: int) -> Any:
            letters = dict(zip(node.indices, (i, j), strict=False))
            value = self.visit(node.body, {**bound, **letters})
            return value.flat[0] if isinstance(value, Grid) else value

        return Grid.build(rows, cols, cell)

    def call(self, node: Call, bound: dict[str, int]) -> Any:
        args = [self.visit(a, bound) for a in node.args]
        if node.func in self.extra:
            return zip_with(self.extra[node.func], *args)
        spec = FUNCTIONS[node.func]
        arg = args[0]
        if spec.kind == "image":
            operation = OPERATIONS[node.func]
            counts = [int(v) for v in args[operation.operands :]]
            matrices = [v if isinstance(v, Grid) else Grid(1, 1, (v,)) for v in args[: operation.operands]]
            return operation.value(*matrices, *counts)
        if spec.kind == "sum":
            return mpmath.fsum(entries(arg))
        if spec.kind == "rowsum":
            return Grid.column(mpmath.fsum(row) for row in arg)
        if spec.kind == "colsum":
            return Grid.of([[mpmath.fsum(col) for col in zip(*arg, strict=True)]])
        if spec.kind == "softmax":
            exps = zip_with(FUNCTIONS["exp"].numeric, arg)
            total = mpmath.fsum(exps.flat)
            return zip_with(lambda e: e / total, exps)
        if spec.kind == "diag":
            if arg.cols == 1:
                return Grid.build(arg.rows, arg.rows, lambda i, j: arg[i, 0] if i == j else mpmath.mpf(0))
            return Grid.column(arg[i, i] for i in range(arg.rows))
        if spec.kind == "outer":
            u, v = (entries(a) for a in args)
            return Grid.build(len(u), len(v), lambda i, j: u[i] * v[j])
        return zip_with(spec.numeric, *args)

    def binary(self, node: BinOp, bound: dict[str, int]) -> Any:
        left, right = self.visit(node.left, bound), self.visit(node.right, bound)
        op = node.op
        if op == "@":
            return left @ right
        if op == "**":
            exponent = node.right.value  # checked by the parser: a small constant
            power = int(exponent) if exponent.denominator == 1 else mpmath.mpf(exponent.numerator) / exponent.denominator
            return zip_with(lambda v: v**power, left)
        return zip_with(_arithmetic(op), left, right)
