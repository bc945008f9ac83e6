"""Display-only pieces the worksheet needs beside those of :mod:`symbackprop.display`.

Like those, they keep an order SymPy would change and print through whatever
printer walks them, so the symbols keep the project's names.

>>> import sympy
>>> from symbackprop.printing import latex
>>> latex(Minus(sympy.MatrixSymbol("W1", 2, 2), sympy.MatrixSymbol("G", 2, 2)))
'W^{(1)} - G'
"""

from __future__ import annotations

import sympy


class Minus(sympy.Expr):
    """``first - second`` in that order (a gradient-descent step, θ − α g)."""

    is_commutative = True

    def __new__(cls, first, second):
        return sympy.Expr.__new__(cls, sympy.sympify(first), sympy.sympify(second))

    def _latex(self, printer):
        first, second = (printer._print(arg) for arg in self.args)
        if isinstance(self.args[1], sympy.Add | sympy.MatAdd):
            second = rf"\left({second}\right)"
        return f"{first} - {second}"

    def _sympystr(self, printer):
        first, second = (printer._print(arg) for arg in self.args)
        return f"{first} - {second}"
