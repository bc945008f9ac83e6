"""Display-only SymPy objects for derivations: partial derivatives, chains, σ(·).

They carry structure that ordinary SymPy would evaluate away (the order of the
factors in a chain rule, an unevaluated ∂L/∂w) and print themselves through
whatever printer walks them, so the LaTeX, Markdown and text printers all
render them with their own symbol names.

>>> import sympy
>>> from symbackprop.printing import latex
>>> L, w = sympy.Symbol("L"), sympy.Symbol("w2_12")
>>> latex(Partial(L, w))
'\\\\frac{\\\\partial L}{\\\\partial w^{(2)}_{12}}'
"""

from __future__ import annotations

import sympy
from sympy.matrices.expressions.matexpr import MatrixExpr


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

    def _latex(self, printer):
        num, den = (printer._print(arg) for arg in self.args)
        return rf"\frac{{\partial {num}}}{{\partial {den}}}"

    def _sympystr(self, printer):
        num, den = (printer._print(arg) for arg in self.args)
        return f"∂{num}/∂{den}"


class Chain(sympy.Expr):
    """A product whose factors print in the order given (the chain rule)."""

    is_commutative = True

    def __new__(cls, *factors):
        return sympy.Expr.__new__(cls, *map(sympy.sympify, factors))

    def _needs_parentheses(self, index: int, arg) -> bool:
        if isinstance(arg, sympy.Add | Terms):
            return True
        return index > 0 and arg.could_extract_minus_sign()

    # How factors are joined; Product writes them side by side instead.
    latex_joiner = r" \cdot "
    text_joiner = " · "

    def _join(self, printer, left: str, right: str, joiner: str) -> str:
        parts = []
        for index, arg in enumerate(self.args):
            text = printer._print(arg)
            if self._needs_parentheses(index, arg):
                text = f"{left}{text}{right}"
            parts.append(text)
        return joiner.join(parts)

    def _latex(self, printer):
        return self._join(printer, r"\left(", r"\right)", self.latex_joiner)

    def _sympystr(self, printer):
        return self._join(printer, "(", ")", self.text_joiner)


class Product(Chain):
    """Factors in the order given, written side by side: w⁽²⁾₁₁ a⁽¹⁾₁, σ(t)(1 − σ(t))."""

    latex_joiner = " "
    text_joiner = "·"


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

    def __new__(cls, *terms):
        return sympy.Expr.__new__(cls, *map(sympy.sympify, terms))

    def _join(self, texts) -> str:
        out = ""
        for index, text in enumerate(texts):
            if index == 0:
                out = text
            elif text.startswith("-"):
                out += " - " + text[1:].lstrip()
            else:
                out += " + " + text
        return out

    def _latex(self, printer):
        return self._join(printer._print(arg) for arg in self.args)

    def _sympystr(self, printer):
        return self._join(printer._print(arg) for arg in self.args)


class _PrintsAsFunction:
    """Printing shared by σ(z) on a scalar and σ(z) applied entry by entry to a vector.

    The arguments are (LaTeX symbol, text symbol, argument, prime flag).
    """

    args: tuple

    def _latex(self, printer):
        symbol, _, arg, prime = self.args
        mark = "'" if prime else ""
        return rf"{symbol.name}{mark}\left({printer._print(arg)}\right)"

    def _sympystr(self, printer):
        _, symbol, arg, prime = self.args
        mark = "'" if prime else ""
        return f"{symbol.name}{mark}({printer._print(arg)})"


class Applied(_PrintsAsFunction, sympy.Expr):
    """An activation applied to an argument, shown by its symbol: σ(z), σ'(z)."""

    is_commutative = True

    def __new__(cls, latex_symbol: str, text_symbol: str, arg, prime: bool = False):
        return sympy.Expr.__new__(
            cls, _name(latex_symbol), _name(text_symbol), sympy.sympify(arg), _flag(prime)
        )


class Elementwise(_PrintsAsFunction, MatrixExpr):
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

    def _latex(self, printer):
        return self.args[0].name

    def _sympystr(self, printer):
        return self.args[1].name
