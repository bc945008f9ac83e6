"""How much arithmetic the symbolic gradients hold: counts for tests and benchmarks.

The counts read the expressions of :func:`symbackprop.symbolic.scalar_gradients`
(SymPy or SymEngine) without ever building the inlined trees, whose size
grows with the product of the widths.

>>> from symbackprop import models
>>> from symbackprop.symbolic import scalar_gradients
>>> grads = scalar_gradients(models.two_two_two(), backend="sympy")
>>> count_entries(grads), operation_count(grads) < inlined_operation_count(grads)
(12, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .symbols import Name


def _is_error(key: str) -> bool:
    return Name.parse(key).stem == "delta"


def count_entries(result: dict[str, list[list[Any]]]) -> int:
    """How many scalar gradients ``result`` holds (δ definitions excluded)."""
    return sum(len(row) for key, rows in result.items() if not _is_error(key) for row in rows)


def operation_count(result: dict[str, list[list[Any]]]) -> int:
    """Arithmetic operations in all entries, counted per entry (each is small).

    An n-ary sum or product of k terms counts k − 1 operations, a power or a
    function call one; the entries share δ symbols, so nothing is inlined.
    """
    return sum(_ops(entry) for rows in result.values() for row in rows for entry in row)


def inlined_operation_count(result: dict[str, list[list[Any]]]) -> int:
    """Operations the gradients would have if every δ were inlined (the intermediate form).

    Computed layer by layer from the δ definitions, so it never builds or
    walks the inlined trees, whose size grows with the product of the widths.
    """
    deltas = sorted((Name.parse(key), rows) for key, rows in result.items() if _is_error(key))
    inlined: dict[str, int] = {}
    for name, rows in reversed(deltas):
        for j, (definition,) in enumerate(rows, start=1):
            inlined[name.entry(j)] = _ops(definition, inlined)
    total = 0
    for key, rows in result.items():
        if _is_error(key):
            continue
        for row in rows:
            total += sum(_ops(entry, inlined) for entry in row)
    return total


def tree_operation_count(exprs: Iterable[Any]) -> int:
    """Operations in the tree form of ``exprs``, without walking the trees.

    A subexpression that occurs many times (an expanded forward pass repeats
    the same a⁽ˡ⁾ in every path) is counted once and its count reused, so
    the cost is that of the distinct subexpressions.
    """
    memo: dict[Any, int] = {}
    return sum(_ops(expr, None, memo) for expr in exprs)


def _ops(expr: Any, leaves: dict[str, int] | None = None, memo: dict | None = None) -> int:
    if memo is not None:
        known = memo.get(expr)
        if known is not None:
            return known
        memo[expr] = out = _ops_once(expr, leaves, memo)
        return out
    return _ops_once(expr, leaves, memo)


def _ops_once(expr: Any, leaves: dict[str, int] | None, memo: dict | None) -> int:
    args = _args(expr)
    if not args:
        return leaves.get(getattr(expr, "name", ""), 0) if leaves else 0
    kind = type(expr).__name__
    if kind == "Mul":
        # a − y is stored as a + (−1)·y: the −1 is part of the subtraction.
        factors = [arg for arg in args if not (arg.is_Number and arg == -1)]
        own = max(len(factors) - 1, 0)
    elif kind == "Add":
        own = len(args) - 1
    else:
        own = 1
    return own + sum(_ops(arg, leaves, memo) for arg in args)


def _args(expr: Any) -> Iterable[Any]:
    args = getattr(expr, "args", ())
    return args() if callable(args) else args
