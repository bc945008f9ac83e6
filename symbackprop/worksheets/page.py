"""The worksheet laid out as a sequence of blocks; each format's writer renders blocks.

The order, the words and the grouping live here once, so the PDF, the HTML
page and the Markdown file say the same thing.  Words may hold ``$…$`` math,
made by the project's printer.

>>> from symbackprop.models import two_two_two
>>> from symbackprop.worksheets.model import build
>>> [b.text for b in blocks(build(two_two_two(), seed=1)) if isinstance(b, Heading) and b.level == 1]
['Notation', 'Forward equations', 'Exercises', 'Worked example', 'Solution key', 'Check']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..printing import LatexWriter, latex
from ..printing.latex import text_to_latex
from ..steps import Step
from .drawing import Layout
from .model import Worksheet


@dataclass(frozen=True)
class Title:
    title: str
    subtitle: str
    code: str = ""  # an assignment's sheet code: printed with its QR code


@dataclass(frozen=True)
class Heading:
    level: int  # 1 section, 2 subsection, 3 a run-in label
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str  # words with $math$


@dataclass(frozen=True)
class Equations:
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Picture:
    layout: Layout
    caption: str


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[Any, str], ...]  # (SymPy object, words)


@dataclass(frozen=True)
class NewPage:
    pass


Block = Title | Heading | Paragraph | Equations | Picture | Table | NewPage


def _m(expr: Any) -> str:
    return f"${latex(expr)}$"


def step_lines(step: Step) -> list[str]:
    """The LaTeX lines of one step (``lhs &= …``), by the project's LatexWriter.

    A one-line step keeps its reason beside it; a longer one puts the reason on a
    line of its own, since its last line is often the widest of the page.
    """
    if len(step.rhs) <= 1 or not step.why:
        return _WRITER.step_lines(step)
    lines = _QUIET.step_lines(step)
    lines.append(r"&\qquad \text{(" + text_to_latex(step.why) + ")}")
    return lines


_WRITER = LatexWriter(shapes=False)
_QUIET = LatexWriter(shapes=False, justify=False)


def blocks(sheet: Worksheet) -> tuple[Block, ...]:
    out: list[Block] = [Title(sheet.title, sheet.subtitle, sheet.code)]
    out.append(
        Picture(
            sheet.picture,
            "The network. Inputs on the left, the loss on the right; the parameters of the "
            "exercises are marked in red.",
        )
    )
    out += [
        Heading(1, "Notation"),
        Paragraph(
            "Layers are numbered 1 to L and layer 0 is the input. Vectors are columns and "
            "indices start at 1. The error of a layer is the derivative of the loss with respect "
            "to its weighted inputs."
        ),
        Table(sheet.notation),
        Heading(1, "Forward equations"),
        Paragraph(sheet.forward.intro),
        Equations(sheet.forward.steps),
        Heading(1, "Exercises"),
        Paragraph(
            "Derive each derivative by the chain rule, in terms of the activations, the weights "
            "and the targets; then evaluate it with the numbers of the worked example."
        ),
    ]
    for ex in sheet.exercises:
        out.append(Heading(2, f"Exercise {ex.number} ({ex.kind})"))
        out.append(Paragraph(f"Derive {_m(ex.question)}."))
        out.append(Paragraph(f"Hint: {ex.hint} The chain to follow:"))
        out.append(Equations((ex.chain,)))
    out.append(Heading(1, "Worked example"))
    out.append(
        Paragraph(
            f"One sample, one forward and one backward pass, and one update with learning rate "
            f"{_m(sheet.values.lr)}. Numbers are rounded to {sheet.digits} significant digits; "
            "they were computed by symbackprop's compiled gradients."
        )
    )
    for section in sheet.example:
        out.append(Heading(2, section.title))
        if section.intro:
            out.append(Paragraph(section.intro))
        out.append(Equations(section.steps))
    if sheet.solutions:
        out += [NewPage(), Heading(1, "Solution key")]
        out.append(Paragraph("The derivatives of the activations and of the loss that the key uses:"))
        out.append(Equations(sheet.identities.steps))
        for sol in sheet.solutions:
            ex = sol.exercise
            out.append(Heading(2, f"Exercise {ex.number}: {_m(ex.question)}"))
            for section in sol.sections:
                out.append(Heading(3, section.title))
                if section.intro:
                    out.append(Paragraph(section.intro))
                out.append(Equations(section.steps))
            out.append(Heading(3, "With the numbers of the worked example"))
            out.append(Equations((sol.at_example,)))
    check = sheet.check
    out += [
        Heading(1, "Check"),
        Paragraph(
            f"The gradients of the worked example ({check.entries} numbers) were compared with "
            f"central finite differences of the loss. The largest relative error is "
            f"{check.fd_error:.1e} (at {check.fd_where}); the key's equations, evaluated at the "
            f"same point, agree with the compiled gradients to a relative error of "
            f"{check.key_error:.1e}."
            + (
                f" {check.kinks} entries whose difference step crossed a ReLU kink were not compared."
                if check.kinks
                else ""
            )
        ),
    ]
    return tuple(out)
