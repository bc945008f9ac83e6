"""How an exported question words what it asks: the gradient, the example's numbers, the answer's
entries and the error they may have.

>>> from symbackprop.classroom.wording import wrt_latex
>>> wrt_latex("W2[1,2]"), wrt_latex("b1")
('\\\\frac{\\\\partial L}{\\\\partial w^{(2)}_{12}}', '\\\\frac{\\\\partial L}{\\\\partial b^{(1)}}')
"""

from __future__ import annotations

from typing import Any

from ..symbols import Wrt


def wrt_latex(wrt: str) -> str:
    """∂L/∂wrt as LaTeX: ``\\frac{\\partial L}{\\partial w^{(2)}_{12}}``."""
    from ..printing import latex

    which = Wrt.parse(wrt)
    target = which.parameter.latex if which.entry is None else latex(which.parameter.symbol(*which.entry))
    return rf"\frac{{\partial L}}{{\partial {target}}}"


def wrt_text(wrt: str) -> str:
    """∂L/∂wrt in plain text: ``∂L/∂W2[1,2]``."""
    return f"∂L/∂{wrt}"


def number(value: float) -> str:
    """A number as the sheets print it: six significant digits."""
    return format(float(value), ".6g")


def example_lines(variant: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of the worked example's given numbers: x, y and every parameter."""
    given = variant["example"]
    out = [("x", _vector(given["x"])), ("y", _vector(given["y"]))]
    out += [(name, _vector(value)) for name, value in given["params"].items()]
    return out


def _vector(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_vector(v) for v in value) + "]"
    return number(value)


def entries(wrt: str, value: Any) -> list[tuple[str, float]]:
    """(label, value) for each number of an answer: one for an entry, one per entry of a matrix."""
    if not isinstance(value, list):
        return [(wrt, float(value))]
    if isinstance(value[0], list):
        return [(f"{wrt}[{i + 1},{j + 1}]", float(v)) for i, row in enumerate(value) for j, v in enumerate(row)]
    return [(f"{wrt}[{i + 1}]", float(v)) for i, v in enumerate(value)]


def tolerance_text(wrt: str, tolerance: float) -> str:
    """How near a value must be, in words, as :func:`allowed_error` measures it.

    >>> tolerance_text("W2", 0.005), tolerance_text("W2[1,2]", 0.01)
    ('within 0.5% of the largest entry of ∂L/∂W2', 'within 1% of its true value')
    """
    percent = f"{tolerance * 100:g}%"
    if Wrt.parse(wrt).entry is None:
        return f"within {percent} of the largest entry of {wrt_text(wrt)}"
    return f"within {percent} of its true value"


def allowed_error(value: Any, tolerance: float) -> float:
    """The absolute error a numeric answer may have: ``tolerance`` × the largest entry (as grade does)."""
    flat = [abs(v) for _, v in entries("x", value)]
    return tolerance * max(flat) + 1e-12


def spreadsheet_cell(text: str) -> str:
    """A spreadsheet reads a cell starting with = + - @ as a formula: quote it as text.

    >>> spreadsheet_cell("@ada"), spreadsheet_cell("=1+1"), spreadsheet_cell("ada")
    ("'@ada", "'=1+1", 'ada')
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
