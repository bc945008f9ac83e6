r"""Long formulas broken over lines, at the places a person would break them.

A printer describes a formula as a :class:`Group`: its printed parts and the
joiner before each (``" + "`` between terms, ``" \cdot "`` between the factors
of a chain, ``" = "`` between the sides of a step).  :func:`fill` sets the
parts on as few lines as fit a width, breaking first between the parts of the
outermost group and going inside a part only when that part alone is too
wide.  A bracket that is broken across lines is written with a fixed size
(``\Bigl(`` … ``\Bigr)``), since ``\left(`` … ``\right)`` must close on the
line it opens.  Nothing is ever shrunk to fit.

Widths are measured by the writer: characters for text, an estimate in ems
(:func:`latex_width`) for LaTeX.

>>> sum_ = Group((("", "a"), (" + ", "b"), (" + ", "c")))
>>> fill(sum_, 6, len)
['a + b', '+ c']
>>> fill(Group((("", sum_),), "(", ")"), 20, len)
['(a + b + c)']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """Printed parts, each with the joiner written before it, optionally enclosed in brackets."""

    parts: tuple[tuple[str, str | Group], ...]
    open: str = ""
    close: str = ""

    def flat(self) -> str:
        """The group on one line: exactly what the printer writes."""
        return self.open + "".join(joiner + flat(part) for joiner, part in self.parts) + self.close


def flat(part: str | Group) -> str:
    return part if isinstance(part, str) else part.flat()


def group(parts: list[tuple[str, str | Group]], open_: str = "", close: str = "") -> str | Group:
    """A group of parts, or the lone part's text when there is nothing to break at."""
    if len(parts) == 1 and not open_ and not parts[0][0]:
        return parts[0][1]
    return Group(tuple(parts), open_, close)


def fill(
    item: str | Group,
    width: float,
    measure: Callable[[str], float],
    fixed: Callable[[Group], tuple[str, str]] = lambda g: (g.open, g.close),
    indent: float = 0.0,
) -> list[str]:
    """``item`` on lines at most ``width`` wide; each line after the first begins with its joiner.

    ``fixed`` gives the brackets a group is written with when it is broken;
    ``indent`` is how much narrower a continuation line is than the first.
    A part too wide for any line and with nothing inside to break at gets a
    line of its own (a matrix, say); it is the only thing that can overflow.
    """
    if isinstance(item, str) or measure(item.flat()) <= width:
        return [flat(item)]
    open_, close = fixed(item) if item.open else ("", "")
    out: list[str] = []
    current, started = open_, False
    room = width - indent
    for joiner, part in item.parts:
        text = flat(part)
        limit = room if out else width
        if measure(current + joiner + text) <= limit:
            current, started = current + joiner + text, True
            continue
        lead = joiner.lstrip()
        if started and measure(lead + text) <= room:
            out.append(current)
            current = lead + text
            continue
        # Too wide for a line of its own: break inside it.
        inner = fill(part, room - measure(lead), measure, fixed, indent) if isinstance(part, Group) else [text]
        if not started or measure(current + joiner + inner[0]) <= limit:
            current += joiner + inner[0]
        else:
            out.append(current)
            current = lead + inner[0]
        started = True
        for line in inner[1:]:
            out.append(current)
            current = line
    out.append(current + close)
    return out


# -- how wide LaTeX is -------------------------------------------------------------

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
# Approximate widths in ems at the text size (Computer Modern, display style).
_COMMANDS = {
    "frac": None, "left": 0.0, "right": 0.0, "bigl": 0.45, "bigr": 0.45, "Bigl": 0.5, "Bigr": 0.5,
    "biggl": 0.55, "biggr": 0.55, "Biggl": 0.6, "Biggr": 0.6,
    "cdot": 0.78, "odot": 1.0, "times": 1.0, "to": 1.3, "leftarrow": 1.3,
    "quad": 1.0, "qquad": 2.0, ",": 0.17, ";": 0.28, ":": 0.22, "!": -0.17, " ": 0.33,
    "partial": 0.57, "delta": 0.45, "sigma": 0.58, "alpha": 0.64, "theta": 0.5, "nabla": 0.83,
    "sum": 1.45, "top": 0.78, "ldots": 1.2, "cdots": 1.2, "le": 1.05, "ge": 1.05,
    "mathcal": 0.0, "operatorname": 0.0, "text": 0.0, "mathrm": 0.0, "textstyle": 0.0,
    "displaystyle": 0.0, "log": 1.3, "exp": 1.55, "tanh": 1.95, "tilde": 0.0, "hat": 0.0,
}
_RELATIONS = {"=": 1.34, "+": 1.23, "-": 1.23, "<": 1.34, ">": 1.34}


def _braced(text: str, start: int) -> tuple[str, int]:
    """The contents of the ``{…}`` group at ``start`` (or the single token there) and the index after it."""
    if start >= len(text):
        return "", start
    if text[start] != "{":
        m = _COMMAND.match(text, start)
        if m:
            return m.group(0), m.end()
        return text[start], start + 1
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:index], index + 1
    return text[start + 1:], len(text)


def latex_width(text: str, scale: float = 1.0) -> float:
    r"""An estimate of the width of LaTeX math in ems, erring wide.

    Fractions count their wider line, scripts count at 70 %, ``\text`` by its
    letters, brackets and operators by their usual widths.

    >>> round(latex_width(r"a + b"), 1), round(latex_width(r"\frac{\partial a}{\partial b}"), 1)
    (2.6, 1.6)
    """
    width = 0.0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            m = _COMMAND.match(text, index)
            name = m.group(1)
            index = m.end()
            if name == "begin":
                _, index = _braced(text, index)
                end = _matching_end(text, index)
                width += _matrix_width(text[index:end], scale)
                index = text.find("}", end) + 1 or len(text)
            elif name == "frac":
                top, index = _braced(text, index)
                bottom, index = _braced(text, index)
                width += max(latex_width(top, scale), latex_width(bottom, scale)) + 0.25 * scale
            elif name in ("text", "mathrm", "operatorname"):
                words, index = _braced(text, index)
                width += sum(0.72 if c.isupper() else 0.5 for c in words) * scale
            elif name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"):
                if index < len(text) and text[index] in "([.])":
                    width += (0.0 if text[index] == "." else 0.55) * scale
                    index += 1
                elif text.startswith(r"\{", index) or text.startswith(r"\}", index):
                    width += 0.5 * scale
                    index += 2
            else:
                known = _COMMANDS.get(name)
                width += (0.6 if known is None else known) * scale
        elif char in "^_":
            script, index = _braced(text, index + 1)
            following = 0.0
            if index < len(text) and text[index] in "^_" and text[index] != char:
                other, index = _braced(text, index + 1)
                following = latex_width(other, scale * 0.7)
            width += max(latex_width(script, scale * 0.7), following)
        elif char in "{} " or char == "&":
            index += 1
        elif char in _RELATIONS:
            width += _RELATIONS[char] * scale
            index += 1
        elif char in "()[]":
            width += 0.39 * scale
            index += 1
        elif char in ".,;":
            width += 0.28 * scale
            index += 1
        elif char == "'":
            width += 0.3 * scale
            index += 1
        else:
            width += (0.5 if char.isdigit() else 0.85 if char.isupper() else 0.6) * scale
            index += 1
    return width * 1.05


def _matching_end(text: str, start: int) -> int:
    """Where the ``\\end{…}`` closing the environment whose body starts at ``start`` begins."""
    depth = 1
    for m in re.finditer(r"\\(begin|end)\{", text[start:]):
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return start + m.start()
    return len(text)


def _split_top(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it is not inside braces or a nested environment."""
    parts, depth, start, index = [], 0, 0, 0
    while index < len(text):
        if text.startswith("\\begin{", index):
            depth += 1
        elif text.startswith("\\end{", index):
            depth -= 1
        elif text[index] == "\\" and not text.startswith(separator, index):
            index += 2  # an escaped character or a command's first letter
            continue
        elif text[index] in "{":
            depth += 1
        elif text[index] in "}":
            depth -= 1
        elif depth == 0 and text.startswith(separator, index):
            parts.append(text[start:index])
            index += len(separator)
            start = index
            continue
        index += 1
    parts.append(text[start:])
    return parts


def _matrix_width(body: str, scale: float) -> float:
    """A matrix is as wide as its widest entry in each column, plus the space between columns."""
    rows = [_split_top(row, "&") for row in _split_top(body, "\\\\")]
    columns = max(len(row) for row in rows)
    widest = [max(latex_width(row[c], scale) if c < len(row) else 0.0 for row in rows) for c in range(columns)]
    return sum(widest) + (columns - 1) * 1.0 * scale + 0.2 * scale


def fixed_brackets(group_: Group) -> tuple[str, str]:
    r"""The fixed-size brackets for a broken group: ``\Biggl(`` around fractions, ``\bigl(`` otherwise."""
    if group_.open != r"\left(":
        return group_.open, group_.close
    if r"\frac" in group_.flat():
        return r"\Biggl(", r"\Biggr)"
    return r"\bigl(", r"\bigr)"
