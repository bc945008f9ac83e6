"""Plain Unicode text printing: ``δ⁽²⁾₁ = (a⁽²⁾₁ − y₁)·a⁽²⁾₁·(1 − a⁽²⁾₁)``.

>>> import sympy
>>> text(sympy.Symbol("w2_12") * sympy.Symbol("a1_2"))
'a⁽¹⁾₂·w⁽²⁾₁₂'
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import sympy
from sympy.core.mul import _keep_coeff
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from ..options import unknown_settings
from ..symbols import unicode_name
from .breaking import Group, fill, flat, group
from .latex import shape_note
from .rules import DisplayRules, _without_sign

_GREEK = {"lambda": "λ", "epsilon": "ε"}
_SUPER = str.maketrans("0123456789()lL", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ˡᴸ")


MINUS = "−"


class TextPrinter(DisplayRules, StrPrinter):
    """SymPy's string printer with Unicode names, · for products, ^ for powers, − , ⊙ and ᵀ."""

    minus = " − "

    def partial(self, num: str, den: str) -> str:
        return f"∂{num}/∂{den}"

    def function(self, symbol: str, mark: str, arg: str) -> str:
        return f"{symbol}{mark}({arg})"

    def form(self, expr: Any) -> str:
        return expr.args[1].name

    def _print(self, expr: Any, **kwargs: Any) -> str:
        # Indexed and Sum bring their own _sympystr; ours reads better.
        if isinstance(expr, sympy.Indexed):
            return self._print_Indexed(expr)
        if isinstance(expr, sympy.Sum):
            return self._print_Sum(expr)
        out = super()._print(expr, **kwargs)
        if isinstance(expr, sympy.Number) and out.startswith("-"):
            return MINUS + out[1:]  # one minus sign in every text: −1, −1/2, −0.5
        return out

    def _add_group(self, expr: Any) -> str | Group:
        # A sum after its first term is joined by + and −, and a leading minus is − too.
        parts: list[tuple[str, str | Group]] = []
        for index, term in enumerate(self._as_ordered_terms(expr)):
            part = self.breakable(term)
            text = flat(part)
            negative = text.startswith(MINUS) and not term.is_Add
            if negative:
                part = _without_sign(part)
            if precedence(term) < precedence(expr) or term.is_Add:
                part = Group((("", part),), self.open_group, self.close_group)
            if index == 0:
                parts.append(("", Group(((MINUS, part),)) if negative else part))
            else:
                parts.append((self.minus if negative else self.plus, part))
        return group(parts)

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        return flat(self._add_group(expr))

    def _print_Mul(self, expr: Any) -> str:
        # Factors with a negative exponent, and the denominator of a rational
        # coefficient, go below the line: exp(-t)/(1 + exp(-t))^2, (a − y)^2/2.
        prec = precedence(expr)
        coefficient, rest = expr.as_coeff_Mul()
        sign = ""
        if coefficient < 0:
            sign, expr = MINUS, _keep_coeff(-coefficient, rest)
        above: list[Any] = []
        below: list[Any] = []
        for factor in expr.as_ordered_factors():
            if factor.is_commutative and factor.is_Pow and factor.exp.as_coeff_Mul()[0] < 0:
                below.append(factor.base if factor.exp == -1 else sympy.Pow(factor.base, -factor.exp, evaluate=False))
            elif factor.is_Rational and factor is not sympy.S.Infinity:
                if factor.p != 1:
                    above.append(sympy.Integer(factor.p))
                if factor.q != 1:
                    below.append(sympy.Integer(factor.q))
            else:
                above.append(factor)
        top = self.product_joiner.join(self.parenthesize(f, prec, strict=False) for f in above or [sympy.S.One])
        if not below:
            return sign + top
        bottom = [self.parenthesize(f, prec, strict=False) for f in below]
        if len(bottom) == 1:
            return f"{sign}{top}/{bottom[0]}"
        return f"{sign}{top}/{self.group(self.product_joiner.join(bottom))}"

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        prec = precedence(expr)
        if expr.exp is sympy.S.Half and not rational:
            return f"sqrt({self._print(expr.base)})"
        if expr.is_commutative and expr.exp is -sympy.S.Half and not rational:
            return f"1/sqrt({self._print(expr.base)})"
        if expr.is_commutative and expr.exp is sympy.S.NegativeOne:
            return f"1/{self.parenthesize(expr.base, prec, strict=False)}"
        base = self.parenthesize(expr.base, prec, strict=False)
        return f"{base}^{self.parenthesize(expr.exp, prec, strict=False)}"

    def _print_Sum(self, expr: Any) -> str:
        body = self._print(expr.function)
        limits = "".join(
            f"_{self._print(i)}={self._print(lo)}..{self._print(hi)}" for i, lo, hi in expr.limits
        )
        return f"Σ{limits} ({body})"

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        names = self._settings.get("symbol_names", {})
        return names[expr] if expr in names else (_GREEK.get(expr.name) or unicode_name(expr.name))

    def scientific(self, mantissa: str, exponent: int) -> str:
        return f"{mantissa}·10^{exponent}".replace("-", MINUS)

    def _print_Numeral(self, expr: Any) -> str:
        return super()._print_Numeral(expr).replace("-", MINUS)

    def _print_MatrixSymbol(self, expr: Any) -> str:
        return unicode_name(expr.name)

    def _print_Transpose(self, expr: Any) -> str:
        inner = self._print(expr.arg)
        return f"{inner}ᵀ" if isinstance(expr.arg, sympy.MatrixSymbol) else f"({inner})ᵀ"

    def _print_HadamardProduct(self, expr: Any) -> str:
        parts = []
        for arg in expr.args:
            part = self._print(arg)
            if isinstance(arg, sympy.MatAdd | sympy.MatMul):
                part = f"({part})"
            parts.append(part)
        return " ⊙ ".join(parts)

    def _print_MatMul(self, expr: Any) -> str:
        args = list(expr.args)
        sign = ""
        if args and args[0] == -1:
            sign, args = MINUS, args[1:]
        parts = []
        for arg in args:
            part = self._print(arg)
            if isinstance(arg, sympy.MatAdd | sympy.HadamardProduct):
                part = f"({part})"
            parts.append(part)
        return sign + " ".join(parts)

    def _print_Heaviside(self, expr: Any) -> str:
        return f"[{self._print(expr.args[0])} > 0]"

    def _print_Piecewise(self, expr: Any) -> str:
        parts = []
        for value, condition in expr.args:
            if condition == sympy.true:
                parts.append(f"{self._print(value)} otherwise")
            else:
                parts.append(f"{self._print(value)} if {self._print(condition)}")
        return "{" + ", ".join(parts) + "}"

    def _print_KroneckerDelta(self, expr: Any) -> str:
        return f"[{self._print(expr.args[0])} = {self._print(expr.args[1])}]"

    def _print_Indexed(self, expr: Any) -> str:
        indices = ",".join(self._print(i) for i in expr.indices)
        if all(isinstance(i, sympy.Symbol | sympy.Integer) for i in expr.indices):
            return f"{self._print(expr.base.label)}_{indices}"
        return f"{self._print(expr.base.label)}[{indices}]"  # an index such as 2·i − 1: bracketed


def text(expr: Any) -> str:
    """One expression as readable Unicode text (· for products, ^ for powers)."""
    return TextPrinter().doprint(expr)


_MACROS = [
    (r"\mathcal{L}", "ℒ"), (r"\partial", "∂"), (r"\delta", "δ"), (r"\sigma", "σ"), (r"\odot", "⊙"), (r"\top", "ᵀ"),
    (r"\nabla", "∇"), (r"\cdot", "·"), (r"\times", "×"), (r"\to", "→"), (r"\alpha", "α"),
    (r"\theta", "θ"), (r"\leftarrow", "←"), (r"\le", "≤"), (r"\sum", "Σ"),
    (r"\lambda", "λ"), (r"\star", "⋆"), (r"\hat{x}", "x̂"), (r"\mu", "μ"), (r"\gamma", "γ"),
    (r"\beta", "β"), (r"\epsilon", "ε"), (r"\oslash", "⊘"), ("^2", "²"),
]


def latex_words_to_text(value: str) -> str:
    """Titles and intros carry small ``$…$`` math; turn it into Unicode."""
    def convert(math: str) -> str:
        math = math.replace(r"^{\top}", "ᵀ")
        math = math.replace("\\textstyle ", "")
        math = re.sub(r"\\operatorname\{([^}]*)\}", r"\1", math)
        math = re.sub(r"\\sqrt\{([^}]*)\}", r"√(\1)", math)
        for macro, char in _MACROS:
            math = math.replace(macro, char)
        math = re.sub(r"\^\{\((\d+|l|L)\)\}", lambda m: f"({m.group(1)})".translate(_SUPER), math)
        math = math.replace("∂ ", "∂")
        math = re.sub(r"\^\{([^}]*)\}", r"^\1", math)
        math = re.sub(r"_\{([^}]*)\}", r"_\1", math)
        return math.replace("{", "").replace("}", "").replace("\\", "").replace("-", MINUS)

    parts = value.split("$")
    return "".join(convert(p) if i % 2 else p for i, p in enumerate(parts))


class TextWriter:
    """Renders derivation sections as plain Unicode text, one step per line."""

    _default_settings: dict[str, Any] = {"justify": True, "shapes": True, "width": 88}

    def __init__(self, **settings: Any):
        unknown_settings(settings, self._default_settings, "TextWriter")
        self.settings = {**self._default_settings, **settings}
        self.printer = TextPrinter()

    def step_lines(self, step: Any) -> list[str]:
        """``lhs = …`` lines of one step, broken to the writer's width, then the reason in brackets."""
        width = self.settings["width"]
        lhs = text(step.lhs)
        pad = " " * len(lhs)
        lines = []
        for index, rhs in enumerate(step.rhs):
            head = f"{lhs if index == 0 else pad} = "
            parts = fill(self.printer.breakable(rhs), width - len(head), len, indent=2)
            lines.append(head + parts[0])
            lines.extend(" " * (len(head) + 2) + part for part in parts[1:])
        notes = []
        if self.settings["justify"] and step.why:
            notes.append(step.why)
        if self.settings["shapes"] and step.result_shape is not None:
            notes.append(shape_note(step, "×", " ⊙ ", " → "))
        if notes:
            note = "[" + latex_words_to_text("; ".join(notes)) + "]"
            lines.extend(textwrap.wrap(note, width, initial_indent=pad + "   ", subsequent_indent=pad + "    ",
                                       break_on_hyphens=False))
        return lines

    def section(self, section: Any) -> str:
        width = self.settings["width"]
        title = latex_words_to_text(section.title)
        parts = [title, "─" * min(len(title), width)]
        if section.intro:
            parts.extend(textwrap.wrap(latex_words_to_text(section.intro), width, break_on_hyphens=False))
        for step in section.steps:
            parts.extend(self.step_lines(step))
        return "\n".join(parts)

    def document_body(self, derivation: Any, sections: Any) -> str:
        return "\n\n".join(self.section(s) for s in sections) + "\n"
