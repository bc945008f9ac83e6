"""How the display objects of :mod:`symbackprop.display` print: one ``_print_<Class>`` each.

The LaTeX and text printers inherit these rules and differ only in their
marks: how a factor is enclosed, how factors and terms are joined, how a
partial derivative and a function application are written.

>>> import sympy
>>> from symbackprop.display import Chain, Partial
>>> from symbackprop.printing import latex, text
>>> L, a = sympy.Symbol("L"), sympy.Symbol("a2_1")
>>> latex(Chain(Partial(L, a), a - 1)), text(Chain(Partial(L, a), a - 1))
('\\\\frac{\\\\partial L}{\\\\partial a^{(2)}_{1}} \\\\cdot \\\\left(a^{(2)}_{1} - 1\\\\right)', '∂L/∂a⁽²⁾₁ · (a⁽²⁾₁ − 1)')
"""

from __future__ import annotations

from typing import Any

import sympy

from ..display import Terms


class DisplayRules:
    """Print rules of the display objects, parametrised by each printer's marks.

    Mixed into a SymPy printer, which supplies ``_print``.
    """

    _print: Any

    open_group, close_group = "(", ")"
    chain_joiner = " · "  # between the factors of a chain rule
    product_joiner = "·"  # between the factors of a product written side by side
    plus, minus = " + ", " - "  # between the terms of a displayed sum

    def partial(self, num: str, den: str) -> str:
        raise NotImplementedError

    def function(self, symbol: str, mark: str, arg: str) -> str:
        raise NotImplementedError

    def form(self, expr: Any) -> str:
        """Which of a display object's two names this printer writes (LaTeX or text)."""
        raise NotImplementedError

    def group(self, text: str) -> str:
        return f"{self.open_group}{text}{self.close_group}"

    def _print_Partial(self, expr: Any) -> str:
        num, den = (self._print(arg) for arg in expr.args)
        return self.partial(num, den)

    def _factors(self, expr: Any, joiner: str) -> str:
        parts = []
        for index, arg in enumerate(expr.args):
            text = self._print(arg)
            # A sum is enclosed, and so is a negative factor after the first.
            if isinstance(arg, sympy.Add | Terms) or (index > 0 and arg.could_extract_minus_sign()):
                text = self.group(text)
            parts.append(text)
        return joiner.join(parts)

    def _print_Chain(self, expr: Any) -> str:
        return self._factors(expr, self.chain_joiner)

    def _print_Product(self, expr: Any) -> str:
        return self._factors(expr, self.product_joiner)

    def _print_Formula(self, expr: Any) -> str:
        operands = []
        for arg in expr.operands:
            text = self._print(arg)
            if isinstance(arg, sympy.Add | sympy.MatAdd | Terms):
                text = self.group(text)
            operands.append(text)
        out = self.form(expr)
        for index, operand in enumerate(operands):  # {0}, {1}, …; every other brace is LaTeX's own
            out = out.replace("{" + str(index) + "}", operand)
        return out

    def _print_Terms(self, expr: Any) -> str:
        out = ""
        for index, arg in enumerate(expr.args):
            text = self._print(arg)
            if index == 0:
                out = text
            elif text.startswith("-"):
                out += self.minus + text[1:].lstrip()
            else:
                out += self.plus + text
        return out

    def _print_Applied(self, expr: Any) -> str:
        _, _, arg, prime = expr.args
        return self.function(self.form(expr), "'" if prime else "", self._print(arg))

    _print_Elementwise = _print_Applied

    def _print_Named(self, expr: Any) -> str:
        return self.form(expr)

    def _print_Minus(self, expr: Any) -> str:
        first, second = (self._print(arg) for arg in expr.args)
        return f"{first}{self.minus}{self.minus_operand(expr.args[1], second)}"

    def minus_operand(self, expr: Any, text: str) -> str:
        return text
