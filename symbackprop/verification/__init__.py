"""Verify a hand-derived gradient formula: correct, or wrong with a counterexample and a diagnosis.

The formula is parsed (never evaluated as code), shape-checked, and compared
with the derivation engine's gradient at seeded random points in 40-digit
arithmetic; a symbolic proof is attempted where it is cheap.  A wrong formula
comes with the point where it fails and, when it matches one, the name of the
classic mistake.

>>> from symbackprop import models
>>> net = models.two_two_two()
>>> verify(net, "W2", "delta2 @ a1.T").correct
True
>>> v = verify(net, "W1", "(W2.T @ delta2) @ x.T")
>>> v.correct, v.diagnosis.name
(False, 'missing-derivative')
>>> verify(net, "W2[1,2]", r"\\delta^{(2)}_{1} a^{(1)}_{2}", syntax="latex").correct
True
>>> import symbackprop as sbp
>>> sbp.verify(net, "b2", "delta2").correct
True
"""

from __future__ import annotations

import re
from typing import Any

import mpmath
import numpy as np

from ..errors import ExpressionError, ShapeError, UnknownParameterError
from ..spec import Network
from . import reference
from .context import NameTable, names_for
from .diagnosis import Diagnosis, catalogue
from .equivalence import close, flat, prove, worst_entry
from .evaluate import Undefined, evaluate
from .latex_syntax import parse_latex
from .nodes import Node
from .points import Point, sample
from .python_syntax import parse_python
from .shapes import check, describe
from .verdict import Counterexample, Verdict

__all__ = ["Counterexample", "Diagnosis", "Verdict", "parse", "verify"]

SYNTAXES = ("python", "latex")
_WRT = re.compile(r"^\s*([Wb])(\d+)\s*(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*$")


def parse_wrt(network: Network, wrt: str) -> tuple[str, tuple[int, int] | None]:
    """``W2`` -> ("W2", None); ``W2[1,2]`` -> ("W2", (0, 1)) (given 1-based, kept 0-based)."""
    shapes = network.parameter_shapes()
    m = _WRT.match(wrt) if isinstance(wrt, str) else None
    if m is None or f"{m.group(1)}{m.group(2)}" not in shapes:
        raise UnknownParameterError(
            f"unknown parameter {wrt!r}; this network has {', '.join(shapes)} "
            "(one entry: W1[2,1] or b1[2], 1-based)"
        )
    name = f"{m.group(1)}{m.group(2)}"
    if m.group(3) is None:
        return name, None
    shape = shapes[name] if len(shapes[name]) == 2 else (shapes[name][0], 1)
    row = int(m.group(3))
    col = int(m.group(4)) if m.group(4) is not None else 1
    if (name[0] == "W") != (m.group(4) is not None) or not (
        1 <= row <= shape[0] and 1 <= col <= shape[1]
    ):
        example = f"{name}[1,1]" if name[0] == "W" else f"{name}[1]"
        raise UnknownParameterError(
            f"{wrt!r} is not an entry of {name}, which has shape {shapes[name]}; "
            f"entries are numbered from 1, e.g. {example}"
        )
    return name, (row - 1, col - 1)


def parse(network: Network, formula: str, syntax: str = "python") -> Node:
    """The formula as a tree over this network's names (raises ExpressionError)."""
    table = names_for(network)
    if syntax == "python":
        return parse_python(formula, table.resolve, table.known)
    if syntax == "latex":
        return parse_latex(formula, table.resolve, table.known)
    raise ExpressionError(f"unknown syntax {syntax!r}; expected python or latex")


def verify(
    net: Network | dict,
    wrt: str,
    formula: str,
    syntax: str = "python",
    seed: int = 0,
    points: int = 8,
    symbolic: bool = True,
    budget: float = 1.0,
) -> Verdict:
    """Judge ``formula`` as ∂L/∂(wrt) for one sample of ``net``.

    ``wrt`` names a parameter (``W1``) or one entry (``W2[1,2]``, 1-based),
    which takes a scalar formula.  Unreadable formulas raise ExpressionError,
    shape mistakes ShapeError (the command line exits 2 on both).
    """
    if not isinstance(net, Network):
        net = Network.from_spec(net)
    name, entry = parse_wrt(net, wrt)
    table = names_for(net)
    tree = parse(net, formula, syntax)
    resolved, shape = check(tree, dict(table.shapes), syntax)
    _check_result_shape(net, wrt, name, entry, shape, syntax)
    derivation = net.derive()
    sample_points = sample(derivation, name, count=points, seed=seed)
    label = _entry_label(name, entry) if entry is not None else name

    truths = [_pick(p.gradient, entry) for p in sample_points]
    values: list[Any] = []
    failed_at: int | None = None
    largest = 0.0
    for k, point in enumerate(sample_points):
        try:
            value = evaluate(resolved, _value_of(point, table))
        except Undefined:
            value = None
        values.append(value)
        if value is None or not close(_flat_like(value, truths[k]), flat(truths[k])):
            failed_at = k if failed_at is None else failed_at
        else:
            largest = max(largest, _relative(value, truths[k]))
    if failed_at is None:
        proved = symbolic and prove(resolved, derivation, name, entry, budget)
        return Verdict(
            True, label, formula, syntax, seed, len(sample_points),
            "symbolic" if proved else "numeric", largest, None, None,
        )
    counter = _counterexample(
        net, name, entry, failed_at, sample_points[failed_at], values[failed_at], truths[failed_at]
    )
    diagnosis = None
    if all(v is not None for v in values):
        diagnosis = diagnose(net, name, entry, sample_points, values, table)
    return Verdict(
        False, label, formula, syntax, seed, len(sample_points), "numeric", largest, counter, diagnosis
    )


def diagnose(
    net: Network,
    name: str,
    entry: tuple[int, int] | None,
    points: list[Point],
    values: list[Any],
    table: NameTable,
) -> Diagnosis | None:
    """The first classic mistake whose values agree with the formula's at every point."""
    extra = reference.functions(net)
    shapes = dict(table.shapes)
    expected = _parameter_shape(net, name)
    for candidate in catalogue(net, name, entry):
        tree = reference.gradient_tree(net, name, candidate.mutation)
        try:
            tree, shape = check(tree, shapes)
        except ShapeError:
            continue
        if entry is None and shape != expected:
            continue
        if entry is not None and not (entry[0] < shape[0] and entry[1] < shape[1]):
            continue
        matched = True
        for point, value in zip(points, values, strict=True):
            try:
                mutated = _pick(evaluate(tree, _value_of(point, table), extra), entry)
            except Undefined:
                matched = False
                break
            if not close(_flat_like(value, mutated), flat(mutated)):
                matched = False
                break
        if matched:
            return candidate
    return None


# -- helpers -----------------------------------------------------------------


def _counterexample(
    net: Network,
    name: str,
    entry: tuple[int, int] | None,
    index: int,
    point: Point,
    value: Any,
    truth: Any,
) -> Counterexample:
    """The failing point, with the entry that differs most (or the one asked about)."""
    if value is None:
        where, got, expected = (0, 0), None, flat(truth)[0]
    else:
        where, got, expected = worst_entry(value, truth)
    return Counterexample(
        point=index + 1,
        inputs=point.inputs(net.parameter_names()),
        entry=_entry_label(name, entry if entry is not None else where),
        formula_value=None if got is None else float(got),
        true_value=float(expected),
        formula_matrix=None if value is None else _to_lists(value),
        true_matrix=_to_lists(truth),
    )


def _parameter_shape(net: Network, name: str) -> tuple[int, int]:
    shape = net.parameter_shapes()[name]
    return (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)


def _check_result_shape(
    net: Network, wrt: str, name: str, entry: tuple[int, int] | None, shape: tuple[int, ...], syntax: str
) -> None:
    mark = ".T" if syntax == "python" else "^T"
    if entry is not None:
        if shape in ((), (1, 1)):
            return
        raise ShapeError(
            f"the formula gives a {describe(shape)} matrix but ∂L/∂{wrt} is one number; "
            f"use scalar names such as {names_for(net).example_entry}, or --wrt {name} for the whole matrix"
        )
    expected = _parameter_shape(net, name)
    if shape == expected or (shape == () and expected == (1, 1)):
        return
    if shape in ((), (1, 1)):
        raise ShapeError(
            f"the formula gives one number but ∂L/∂{name} is a {expected} matrix; "
            f"for one entry use --wrt {_entry_label(name, (0, 0))} with scalar names"
        )
    hint = ""
    if shape == expected[::-1]:
        hint = f"; missing {mark}?"
    elif name[0] == "W" and shape == (expected[0], 1):
        hint = f"; ∂L/∂W is a column times a row, δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾){mark}: missing {mark}?"
    raise ShapeError(f"the formula gives a {shape} matrix but ∂L/∂{name} is a {expected}{hint}")


def _entry_label(name: str, where: tuple[int, int]) -> str:
    if name[0] == "b":
        return f"{name}[{where[0] + 1}]"
    return f"{name}[{where[0] + 1},{where[1] + 1}]"


def _value_of(point: Point, table: NameTable):
    def value_of(name: str) -> Any:
        if name in table.lookup:
            matrix, i, j = table.lookup[name]
            return point.values[matrix][i, j]
        return point.values[name]

    return value_of


def _pick(value: Any, entry: tuple[int, int] | None) -> Any:
    if entry is None:
        return value
    return np.asarray(value, dtype=object)[entry]


def _flat_like(value: Any, truth: Any) -> list[Any]:
    """The formula's entries in the truth's layout (a number stands for a 1x1)."""
    values = flat(value)
    n = len(flat(truth))
    return values if len(values) == n else values[:1] * n


def _relative(value: Any, truth: Any) -> float:
    t = flat(truth)
    scale = max([abs(v) for v in t] + [mpmath.mpf(10) ** -6])
    return float(max(abs(v - w) for v, w in zip(_flat_like(value, truth), t, strict=True)) / scale)


def _to_lists(value: Any) -> Any:
    array = np.asarray(value, dtype=object)
    if array.ndim == 0:
        return float(array)
    return [[float(v) for v in row] for row in array]
