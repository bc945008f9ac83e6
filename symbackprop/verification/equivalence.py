"""Is the typed formula the gradient?  Numbers first, a symbolic proof when cheap.

Numerically, both sides are evaluated at seeded random points in 40-digit
arithmetic and must agree to 25 digits relative to the gradient's size.
Symbolically, where the network is small, the formula is rebuilt in SymPy
over the scalar symbols, the true δ's are substituted, and the difference
with the engine's gradient is expanded: first with a, z and δ as independent
symbols (the proof holds for every value, so for the network's too), then with
a⁽ᵏ⁾ = σ(z⁽ᵏ⁾) substituted layer by layer.  Either stage may decline within its
budget of CPU time (the same work on a loaded machine as on an idle one);
the verdict then rests on the numbers.

>>> import mpmath
>>> close([mpmath.mpf(1)], [mpmath.mpf(1) + mpmath.mpf(10) ** -30])
True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import mpmath
import sympy

from ..activations import T
from ..derive import Derivation
from ..timer import TimedOut, available, time_limit
from .context import names_for, split
from .functions import FUNCTIONS
from .grid import entries
from .nodes import (
    BinOp,
    Call,
    Compare,
    Entry,
    Name,
    Neg,
    Node,
    Num,
    Sum,
    Table,
    Transpose,
    children,
    count_nodes,
)
from .values import as_written

RELATIVE = mpmath.mpf(10) ** -25
SYMBOLIC_MAX_PARAMETERS = 40
SYMBOLIC_MAX_NODES = 200
SYMBOLIC_MAX_PRODUCTS = 12


def close(values: Sequence[Any], truth: Sequence[Any]) -> bool:
    """Entrywise agreement, relative to the largest entry of the truth."""
    return all(d <= RELATIVE for d in relative_differences(values, truth))


def relative_differences(values: Sequence[Any], truth: Sequence[Any]) -> list[Any]:
    """|value − truth| of each entry over the largest entry of the truth (at least 1e-6)."""
    scale = max([abs(t) for t in truth] + [mpmath.mpf(1) / 10**6])
    return [abs(v - t) / scale for v, t in zip(values, truth, strict=True)]


def flat(value: Any) -> list[Any]:
    return list(entries(value))


# -- symbolic proof ------------------------------------------------------------


def prove(
    tree: Node,
    derivation: Derivation,
    wrt: str,
    entry: tuple[int, int] | None,
    budget: float = 1.0,
) -> bool:
    """True when SymPy shows the formula equals the gradient; False when it cannot (cheaply).

    SymPy cannot be told to stop, so in the main thread a timer
    (:func:`symbackprop.timer.time_limit`) interrupts it when it has used
    ``budget`` seconds of CPU time; elsewhere only formulas small enough to be
    quick are tried.
    """
    if derivation.network.parameter_count() > SYMBOLIC_MAX_PARAMETERS:
        return False
    if count_nodes(tree) > SYMBOLIC_MAX_NODES or _matrix_products(tree) > SYMBOLIC_MAX_PRODUCTS:
        return False
    if not available():
        try:
            return _prove(tree, derivation, wrt, entry, budget)
        except RecursionError:
            return False
    try:
        with time_limit(budget, clock="cpu"):
            return _prove(tree, derivation, wrt, entry, budget)
    except (TimedOut, RecursionError):
        return False


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
    start = time.process_time()
    try:
        built = _Builder(derivation).visit(tree, {})
        formula = built if isinstance(built, sympy.MatrixBase) else sympy.Matrix([[built]])
    except (TypeError, ValueError, KeyError, IndexError, sympy.SympifyError, ZeroDivisionError):
        return False
    truth = as_written(derivation.gradient(wrt, form="intermediate"))
    if entry is not None:
        truth = sympy.Matrix([[truth[entry]]])
    if formula.shape != truth.shape:
        formula = sympy.Matrix(truth.rows, truth.cols, lambda i, j: formula[0, 0])
    differences = [formula[k] - truth[k] for k in range(len(truth))]
    for stage in (_independent, _through_z):
        if time.process_time() - start > budget:
            return False
        ok = True
        for difference in differences:
            if time.process_time() - start > budget:
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
        if spec.activation.elementwise and spec.activation.kind in ("sigmoid", "tanh", "identity"):
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
        self.table = names_for(derivation.network)

    def matrix(self, name: str) -> sympy.Matrix:
        syms = self.d.symbols
        if name in ("x", "y"):
            return sympy.Matrix(getattr(syms, name))
        stem, layer = split(name)
        if stem == "delta":
            return sympy.Matrix(self.d.deltas_intermediate[layer - 1])
        if stem == "dA":  # what the layer above sends back: the plan's rule, δ's written out
            if layer == self.d.network.depth:
                return sympy.Matrix(as_written(self.d.loss_gradient))
            entry = self.d.plan.layers[layer]
            inlined = dict(zip(self.d.symbols.layers[layer].delta, self.d.deltas_intermediate[layer], strict=True))
            return sympy.Matrix(self.d.evaluate(entry.input_gradient).xreplace(inlined))
        return sympy.Matrix(getattr(syms.layers[layer - 1], stem))

    def visit(self, node: Node, bound: dict[str, int]) -> Any:
        if isinstance(node, Num):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            if node.id in self.table.lookup:
                matrix, i, j = self.table.lookup[node.id]
                return self.matrix(matrix)[i, j]
            return self.matrix(node.id)
        if isinstance(node, Entry):
            where = node.positions(bound)
            matrix = self.matrix(node.name)
            row, col = where[0], where[1] if len(where) > 1 else 0
            return matrix[row, col] if 0 <= row < matrix.rows and 0 <= col < matrix.cols else sympy.Integer(0)
        if isinstance(node, Sum):
            return sympy.Add(*[self.visit(node.body, {**bound, node.index: k}) for k in range(node.size or 0)])
        if isinstance(node, Table):
            rows, cols = node.sizes[0], node.sizes[1] if len(node.sizes) > 1 else 1
            return sympy.Matrix(
                rows, cols,
                lambda i, j: _scalar(self.visit(node.body, {**bound, **dict(zip(node.indices, (i, j), strict=False))}), None),
            )
        if isinstance(node, Neg):
            return -self.visit(node.operand, bound)
        if isinstance(node, Transpose):
            value = self.visit(node.operand, bound)
            return value.T if isinstance(value, sympy.MatrixBase) else value
        if isinstance(node, Compare):
            relation = {">": sympy.Gt, "<": sympy.Lt, ">=": sympy.Ge, "<=": sympy.Le}[node.op]
            return _zip(
                lambda u, v: sympy.Piecewise((1, relation(u, v)), (0, True)),
                self.visit(node.left, bound), self.visit(node.right, bound),
            )
        if isinstance(node, Call):
            return self.call(node, bound)
        return self.binary(node, bound)

    def call(self, node: Call, bound: dict[str, int]) -> Any:
        args = [self.visit(a, bound) for a in node.args]
        arg = args[0]
        spec = FUNCTIONS[node.func]
        if spec.kind == "sum":
            return sum(arg) if isinstance(arg, sympy.MatrixBase) else arg
        if spec.kind == "rowsum":
            return sympy.Matrix([sum(arg.row(i)) for i in range(arg.rows)])
        if spec.kind == "colsum":
            return sympy.Matrix([[sum(arg.col(j)) for j in range(arg.cols)]])
        if spec.kind == "softmax":
            exps = arg.applyfunc(sympy.exp)
            return exps / sum(exps)
        if spec.kind == "diag":
            if arg.cols == 1:
                return sympy.diag(*arg)
            return sympy.Matrix([arg[i, i] for i in range(arg.rows)])
        if spec.kind == "outer":
            u, v = (list(a) if isinstance(a, sympy.MatrixBase) else [a] for a in args)
            return sympy.Matrix(len(u), len(v), lambda i, j: u[i] * v[j])
        return _zip(spec.symbolic, *args)

    def binary(self, node: BinOp, bound: dict[str, int]) -> Any:
        left, right = self.visit(node.left, bound), self.visit(node.right, bound)
        if node.op == "@":
            return left * right
        if node.op == "**":
            return _zip(lambda v: v**right, left)
        return _zip(_OPERATIONS[node.op], left, right)


_OPERATIONS = {
    "+": lambda u, v: u + v,
    "-": lambda u, v: u - v,
    "*": lambda u, v: u * v,
    "/": lambda u, v: u / v,
}


def _scalar(value: Any, other: Any) -> Any:
    if (
        isinstance(value, sympy.MatrixBase)
        and value.shape == (1, 1)
        and not (isinstance(other, sympy.MatrixBase) and other.shape == (1, 1))
    ):
        return value[0, 0]
    return value


def _zip(func: Any, *args: Any) -> Any:
    """``func`` entry by entry over SymPy matrices; numbers and 1×1 matrices broadcast."""
    matrices = [a for a in args if isinstance(a, sympy.MatrixBase) and a.shape != (1, 1)]
    if not matrices:
        matrices = [a for a in args if isinstance(a, sympy.MatrixBase)]
        if not matrices:
            return func(*args)
    rows, cols = matrices[0].shape
    spread = [
        a if isinstance(a, sympy.MatrixBase) and a.shape == (rows, cols) else _scalar(a, matrices[0])
        for a in args
    ]
    return sympy.Matrix(
        rows, cols,
        lambda i, j: func(*[a[i, j] if isinstance(a, sympy.MatrixBase) else a for a in spread]),
    )
