"""A derivation, line by line: shapes, values at the sample points, and each line against the truth.

Every line is shape-checked in order; a name assigned by one line is seen by
the lines after it, with the value that line gives (so a wrong δ⁽²⁾ makes the
lines that use it wrong too, and the first wrong line is where the mistake
is).  Lines whose left-hand side names a quantity — δ⁽ˡ⁾ (dZ), ∂L/∂a⁽ˡ⁾ (dA),
∂L/∂W⁽ˡ⁾, ∂L/∂b⁽ˡ⁾, z⁽ˡ⁾, a⁽ˡ⁾ — are compared with its true value; other names
are the writer's own shorthand and are not checked.

>>> from symbackprop import models
>>> from symbackprop.verification.context import names_for
>>> from symbackprop.verification.python_syntax import parse_python
>>> table = names_for(models.two_two_two())
>>> lines = check_lines(parse_python("g = a2 - y; dZ2 = g * a2; dW2 = dZ2 @ a1.T", table), table)
>>> [(line.statement.target, line.shape) for line in lines]
[('g', (2, 1)), ('delta2', (2, 1)), ('dW2', (2, 2))]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ShapeError
from .context import NameTable, describe_quantity
from .evaluate import Undefined, evaluate
from .grid import Grid
from .nodes import Node, Statement
from .points import Point
from .shapes import Shape, check, describe


@dataclass(frozen=True)
class CheckedLine:
    """A statement, its tree with every product made explicit, and its shape."""

    statement: Statement
    tree: Node
    shape: Shape


def check_lines(statements: Sequence[Statement], table: NameTable, syntax: str = "python") -> list[CheckedLine]:
    """Shape-check every line in order; raises ShapeError naming the line of a derivation."""
    shapes = dict(table.shapes)
    out = []
    several = len(statements) > 1
    for statement in statements:
        try:
            tree, shape = check(statement.expr, shapes, syntax, table.images, table.sequences, table.samples > 1)
        except ShapeError as exc:
            if several:
                raise ShapeError(f"line {statement.line} ({statement.text}): {exc}") from None
            raise
        if statement.quantity is not None and not statement.indices:
            expected = table.quantity_shape(statement.quantity)
            if shape != expected and not (shape in ((), (1, 1)) and expected == (1, 1)):
                raise ShapeError(
                    f"line {statement.line} ({statement.text}) gives a {describe(shape)} but "
                    f"{describe_quantity(statement.quantity)} is a {describe(expected)}"
                )
        if statement.target is not None:
            shapes[statement.target] = shape
        out.append(CheckedLine(statement, tree, shape))
    return out


def run(lines: Sequence[CheckedLine], point: Point, table: NameTable) -> list[Any]:
    """Each line's value at ``point`` (None where it has no real value)."""
    assigned: dict[str, Any] = {}
    values = []
    lookup = value_lookup(point, table, assigned)
    for line in lines:
        try:
            value = evaluate(line.tree, lookup)
        except Undefined:
            value = None
        if line.statement.target is not None:
            assigned[line.statement.target] = value
        values.append(value)
    return values


def value_lookup(point: Point, table: NameTable, assigned: dict[str, Any] | None = None) -> Callable[[str], Any]:
    """Names to values at a point: a derivation's own lines first, then the point's values."""
    assigned = assigned if assigned is not None else {}

    def value_of(name: str) -> Any:
        if name in assigned:
            value = assigned[name]
            if value is None:
                raise Undefined(f"{name} has no value here")
            return value
        if name in table.lookup:
            matrix, i, j = table.lookup[name]
            return value_of(matrix)[i, j]
        return point.values[name]

    return value_of


def pick(value: Any, entry: tuple[int, int] | None) -> Any:
    """One entry (0-based) of a value, or the value."""
    if entry is None or value is None:
        return value
    return value[entry] if isinstance(value, Grid) else value
