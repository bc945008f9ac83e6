"""The worked example as printable steps: its numbers, its forward pass and its backward pass.

Every step shows the formula, then the formula with the example's numbers
in place of its symbols, then the result — as the published worked examples
do, because the mistakes happen in between.  Given numbers are written as
given (``0.35``); computed ones to the sheet's significant digits, trailing
zeros kept (``0.593270``).  The forward pass is on every copy (the exercises
start from it); the backward pass is the key to the numbers exercise, on the
teacher's copy only, and its quantities label the student's blanks.

>>> from symbackprop.models import two_two_two
>>> from symbackprop.worksheets.numbers import choose_values
>>> d = two_two_two().derive()
>>> example = Example(d, choose_values(d, 0, []), 6)
>>> [str(step.lhs) for step in example.forward_steps()][:3]
['z1_1', 'a1_1', 'z1_2']
>>> from symbackprop.printing import text
>>> [text(row.label) for row in example.backward_rows(lowest=1)]
['∂ℒ/∂a⁽²⁾', "σ'(z⁽²⁾)", 'δ⁽²⁾', 'W⁽²⁾ᵀ δ⁽²⁾', "σ'(z⁽¹⁾)", 'δ⁽¹⁾']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy import HadamardProduct, ImmutableMatrix, MatMul, MatrixSymbol, Transpose

from ..derive import Derivation
from ..display import (
    Applied,
    Chain,
    Elementwise,
    Formula,
    Minus,
    Named,
    Numeral,
    Partial,
    Product,
    Substituted,
    Terms,
)
from ..layers.l2 import LAMBDA
from ..printing import latex, text
from ..printing.breaking import latex_width
from ..steps import Step
from ..symbols import LOSS, bias, weight
from .numbers import Values

ALPHA = sympy.Symbol("alpha")
# Ems a line of the sheet holds (the PDF's text width less the display indent, with
# room to spare for the estimate; the HTML page and Markdown viewers are as wide).
# Steps are broken to it; what cannot be broken (a matrix) is written another way
# when it would not fit.
LINE = 40.0


def fits(*exprs: Any, room: float = LINE) -> bool:
    """Whether the printed expressions, side by side, fit in ``room`` ems."""
    return sum(latex_width(latex(expr)) + 1.5 for expr in exprs) <= room


@dataclass(frozen=True)
class Row:
    """One vector of the backward pass: what it is, its formula entry by entry, and its numbers.

    ``definition`` is the matrix-level formula (None when the label says it
    all); ``formula`` the entries in symbols (None when the layer is too wide
    to write them); ``numbers`` the same with the example's numbers in;
    ``values`` the results.
    """

    label: Any
    definition: Any
    formula: tuple[Any, ...] | None
    numbers: Any
    values: tuple[float, ...]

    def step(self, digits: int) -> Step:
        """The row as one step; a side too wide for a line of its own (a matrix cannot break) is left out."""
        sides = [r for r in (self.definition,) if r is not None]
        if self.formula is not None:
            sides.append(ImmutableMatrix([[f] for f in self.formula]))
        sides.append(self.numbers)
        room = LINE - latex_width(latex(self.label))
        kept = [side for side in sides if fits(side, room=room)]
        kept.append(ImmutableMatrix([[Numeral.rounded(v, digits)] for v in self.values]))
        return Step(self.label, tuple(kept))


def point(d: Derivation, values: Values) -> dict[sympy.Symbol, float]:
    """Every scalar symbol of the derivation at the worked example: x, y, parameters, z, a, δ."""
    syms = d.symbols
    out: dict[sympy.Symbol, float] = {}
    out.update(zip(syms.x, values.x, strict=True))
    out.update(zip(syms.y, values.y, strict=True))
    for name, value in values.params.items():
        out.update(zip(syms.parameter(name), np.asarray(value, dtype=float).ravel(), strict=True))
    for layer, z, a, delta in zip(syms.layers, values.z, values.a, values.delta, strict=True):
        out.update(zip(layer.z, z, strict=True))
        out.update(zip(layer.a, a, strict=True))
        out.update(zip(layer.delta, delta, strict=True))
    return out


def entry(array: Any, name: str, row: int, col: int) -> float:
    """One entry (1-based) of a parameter-shaped array: W[row, col] or b[row]."""
    index = (row - 1, col - 1) if name.startswith("W") else (row - 1,)
    return float(np.asarray(array, dtype=float)[index])


def vector_partial(column: MatrixSymbol) -> Named:
    """∂ℒ/∂a⁽ᴸ⁾ as a column, so it can stand in a matrix product."""
    return Named(latex(Partial(LOSS, column)), text(Partial(LOSS, column)), column.shape[0], 1)


def new_value(symbol: Any) -> Named:
    """"new θ": a parameter after one step of gradient descent."""
    return Named(r"\text{new } " + latex(symbol), "new " + text(symbol), 1, 1)


class Example:
    """The worked example of one sheet: its numbers, and steps that print them."""

    def __init__(self, d: Derivation, values: Values, digits: int):
        self.d = d
        self.values = values
        self.digits = digits
        self.at = point(d, values)
        syms = d.symbols
        given = [syms.x, syms.y, *(syms.parameter(n) for n in d.parameters())]
        self._given = {s: Numeral.exact(self.at[s]) for symbols in given for s in symbols}

    # -- numbers --------------------------------------------------------------

    def rounded(self, value: float) -> Numeral:
        return Numeral.rounded(value, self.digits)

    def numeral(self, symbol: sympy.Symbol) -> Numeral:
        """A symbol's number as the sheet prints it: given ones exactly, computed ones rounded."""
        return self._given.get(symbol) or self.rounded(self.at[symbol])

    def substituted(self, expr: Any) -> Substituted:
        symbols = sympy.sympify(expr).free_symbols
        return Substituted(expr, {s: self.numeral(s) for s in symbols if s in self.at})

    def evaluate(self, expr: Any) -> float:
        from ..display import value

        known = {s: sympy.Float(v) for s, v in self.at.items()}
        return float(value(sympy.sympify(expr)).xreplace(known).doit())

    def matrix(self, array: Any, exact: bool = False) -> ImmutableMatrix:
        array = np.asarray(array, dtype=float)
        make = Numeral.exact if exact else self.rounded
        if array.ndim == 1:
            return ImmutableMatrix([[make(v)] for v in array])
        return ImmutableMatrix([[make(v) for v in row] for row in array])

    # -- what every copy shows -----------------------------------------------

    def given_rows(self) -> tuple[tuple[Step, ...], ...]:
        """Rows of ``symbol = value`` steps: x, y, α; then each layer's W and b."""
        net = self.d.network
        sizes = net.sizes
        v = self.values
        rows = [
            (
                Step(MatrixSymbol("x", sizes[0], 1), (self.matrix(v.x, exact=True),)),
                Step(MatrixSymbol("y", sizes[-1], 1), (self.matrix(v.y, exact=True),)),
                Step(ALPHA, (Numeral.exact(v.lr),)),
            )
        ]
        for layer in range(1, net.depth + 1):
            m = self.d.matrix_symbols(layer)
            row = [Step(m["W"], (self.matrix(v.params[str(weight(layer))], exact=True),))]
            if net.bias:
                row.append(Step(m["b"], (self.matrix(v.params[str(bias(layer))], exact=True),)))
            rows.append(tuple(row))
        return tuple(rows)

    def forward_steps(self) -> tuple[Step, ...]:
        """Each unit's z and a, then the loss: formula, numbers, result."""
        d = self.d
        steps: list[Step] = []
        for layer, spec in zip(d.symbols.layers, d.network.layers, strict=True):
            inputs = d.symbols.activations(layer.index - 1)
            for j in range(len(layer.z)):
                terms = [Product(layer.W[j, k], inputs[k]) for k in range(len(inputs))]
                if layer.b is not None:
                    terms.append(layer.b[j])
                formula = Terms(*terms) if len(terms) > 1 else terms[0]
                steps.append(Step(layer.z[j], (formula, self.substituted(formula), self.numeral(layer.z[j]))))
                steps.append(Step(layer.a[j], (*self._activation(spec.activation, layer, j), self.numeral(layer.a[j]))))
        steps.append(Step(LOSS, (*self._loss_forms(), self.rounded(self.values.loss)), d.network.loss.title))
        return tuple(steps)

    def _loss_forms(self) -> tuple[Any, Any]:
        """The loss as a formula and with the numbers in; with L2, the data term then
        (λ/2) Σ w² written once, with the sum of the given weights' squares."""
        d = self.d
        if d.plan.penalty is None:
            return d.loss, self.substituted(d.loss)
        weights = {s for name in d.parameters() if name[0] == "W" for s in d.symbols.parameter(name)}
        data = sympy.Add(*(t for t in sympy.Add.make_args(d.loss) if not t.free_symbols & weights))
        squares = sum(self.at[s] ** 2 for s in weights)
        penalty = Formula(r"\frac{\lambda}{2} \sum_{l,j,k} \left(w^{(l)}_{jk}\right)^{2}", "λ/2 Σ (w⁽ˡ⁾ⱼₖ)²")
        numbers = Formula(r"\frac{{0}}{2} \cdot {1}", "{0}/2 · {1}",
                          Numeral.exact(d.network.l2), Numeral.exact(round(squares, 12)))
        return Terms(data, penalty), Terms(self.substituted(data), numbers)

    def _activation(self, act, layer, j: int) -> tuple[Any, ...]:
        z_j = layer.z[j]
        if act.kind == "identity":
            return (z_j,)
        if not act.elementwise:
            formula = sympy.exp(z_j) / Terms(*[sympy.exp(z) for z in layer.z])
            return (formula, self.substituted(formula))
        return (
            Applied(act.latex_symbol, act.text_symbol, z_j),
            Applied(act.latex_symbol, act.text_symbol, self.numeral(z_j)),
        )

    # -- the backward pass (the key to the numbers exercise) --------------------

    def _row(self, label: Any, definition: Any, formula: Sequence[Any]) -> Row:
        numbers = ImmutableMatrix([[self.substituted(f)] for f in formula])
        return Row(label, definition, tuple(formula), numbers, tuple(self.evaluate(f) for f in formula))

    def _slope_row(self, layer: int) -> Row | None:
        act = self.d.network.layers[layer - 1].activation
        if act.kind == "identity":
            return None
        m = self.d.matrix_symbols(layer)
        label = Elementwise(act.latex_symbol, act.text_symbol, m["z"], prime=True)
        n = self.d.network.sizes[layer]
        return self._row(label, None, [self.d.activation_derivative(layer, j) for j in range(n)])

    def _product_row(self, layer: int, first: Row, slope: Row | None) -> Row:
        """δ⁽ˡ⁾ = first ⊙ σ'(z⁽ˡ⁾), entry by entry with the two rows' rounded numbers."""
        m = self.d.matrix_symbols(layer)
        values = self.values.delta[layer - 1]
        if slope is None:
            return Row(m["delta"], first.label, None, first.numbers if first.formula is None else
                       ImmutableMatrix([[self.rounded(v)] for v in first.values]), tuple(values))
        numbers = ImmutableMatrix([
            [Chain(self.rounded(f), self.rounded(s))] for f, s in zip(first.values, slope.values, strict=True)
        ])
        return Row(m["delta"], HadamardProduct(first.label, slope.label), None, numbers, tuple(values))

    def backward_rows(self, lowest: int = 1) -> tuple[Row, ...]:
        """Every vector of the backward pass from the output layer down to layer ``lowest``."""
        d = self.d
        L = d.network.depth
        rows: list[Row] = []
        out = d.matrix_symbols(L)
        y = MatrixSymbol("y", d.network.sizes[-1], 1)
        n_L = d.network.sizes[-1]
        if d.output_identity:
            rows.append(self._row(out["delta"], out["a"] - y, [d.deltas[L - 1][j] for j in range(n_L)]))
        else:
            grad = self._row(vector_partial(out["a"]), None, list(d.loss_gradient))
            rows.append(grad)
            if d.network.output_activation.elementwise:
                slope = self._slope_row(L)
                if slope is not None:
                    rows.append(slope)
                rows.append(self._product_row(L, grad, slope))
            else:
                jacobian = Named(r"J_{\operatorname{softmax}}^{\top}", "J_softmaxᵀ", n_L, n_L)
                rows.append(self._row(out["delta"], MatMul(jacobian, grad.label),
                                      [d.deltas[L - 1][j] for j in range(n_L)]))
        for layer in range(L - 1, lowest - 1, -1):
            above = d.symbols.layers[layer]
            m_above = d.matrix_symbols(layer + 1)
            label = MatMul(Transpose(m_above["W"]), m_above["delta"])
            n = d.network.sizes[layer]
            formula = [Terms(*[Product(above.W[i, j], above.delta[i]) for i in range(len(above.delta))])
                       if len(above.delta) > 1 else Product(above.W[0, j], above.delta[0]) for j in range(n)]
            back = self._row(label, None, formula)
            if not fits(label, back.numbers):  # the sums written out would not fit: the product instead
                W = self.matrix(self.values.params[str(weight(layer + 1))].T, exact=True)
                delta = self.matrix(self.values.delta[layer])
                back = Row(label, None, None, MatMul(W, delta), tuple(self.evaluate(f) for f in formula))
            rows.append(back)
            slope = self._slope_row(layer)
            if slope is not None:
                rows.append(slope)
            rows.append(self._product_row(layer, back, slope))
        return tuple(rows)

    def answer_steps(self, entries: Sequence[tuple[str, int, int]]) -> tuple[Step, ...]:
        """∂ℒ/∂θ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ for each entry, in numbers."""
        steps = []
        for name, row, col in entries:
            layer = int(name[1:])
            syms = self.d.symbols.layers[layer - 1]
            delta = syms.delta[row - 1]
            grad = entry(self.values.grads[name], name, row, col)
            if name[0] == "W":
                below = self.d.symbols.activations(layer - 1)[col - 1]
                theta = syms.W[row - 1, col - 1]
                rhs = (Product(delta, below), Chain(self.numeral(delta), self.numeral(below)), self.rounded(grad))
                if self.d.plan.penalty is not None:  # the L2 term adds λw
                    strength = Numeral.exact(self.d.network.l2)
                    rhs = (Terms(rhs[0], LAMBDA * theta), Terms(rhs[1], Chain(strength, self.numeral(theta))), rhs[2])
            else:
                theta = syms.b[row - 1]
                rhs = (delta, self.rounded(grad))
            steps.append(Step(Partial(LOSS, theta), rhs))
        return tuple(steps)

    def update_steps(self, entries: Sequence[tuple[str, int, int]]) -> tuple[Step, ...]:
        """θ − α ∂ℒ/∂θ for each entry, in numbers (the exercise states the rule)."""
        steps = []
        lr = Numeral.exact(self.values.lr)
        for name, row, col in entries:
            layer = int(name[1:])
            syms = self.d.symbols.layers[layer - 1]
            theta = syms.W[row - 1, col - 1] if name[0] == "W" else syms.b[row - 1]
            grad = entry(self.values.grads[name], name, row, col)
            new = entry(self.values.updated[name], name, row, col)
            steps.append(
                Step(
                    new_value(theta),
                    (Minus(self.numeral(theta), Chain(lr, self.rounded(grad))), self.rounded(new)),
                )
            )
        return tuple(steps)

    def gradient_steps(self, layer: int) -> tuple[Step, ...]:
        """∂ℒ/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ in numbers, and its value; a matrix too wide for a line in blocks of columns."""
        m = self.d.matrix_symbols(layer)
        lhs = Partial(LOSS, m["W"])
        delta = self.matrix(self.values.delta[layer - 1])
        row = ImmutableMatrix([[self.numeral(s) for s in self.d.symbols.activations(layer - 1)]])
        product = MatMul(delta, row, evaluate=False)
        if self.d.plan.penalty is not None:  # the L2 term adds λW
            strength = Numeral.exact(self.d.network.l2)
            given = self.matrix(self.values.params[str(weight(layer))], exact=True)
            product = Terms(product, MatMul(strength, given, evaluate=False))
        value = self.matrix(self.values.grads[str(weight(layer))])
        room = LINE - latex_width(latex(lhs))
        if fits(product, value, room=room):
            return (Step(lhs, (product, value)),)
        steps = [Step(lhs, (product,))] if fits(product, room=room) else []
        columns = value.cols
        width = max(1, min(columns, next((n for n in range(columns, 0, -1) if fits(value[:, :n], room=room - 8)), 1)))
        for start in range(0, columns, width):
            end = min(start + width, columns)
            which = f"columns {start + 1}–{end}" if end > start + 1 else f"column {end}"
            steps.append(Step(lhs, (value[:, start:end],), which))
        return tuple(steps)
