"""Is the typed formula the gradient?  Numbers first, a symbolic proof when cheap.

Numerically, both sides are evaluated at seeded random points in 40-digit
arithmetic and must agree to 25 digits relative to the gradient's size.
Symbolically, where the network is small, the formula is rebuilt in SymPy
over the scalar symbols, the true δ's are substituted, and the difference
with the engine's gradient is expanded: first with a, z and δ as independent
symbols (the proof holds for every value, so for the network's too), then with
a⁽ᵏ⁾ = σ(z⁽ᵏ⁾) substituted layer by layer.  Either stage may decline within its
time budget; the verdict then rests on the numbers.

>>> import mpmath
>>> close([mpmath.mpf(1)], [mpmath.mpf(1) + mpmath.mpf(10) ** -30])
True
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

import mpmath
import numpy as np
import sympy

from ..activations import T
from ..derive import Derivation
from .functions import FUNCTIONS
from .nodes import BinOp, Call, Name, Neg, Node, Num, Transpose, children, count_nodes

RELATIVE = mpmath.mpf(10) ** -25
SYMBOLIC_MAX_PARAMETERS = 40
SYMBOLIC_MAX_NODES = 200
SYMBOLIC_MAX_PRODUCTS = 12


def close(values: Sequence[Any], truth: Sequence[Any]) -> bool:
    """Entrywise agreement, relative to the largest entry of the truth."""
    scale = max([abs(t) for t in truth] + [mpmath.mpf(1) / 10**6])
    return all(abs(v - t) <= RELATIVE * scale for v, t in zip(values, truth, strict=True))


def flat(value: Any) -> list[Any]:
    return list(np.asarray(value, dtype=object).flat)


def worst_entry(value: Any, truth: Any) -> tuple[tuple[int, int], Any, Any]:
    """(row, col) 0-based of the largest difference, the formula's and the true value there."""
    t = np.asarray(truth, dtype=object)
    t = t.reshape(t.shape or (1, 1))
    v = np.asarray(value, dtype=object)
    # A number typed for a matrix stands for every entry (the shape check allows it only for 1x1).
    v = v.reshape(t.shape) if v.size == t.size else np.full(t.shape, v.flat[0], dtype=object)
    gaps = {index: abs(v[index] - t[index]) for index in np.ndindex(t.shape)}
    where = max(gaps, key=gaps.__getitem__)
    return (int(where[0]), int(where[1])), v[where], t[where]


# -- symbolic proof ------------------------------------------------------------


class _OutOfTime(Exception):
    pass


def prove(
    tree: Node,
    derivation: Derivation,
    wrt: str,
    entry: tuple[int, int] | None,
    budget: float = 1.0,
) -> bool:
    """True when SymPy shows the formula equals the gradient; False when it cannot (cheaply).

    SymPy cannot be told to stop, so in the main thread an interval timer
    interrupts it when ``budget`` seconds are up; elsewhere only formulas
    small enough to be quick are tried.
    """
    if derivation.network.parameter_count() > SYMBOLIC_MAX_PARAMETERS:
        return False
    if count_nodes(tree) > SYMBOLIC_MAX_NODES or _matrix_products(tree) > SYMBOLIC_MAX_PRODUCTS:
        return False
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        try:
            return _prove(tree, derivation, wrt, entry, budget)
        except RecursionError:
            return False

    def stop(signum: int, frame: Any) -> None:
        raise _OutOfTime

    started = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, stop)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        return _prove(tree, derivation, wrt, entry, budget)
    except (_OutOfTime, RecursionError):
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay > 0:  # someone else's timer was running: give it back what is left
            left = old_delay - (time.perf_counter() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), old_interval)


def _matrix_products(tree: Node) -> int:
    count, stack = 0, [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, BinOp) and node.op in ("@", "**"):
            count += 1
        stack.extend(children(node))
    return count


def _prove(
    tree: Node, derivation: Derivation, wrt: str, entry: tuple[int, int] | None, budget: float
) -> bool:
    start = time.perf_counter()
    try:
        built = _Builder(derivation).visit(tree)
        formula = built if isinstance(built, sympy.MatrixBase) else sympy.Matrix([[built]])
    except (TypeError, ValueError, sympy.SympifyError, ZeroDivisionError):
        return False
    truth = derivation.gradient(wrt, form="intermediate")
    if entry is not None:
        truth = sympy.Matrix([[truth[entry]]])
    if formula.shape != truth.shape:
        formula = sympy.Matrix(truth.rows, truth.cols, lambda i, j: formula[0, 0])
    differences = [formula[k] - truth[k] for k in range(len(truth))]
    for stage in (_independent, _through_z):
        if time.perf_counter() - start > budget:
            return False
        ok = True
        for difference in differences:
            if time.perf_counter() - start > budget:
                return False
            if not stage(difference, derivation):
                ok = False
                break
        if ok:
            return True
    return False


def _independent(difference: sympy.Expr, derivation: Derivation) -> bool:
    return sympy.expand(difference) == 0


def _through_z(difference: sympy.Expr, derivation: Derivation) -> bool:
    net = derivation.network
    local = {}
    for layer, spec in zip(derivation.symbols.layers, net.layers, strict=True):
        if spec.activation.elementwise and spec.activation.name in ("sigmoid", "tanh", "identity"):
            for a, z in zip(layer.a, layer.z, strict=True):
                local[a] = spec.activation.expr.subs(T, z)
    expr = difference.xreplace(local).rewrite(sympy.exp)
    if sympy.count_ops(expr) > 400:
        return False
    # A rational function of exponentials is zero when the numerator expands to zero.
    return sympy.expand(sympy.numer(sympy.together(expr))) == 0


class _Builder:
    """The formula over SymPy scalar symbols, δ's replaced by their true expressions."""

    def __init__(self, derivation: Derivation):
        self.d = derivation
        from .context import names_for

        self.table = names_for(derivation.network)

    def matrix(self, name: str) -> sympy.Matrix:
        syms = self.d.symbols
        if name in ("x", "y"):
            return sympy.Matrix(getattr(syms, name))
        stem, layer = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")) :])
        if stem == "delta":
            return sympy.Matrix(self.d.deltas_intermediate[layer - 1])
        return sympy.Matrix(getattr(syms.layers[layer - 1], stem))

    def visit(self, node: Node) -> Any:
        if isinstance(node, Num):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            if node.id in self.table.lookup:
                matrix, i, j = self.table.lookup[node.id]
                return self.matrix(matrix)[i, j]
            return self.matrix(node.id)
        if isinstance(node, Neg):
            return -self.visit(node.operand)
        if isinstance(node, Transpose):
            value = self.visit(node.operand)
            return value.T if isinstance(value, sympy.MatrixBase) else value
        if isinstance(node, Call):
            arg = self.visit(node.args[0])
            spec = FUNCTIONS[node.func]
            if spec.kind == "sum":
                return sum(arg) if isinstance(arg, sympy.MatrixBase) else arg
            if spec.kind == "softmax":
                exps = arg.applyfunc(sympy.exp)
                return exps / sum(exps)
            return arg.applyfunc(spec.symbolic) if isinstance(arg, sympy.MatrixBase) else spec.symbolic(arg)
        return self.binary(node)

    def binary(self, node: BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op == "@":
            return left * right
        left, right = _scalar(left, right), _scalar(right, left)
        lm, rm = isinstance(left, sympy.MatrixBase), isinstance(right, sympy.MatrixBase)
        if node.op == "**":
            return left.applyfunc(lambda v: v**right) if lm else left**right
        if lm and rm:
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left.multiply_elementwise(right)
            return sympy.Matrix(left.rows, left.cols, lambda i, j: left[i, j] / right[i, j])
        if lm:
            return left.applyfunc(lambda v: _apply(node.op, v, right))
        if rm:
            return right.applyfunc(lambda v: _apply(node.op, left, v))
        return _apply(node.op, left, right)


def _scalar(value: Any, other: Any) -> Any:
    if (
        isinstance(value, sympy.MatrixBase)
        and value.shape == (1, 1)
        and not (isinstance(other, sympy.MatrixBase) and other.shape == (1, 1))
    ):
        return value[0, 0]
    return value


def _apply(op: str, left: Any, right: Any) -> Any:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    return left / right
