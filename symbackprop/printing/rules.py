"""How the display objects of :mod:`symbackprop.display` print: one ``_print_<Class>`` each.

The LaTeX and text printers inherit these rules and differ only in their
marks: how a factor is enclosed, how factors and terms are joined, how a
partial derivative and a function application are written.

>>> import sympy
>>> from symbackprop.display import Chain, Partial
>>> from symbackprop.printing import latex, text
>>> L, a = sympy.Symbol("L"), sympy.Symbol("a2_1")
>>> latex(Chain(Partial(L, a), a - 1)), text(Chain(Partial(L, a), a - 1))
('\\\\frac{\\\\partial \\\\mathcal{L}}{\\\\partial a^{(2)}_{1}} \\\\cdot \\\\left(a^{(2)}_{1} - 1\\\\right)', '∂ℒ/∂a⁽²⁾₁ · (a⁽²⁾₁ − 1)')
"""

from __future__ import annotations

import copy
import re
from typing import Any

import sympy

from ..display import Chain, Product, Substituted, Terms
from .breaking import Group, flat, group

# Two numbers side by side would read as one (0.15 0.05) or oddly ((−0.4) 0.9): a
# product of numbers is written with the number joiner, as SymPy does.
_NUMBER = re.compile(r"^(\\left\(|\()?[-−]?[0-9][0-9.]*( \\cdot 10\^\{-?[0-9]+\}|·10\^[-−]?[0-9]+)?(\\right\)|\))?$")


class DisplayRules:
    """Print rules of the display objects, parametrised by each printer's marks.

    Mixed into a SymPy printer, which supplies ``_print``.
    """

    _print: Any

    open_group, close_group = "(", ")"
    chain_joiner = " · "  # between the factors of a chain rule
    product_joiner = "·"  # between the factors of a product written side by side
    plus, minus = " + ", " - "  # between the terms of a displayed sum
    number_joiner = "·"  # between two numbers written side by side

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

    # -- displayed products and sums, with the places a line may break ------------

    def breakable(self, expr: Any) -> str | Group:
        """``expr`` as a :class:`Group` of parts a line may break between; flat, it is ``_print``'s text."""
        if isinstance(expr, Substituted):
            return self._numbered(expr).breakable(expr.expr)
        if isinstance(expr, Chain):
            return self._factor_group(expr, self.product_joiner if isinstance(expr, Product) else self.chain_joiner)
        if isinstance(expr, Terms):
            return self._term_group(expr)
        if isinstance(expr, sympy.Add):
            return self._add_group(expr)
        return self._print(expr)

    def _enclosed(self, part: str | Group) -> Group:
        return Group((("", part),), self.open_group, self.close_group)

    def _factor_group(self, expr: Any, joiner: str) -> str | Group:
        parts: list[tuple[str, str | Group]] = []
        for index, arg in enumerate(expr.args):
            part = self.breakable(arg)
            # A sum is enclosed, and so is a negative factor after the first.
            if isinstance(arg, sympy.Add | Terms) or (index > 0 and arg.could_extract_minus_sign()):
                part = self._enclosed(part)
            between = joiner
            if index and joiner == self.product_joiner:
                numbers = _NUMBER.match(flat(parts[-1][1])) and _NUMBER.match(flat(part))
                between = self.number_joiner if numbers else joiner
            parts.append((between if index else "", part))
        return group(parts)

    def _term_group(self, expr: Any) -> str | Group:
        parts: list[tuple[str, str | Group]] = []
        for index, arg in enumerate(expr.args):
            part = self.breakable(arg)
            if index == 0:
                parts.append(("", part))
            elif flat(part).startswith(("-", "−")):
                parts.append((self.minus, _without_sign(part)))
            else:
                parts.append((self.plus, part))
        return group(parts)

    def _add_group(self, expr: Any) -> str | Group:
        raise NotImplementedError

    def _print_Chain(self, expr: Any) -> str:
        return flat(self.breakable(expr))

    _print_Product = _print_Terms = _print_Chain

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

    def _print_Numeral(self, expr: Any) -> str:
        mantissa, _, exponent = expr.text.partition("e")
        return self.scientific(mantissa, int(exponent)) if exponent else mantissa

    def scientific(self, mantissa: str, exponent: int) -> str:
        raise NotImplementedError

    def _numbered(self, expr: Any) -> Any:
        """This printer, naming each symbol of ``expr`` by its number; a negative number enclosed."""
        names = dict(self._settings.get("symbol_names", {}))
        for symbol, number in expr.numbers().items():
            text = self._print(number)
            names[symbol] = self.group(text) if number.could_extract_minus_sign() else text
        inner = copy.copy(self)
        inner._settings = {**self._settings, "symbol_names": names}
        return inner

    def _print_Substituted(self, expr: Any) -> str:
        return flat(self.breakable(expr))


def _without_sign(part: str | Group) -> str | Group:
    """A part printed with a leading minus, without it (the minus becomes the joiner)."""
    if isinstance(part, str):
        return part[1:].lstrip()
    (joiner, first), *rest = part.parts
    return Group(((joiner, _without_sign(first)), *rest), part.open, part.close)
