"""Display-only SymPy objects for derivations: partial derivatives, chains, σ(·).

They carry structure that ordinary SymPy would evaluate away (the order of the
factors in a chain rule, an unevaluated ∂L/∂w).  They are data: how each one
looks is a ``_print_<Class>`` method of the printers
(:mod:`symbackprop.printing.rules`), so the LaTeX, Markdown and text printers
all render them with their own symbol names.

>>> import sympy
>>> from symbackprop.printing import latex
>>> L, w = sympy.Symbol("L"), sympy.Symbol("w2_12")
>>> latex(Partial(L, w))
'\\\\frac{\\\\partial \\\\mathcal{L}}{\\\\partial w^{(2)}_{12}}'
"""

from __future__ import annotations

import math

import sympy
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.printing.precedence import PRECEDENCE


def _name(value) -> sympy.Symbol:
    """A Symbol carrying printable text; accepts a Symbol again when SymPy rebuilds."""
    return value if isinstance(value, sympy.Symbol) else sympy.Symbol(value)


def _flag(value) -> sympy.Basic:
    return sympy.true if bool(value) else sympy.false


def value(expr):
    """The ordinary SymPy value of a displayed chain or sum (Chain -> Mul, Terms -> Add)."""
    if isinstance(expr, Chain):
        return sympy.Mul(*[value(arg) for arg in expr.args])
    if isinstance(expr, Terms):
        return sympy.Add(*[value(arg) for arg in expr.args])
    return expr


class Partial(sympy.Expr):
    """∂num/∂den, never evaluated."""

    is_commutative = True

    def __new__(cls, num, den):
        return sympy.Expr.__new__(cls, sympy.sympify(num), sympy.sympify(den))


class Chain(sympy.Expr):
    """A product whose factors print in the order given (the chain rule)."""

    is_commutative = True
    precedence = PRECEDENCE["Mul"]  # so a printer encloses it where it would enclose a product

    def __new__(cls, *factors):
        return sympy.Expr.__new__(cls, *map(sympy.sympify, factors))


class Product(Chain):
    """Factors in the order given, written side by side: w⁽²⁾₁₁ a⁽¹⁾₁, σ(t)(1 − σ(t))."""


def product(expr):
    """A SymPy product shown with its sums last, as people write it: σ(t)(1 − σ(t))."""
    factors = sympy.Mul.make_args(expr)
    if len(factors) == 1:
        return expr
    ordered = sorted(factors, key=lambda f: isinstance(f, sympy.Add))
    return Product(*ordered)


class Terms(sympy.Expr):
    """A sum whose terms print in the order given (one term per path)."""

    is_commutative = True
    precedence = PRECEDENCE["Add"]  # a sum in a denominator is enclosed: e^z / (e^z + …)

    def __new__(cls, *terms):
        return sympy.Expr.__new__(cls, *map(sympy.sympify, terms))


class Applied(sympy.Expr):
    """An activation applied to an argument, shown by its symbol: σ(z), σ'(z).

    The arguments are (LaTeX symbol, text symbol, argument, prime flag).
    """

    is_commutative = True

    def __new__(cls, latex_symbol: str, text_symbol: str, arg, prime: bool = False):
        return sympy.Expr.__new__(
            cls, _name(latex_symbol), _name(text_symbol), sympy.sympify(arg), _flag(prime)
        )


class Elementwise(MatrixExpr):
    """An activation (or its derivative) applied entry by entry to a vector."""

    def __new__(cls, latex_symbol: str, text_symbol: str, arg, prime: bool = False):
        return MatrixExpr.__new__(cls, _name(latex_symbol), _name(text_symbol), arg, _flag(prime))

    @property
    def shape(self):
        return self.args[2].shape


class Named(MatrixExpr):
    """A vector or matrix shown by a LaTeX name, e.g. ∇_a L or the softmax Jacobian."""

    def __new__(cls, latex_form: str, text_form: str, rows: int, cols: int):
        return MatrixExpr.__new__(
            cls, _name(latex_form), _name(text_form),
            sympy.Integer(rows), sympy.Integer(cols),
        )

    @property
    def shape(self):
        return (self.args[2], self.args[3])


class Minus(sympy.Expr):
    """``first - second`` in that order (a gradient-descent step, θ − α g)."""

    is_commutative = True

    def __new__(cls, first, second):
        return sympy.Expr.__new__(cls, sympy.sympify(first), sympy.sympify(second))


class Formula(sympy.Expr):
    """A layer's operation shown by a template, e.g. ``{0} \\star {1}`` for W ⋆ a.

    The arguments are (LaTeX template, text template, *operands); ``{0}``,
    ``{1}``, … stand for the printed operands (every other brace is LaTeX's).  It lets the printers show
    operations of arrays with more than two axes, which SymPy's matrix
    expressions cannot hold, as the textbooks write them.
    """

    is_commutative = False

    def __new__(cls, latex_template: str, text_template: str, *operands):
        return sympy.Expr.__new__(cls, _name(latex_template), _name(text_template), *operands)

    @property
    def operands(self) -> tuple:
        return self.args[2:]

def significant(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, trailing zeros kept: ``0.593270``.

    A number that is that short (up to floating-point rounding) is written as
    short as it is (``1``, ``0.3925``): only a rounded number shows all the
    digits it was rounded to.

    >>> significant(0.593269992, 6), significant(2.5, 3), significant(123456.7, 4), significant(0.39249999999999996, 6)
    ('0.593270', '2.5', '1.235e+05', '0.3925')
    """
    short = format(value, f".{digits}g")
    if not math.isfinite(value) or abs(float(short) - value) <= 1e-12 * max(1.0, abs(value)):
        return short
    text = format(value, f"#.{digits}g")
    return text[:-1] if text.endswith(".") else text


class Numeral(sympy.Expr):
    """A number shown as a worked example writes it; SymPy never folds it into arithmetic.

    ``rounded`` keeps ``digits`` significant digits, trailing zeros too (a
    computed number: six digits asked, six shown); ``exact`` writes a given
    number as short as it is (``0.35``, not ``0.350000``).
    """

    is_commutative = True

    def __new__(cls, text: str | sympy.Symbol, value: float):
        # SymPy rebuilds objects from their args, so the text may come back as a Symbol.
        return sympy.Expr.__new__(cls, _name(text), sympy.Float(value))

    @classmethod
    def rounded(cls, value: float, digits: int) -> Numeral:
        return cls(significant(float(value), digits), float(value))

    @classmethod
    def exact(cls, value: float) -> Numeral:
        return cls(format(float(value), ".12g"), float(value))

    @property
    def text(self) -> str:
        return self.args[0].name

    @property
    def value(self) -> float:
        return float(self.args[1])

    def could_extract_minus_sign(self) -> bool:
        return self.text.startswith("-")


class Substituted(sympy.Expr):
    """An expression shown with numbers in place of its symbols, keeping its shape.

    ``(a − y)·a(1 − a)`` at a = 0.75, y = 0.01 shows as
    ``(0.75 − 0.01)·0.75 (1 − 0.75)``: the printer names each symbol by its
    :class:`Numeral`, so the order of terms and factors is the formula's.
    """

    is_commutative = True

    def __new__(cls, expr, numbers):
        pairs = numbers.args if isinstance(numbers, sympy.Tuple) else [
            sympy.Tuple(symbol, number) for symbol, number in numbers.items()
        ]
        return sympy.Expr.__new__(cls, sympy.sympify(expr), sympy.Tuple(*pairs))

    @property
    def expr(self):
        return self.args[0]

    def numbers(self) -> dict:
        return {symbol: number for symbol, number in self.args[1]}
