"""LaTeX printing of expressions and derivations.

``LatexPrinter`` is SymPy's printer with the project's symbol names
(``w^{(2)}_{12}``, ``\\delta^{(1)}``), ⊙ for the Hadamard product, ``^{\\top}``
for transposes and Iverson brackets for the ReLU derivative.  ``LatexWriter``
walks a derivation's sections and emits amsmath ``align*`` blocks, one step
per line with a short justification.

>>> import sympy
>>> latex(sympy.Symbol("w2_12") * sympy.Symbol("delta1_1"))
'\\\\delta^{(1)}_{1} w^{(2)}_{12}'
>>> latex(sympy.Heaviside(sympy.Symbol("z1_1"), 0))
'\\\\left[z^{(1)}_{1} > 0\\\\right]'
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter as _SympyLatexPrinter

from ..options import unknown_settings
from ..symbols import latex_form
from .breaking import Group, fill, fixed_brackets, flat, group, latex_width
from .preamble import preamble
from .rules import DisplayRules


class LatexPrinter(DisplayRules, _SympyLatexPrinter):
    """SymPy's LaTeX printer speaking the project's notation."""

    open_group, close_group = r"\left(", r"\right)"
    chain_joiner = r" \cdot "
    product_joiner = " "
    number_joiner = r" \cdot "

    def partial(self, num: str, den: str) -> str:
        return rf"\frac{{\partial {num}}}{{\partial {den}}}"

    def function(self, symbol: str, mark: str, arg: str) -> str:
        return rf"{symbol}{mark}\left({arg}\right)"

    def form(self, expr: Any) -> str:
        return expr.args[0].name

    def _add_group(self, expr: Any) -> str | Group:
        # SymPy's rule for a sum, with each term a part a line may break before.
        parts: list[tuple[str, str | Group]] = []
        for index, term in enumerate(self._as_ordered_terms(expr)):
            joiner = ""
            if index and term.could_extract_minus_sign():
                joiner, term = " - ", -term
            elif index:
                joiner = " + "
            part = self.breakable(term)
            if self._needs_add_brackets(term):
                part = Group((("", part),), r"\left(", r"\right)")
            parts.append((joiner, part))
        return group(parts)

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        return flat(self._add_group(expr))

    def scientific(self, mantissa: str, exponent: int) -> str:
        return rf"{mantissa} \cdot 10^{{{exponent}}}"

    def minus_operand(self, expr: Any, text: str) -> str:
        return self.group(text) if isinstance(expr, sympy.Add | sympy.MatAdd) else text

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        if expr in self._settings["symbol_names"]:
            return self._settings["symbol_names"][expr]
        return latex_form(expr.name) or super()._print_Symbol(expr, style)

    def _print_MatrixSymbol(self, expr: Any) -> str:
        return latex_form(expr.name) or super()._print_MatrixSymbol(expr)

    def _print_Transpose(self, expr: Any) -> str:
        inner = self._print(expr.arg)
        if "^" not in inner and " " not in inner:
            return f"{inner}^{{\\top}}"
        return rf"\left({inner}\right)^{{\top}}"

    def _print_HadamardProduct(self, expr: Any) -> str:
        parts = []
        for arg in expr.args:
            text = self._print(arg)
            if isinstance(arg, sympy.MatAdd | sympy.MatMul | sympy.HadamardProduct):
                text = rf"\left({text}\right)"
            parts.append(text)
        return r" \odot ".join(parts)

    def _print_Heaviside(self, expr: Any, exp: Any = None) -> str:
        text = rf"\left[{self._print(expr.args[0])} > 0\right]"
        return f"{text}^{{{self._print(exp)}}}" if exp is not None else text

    def _print_KroneckerDelta(self, expr: Any, exp: Any = None) -> str:
        i, j = expr.args[:2]
        return rf"\left[{self._print(i)} = {self._print(j)}\right]"

    def _print_Indexed(self, expr: Any) -> str:
        base = self._print(expr.base.label)
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{base}_{{{indices}}}"


def latex(expr: Any, **settings: Any) -> str:
    """LaTeX of one expression in the project's notation."""
    return LatexPrinter(settings).doprint(expr)


def text_to_latex(text: str) -> str:
    """Plain words with ``$…$`` math segments -> LaTeX (words escaped, math kept).

    Math in words is set in text style, so a sum keeps its limits at its side.

    >>> text_to_latex(r"the targets sum to 1, $\\sum_i y_i = 1$")
    'the targets sum to 1, $\\\\textstyle \\\\sum_i y_i = 1$'
    """
    parts = text.split("$")
    out = []
    for index, part in enumerate(parts):
        out.append(f"$\\textstyle {part}$" if index % 2 else _escape(part))
    return "".join(out)


def title_in_math(text: str, words: str = r"\text") -> str:
    r"""Words with ``$…$`` math, for use inside display math: the words in ``\text{}``.

    Math stays outside ``\text``, where every renderer (pdflatex, KaTeX,
    MathJax) reads it, in text style.

    >>> title_in_math(r"Errors of layer 2: $\delta^{(2)}$")
    '\\text{Errors of layer 2: }{\\textstyle \\delta^{(2)}}'
    """
    parts = text.split("$")
    return "".join(
        rf"{{\textstyle {part}}}" if index % 2 else (rf"{words}{{{_escape(part)}}}" if part else "")
        for index, part in enumerate(parts)
    )


def _escape(words: str) -> str:
    for char, repl in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                       ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("^", r"\^{}"), ("~", r"\~{}"),
                       ("×", r"$\times$"), ("→", r"$\to$")):
        words = words.replace(char, repl)
    return words


def shape_note(step: Any, times: str = r" \times ", odot: str = r" \odot ", to: str = r" \to ") -> str:
    """``(3 × 1)(1 × 2) → (3 × 2)`` for a matrix-level step, ⊙ set apart from the matrix product; or ''."""
    if step.result_shape is None:
        return ""
    factors = "".join(
        (odot if index in step.elementwise else "") + "(" + times.join(map(str, shape)) + ")"
        for index, shape in enumerate(step.shapes)
    )
    result = "(" + times.join(map(str, step.result_shape)) + ")"
    return f"{factors}{to}{result}" if factors else result


CONTINUED = 1.0  # a continued line starts a \quad further in
STANDALONE_WIDTH = 60.0  # ems of a line of the standalone document (landscape A4, 2 cm margins, 11 pt)


class LatexWriter:
    """Renders derivation sections as LaTeX (amsmath ``align*``)."""

    _default_settings: dict[str, Any] = {
        "justify": True,  # the short \text{} reason at the end of each step
        "shapes": True,  # shapes of matrix-level factors
        "heading": r"\section*",
        "width": 44.0,  # ems a line may take (a portrait A4 page at 11 pt); longer steps are broken
        "one_side_per_line": True,  # lhs = a, = b on lines of their own; False joins them while they fit
        "printer": {},  # settings for LatexPrinter
    }

    def __init__(self, **settings: Any):
        unknown_settings(settings, self._default_settings, "LatexWriter")
        self.settings = {**self._default_settings, **settings}
        self.printer = LatexPrinter(self.settings["printer"])

    def expr(self, value: Any) -> str:
        return self.printer.doprint(value)

    def step_lines(self, step: Any) -> list[str]:
        """``lhs &= …`` lines of one step, broken to the writer's width; the reason on the last line or below it."""
        width = self.settings["width"]
        lhs = self.expr(step.lhs)
        sides = [self.printer.breakable(rhs) for rhs in step.rhs]
        if self.settings["one_side_per_line"]:
            groups = [Group((("= ", side),)) for side in sides]
        else:
            groups = [Group(tuple(("= " if index == 0 else " = ", side) for index, side in enumerate(sides)))]
        room = width - latex_width(lhs) - 0.5
        lines = []
        for group_ in groups:
            for line in fill(group_, room, latex_width, fixed_brackets, indent=CONTINUED):
                lines.append(" &" + line if line.startswith("=") else r" &\quad " + line)
        lines[0] = lhs + lines[0]
        notes = []
        if self.settings["justify"] and step.why:
            notes.append(title_in_math(step.why))
        if self.settings["shapes"] and step.result_shape is not None:
            notes.append(shape_note(step))
        if notes:
            note = r"\qquad " + r"\quad ".join(notes)
            last = lines[-1].split("&", 1)[1]
            if latex_width(lhs if len(lines) == 1 else "") + latex_width(last + note) <= width:
                lines[-1] += note
            else:
                lines.append(" &" + note)
        return lines

    def align(self, steps: Any) -> str:
        lines = [line for step in steps for line in self.step_lines(step)]
        if not lines:
            return ""
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"

    def section(self, section: Any) -> str:
        parts = [f"{self.settings['heading']}{{{text_to_latex(section.title)}}}"]
        if section.intro:
            parts.append(text_to_latex(section.intro))
        block = self.align(section.steps)
        if block:
            parts.append(block)
        return "\n".join(parts)

    def document_body(self, derivation: Any, sections: Any) -> str:
        return "\n\n".join(self.section(s) for s in sections) + "\n"

    def equations_only(self, sections: Any) -> str:
        return self.align([step for section in sections for step in section.steps])

    def display(self, sections: Any) -> str:
        """Every section as one ``$$``-delimited ``aligned`` block, titles as text lines (Jupyter, VS Code)."""
        lines = []
        for section in sections:
            lines.append("&" + title_in_math(section.title, r"\textbf"))
            lines.extend(line for step in section.steps for line in self.step_lines(step))
        return "$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$"

    def document(self, derivation: Any, sections: Any, title: str = "") -> str:
        """A standalone document that pdflatex compiles."""
        title = title or f"Backpropagation for the {derivation.network.describe()} network"
        return (
            preamble(geometry="margin=2cm,landscape") + "\n"
            "\\allowdisplaybreaks\n"
            f"\\title{{{_escape(title)}}}\n\\date{{}}\n"
            "\\begin{document}\n\\maketitle\n"
            + self.document_body(derivation, sections)
            + "\\end{document}\n"
        )


