"""Plain Unicode text printing: ``δ⁽²⁾₁ = (a⁽²⁾₁ − y₁)·a⁽²⁾₁·(1 − a⁽²⁾₁)``.

>>> import sympy
>>> text(sympy.Symbol("w2_12") * sympy.Symbol("a1_2"))
'a⁽¹⁾₂·w⁽²⁾₁₂'
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from sympy.printing.str import StrPrinter

from ..symbols import unicode_name

_LETTER_INDEX = re.compile(r"^(w|b|z|a|delta)(\d+)_([a-z]{1,2})$")
_SUPER = str.maketrans("0123456789()lL", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ˡᴸ")
_STEMS = {"w": "w", "b": "b", "z": "z", "a": "a", "delta": "δ"}


def symbol_text(name: str) -> str:
    m = _LETTER_INDEX.match(name)
    if m:
        stem, layer, index = m.groups()
        return f"{_STEMS[stem]}{f'({layer})'.translate(_SUPER)}_{index}"
    return unicode_name(name)


class TextPrinter(StrPrinter):
    """SymPy's string printer with Unicode names, ⊙ and ᵀ."""

    printmethod = "_sympystr"

    def _print(self, expr: Any, **kwargs: Any) -> str:
        # Indexed and Sum bring their own _sympystr; ours reads better.
        if isinstance(expr, sympy.Indexed):
            return self._print_Indexed(expr)
        if isinstance(expr, sympy.Sum):
            return self._print_Sum(expr)
        return super()._print(expr, **kwargs)

    def _print_Sum(self, expr: Any) -> str:
        body = self._print(expr.function)
        limits = "".join(
            f"_{self._print(i)}={self._print(lo)}..{self._print(hi)}" for i, lo, hi in expr.limits
        )
        return f"Σ{limits} ({body})"

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return symbol_text(expr.name)

    def _print_MatrixSymbol(self, expr: Any) -> str:
        return symbol_text(expr.name)

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
            sign, args = "-", args[1:]
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
        return f"{self._print(expr.base.label)}_{','.join(self._print(i) for i in expr.indices)}"


def text(expr: Any) -> str:
    """One expression as readable Unicode text (· for products, ^ for powers)."""
    out = TextPrinter().doprint(expr)
    return out.replace("**", "^").replace("*", "·").replace(" - ", " − ")


_MACROS = [
    (r"\partial", "∂"), (r"\delta", "δ"), (r"\sigma", "σ"), (r"\odot", "⊙"), (r"\top", "ᵀ"),
    (r"\nabla", "∇"), (r"\cdot", "·"), (r"\times", "×"), (r"\to", "→"), (r"\alpha", "α"),
    (r"\theta", "θ"), (r"\leftarrow", "←"), (r"\le", "≤"), (r"\sum", "Σ"),
]


def latex_words_to_text(value: str) -> str:
    """Titles and intros carry small ``$…$`` math; turn it into Unicode."""
    def convert(math: str) -> str:
        math = math.replace(r"^{\top}", "ᵀ")
        math = math.replace("\\textstyle ", "")
        math = re.sub(r"\\operatorname\{([^}]*)\}", r"\1", math)
        for macro, char in _MACROS:
            math = math.replace(macro, char)
        math = re.sub(r"\^\{\((\d+|l|L)\)\}", lambda m: f"({m.group(1)})".translate(_SUPER), math)
        math = math.replace("∂ ", "∂")
        math = re.sub(r"\^\{([^}]*)\}", r"^\1", math)
        math = re.sub(r"_\{([^}]*)\}", r"_\1", math)
        return math.replace("{", "").replace("}", "").replace("\\", "")

    parts = value.split("$")
    return "".join(convert(p) if i % 2 else p for i, p in enumerate(parts))


class TextWriter:
    """Renders derivation sections as plain Unicode text, one step per line."""

    _default_settings: dict[str, Any] = {"justify": True, "shapes": True, "width": 100}

    def __init__(self, **settings: Any):
        unknown = set(settings) - set(self._default_settings)
        if unknown:
            raise TypeError(f"unknown TextWriter setting(s): {', '.join(sorted(unknown))}")
        self.settings = {**self._default_settings, **settings}

    def step_lines(self, step: Any) -> list[str]:
        lhs = text(step.lhs)
        pad = " " * len(lhs)
        lines = [f"{lhs if i == 0 else pad} = {text(rhs)}" for i, rhs in enumerate(step.rhs)]
        notes = []
        if self.settings["justify"] and step.why:
            notes.append(step.why)
        if self.settings["shapes"] and step.result_shape is not None:
            factors = "".join(f"({r}×{c})" for r, c in step.shapes)
            result = f"({step.result_shape[0]}×{step.result_shape[1]})"
            notes.append(f"{factors} → {result}" if factors else result)
        if notes:
            lines.append(f"{pad}   [{latex_words_to_text('; '.join(notes))}]")
        return lines

    def section(self, section: Any) -> str:
        title = latex_words_to_text(section.title)
        parts = [title, "─" * min(len(title), self.settings["width"])]
        if section.intro:
            parts.append(latex_words_to_text(section.intro))
        for step in section.steps:
            parts.extend(self.step_lines(step))
        return "\n".join(parts)

    def document_body(self, derivation: Any, sections: Any) -> str:
        return "\n\n".join(self.section(s) for s in sections) + "\n"
