"""The worksheet laid out as a sequence of blocks; each format's writer renders blocks.

The order, the words and the grouping live here once, so the PDF, the HTML
page and the Markdown file say the same thing.  Words may hold ``$…$`` math,
made by the project's printer.  The teacher's copy puts each exercise's key
where the student's copy leaves room to answer, so the key is in the order
of the exercises.

>>> from symbackprop.models import two_two_two
>>> from symbackprop.worksheets.model import build
>>> sheet = build(two_two_two(), seed=1)
>>> [b.text for b in blocks(sheet) if isinstance(b, Heading) and b.level == 1]
['The chain rule and the four equations', 'Notation', 'The worked example', 'Exercises']
>>> [b.text for b in blocks(sheet.student_copy()) if isinstance(b, Heading) and b.level == 3]
[]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..printing import LatexWriter, latex
from ..printing.breaking import latex_width
from ..printing.latex import text_to_latex
from ..steps import Step
from .drawing import Layout
from .example import LINE
from .exercises import Room
from .model import Worksheet


@dataclass(frozen=True)
class Title:
    title: str
    subtitle: str
    copy: str  # "Teacher's copy, with the key" or "Student's copy"
    code: str = ""  # an assignment's sheet code: printed with its QR code


@dataclass(frozen=True)
class NameLine:
    student: str = ""  # printed on the line; blank for a student to write


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
class EquationRows:
    """Rows of short one-line steps set side by side: ``x = …, y = …, α = …``."""

    rows: tuple[tuple[Step, ...], ...]


@dataclass(frozen=True)
class Boxed:
    """Equations in a frame, as rows of side-by-side steps, with a title and a note."""

    title: str
    rows: tuple[tuple[Step, ...], ...]
    note: str


@dataclass(frozen=True)
class Picture:
    layout: Layout
    caption: str


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, str], ...]  # (math, words)


@dataclass(frozen=True)
class Answer:
    """Room to write one answer: a box ``room.lines`` tall, or rows of blanks."""

    rooms: tuple[Room, ...]


@dataclass(frozen=True)
class NewPage:
    pass


Block = Title | NameLine | Heading | Paragraph | Equations | EquationRows | Boxed | Picture | Table | Answer | NewPage


def _m(expr: Any) -> str:
    return f"${latex(expr)}$"


WIDTH = LINE
_WRITER = LatexWriter(shapes=False, width=WIDTH, one_side_per_line=False)


def step_lines(step: Step) -> list[str]:
    """The LaTeX lines of one step (``lhs &= … = …``), as many sides a line as fit."""
    return _WRITER.step_lines(step)


def row_line(steps: tuple[Step, ...]) -> str:
    """Short steps on one line, ``lhs = rhs`` joined by commas, each reason after it."""
    out = []
    for step in steps:
        text = " = ".join([_WRITER.expr(step.lhs), *(_WRITER.expr(r) for r in step.rhs)])
        if step.why:
            text += r"\quad\text{" + text_to_latex(step.why) + "}"
        out.append(text)
    return "&" + r",\qquad ".join(out)  # set flush left at the alignment point


def packed(steps: tuple[Step, ...], width: float = WIDTH) -> EquationRows:
    """One-line steps set side by side, as many to a row as fit the width."""
    rows: list[list[Step]] = []
    for step in steps:
        if rows and latex_width(row_line((*rows[-1], step))[1:]) <= width:
            rows[-1].append(step)
        else:
            rows.append([step])
    return EquationRows(tuple(tuple(row) for row in rows))


def _caption(sheet: Worksheet) -> str:
    words = "The network: inputs on the left, the loss on the right"
    if any(edge.value for edge in sheet.picture.edges):
        words += "; each edge carries its weight, the dotted edges from the units marked 1 carry the biases"
    return words + ". The parameters of the exercises are marked in red."


def _check(sheet: Worksheet) -> str:
    check = sheet.check
    return (
        f"The gradients of the worked example ({check.entries} numbers) "
        f"agree with central finite differences of the loss to a relative error of {check.fd_error:.1e} "
        f"at most (at {check.fd_where}), and the key's equations, evaluated at the same point, agree with "
        f"symbackprop's compiled gradients to {check.key_error:.1e}."
        + (f" {check.kinks} entries whose difference step crossed a ReLU kink were not compared." if check.kinks else "")
        + f" This is variant {sheet.seed}: the same seed gives the same exercises and numbers."
    )


def blocks(sheet: Worksheet) -> tuple[Block, ...]:
    teacher = sheet.has_solutions
    out: list[Block] = [
        Title(sheet.title, sheet.subtitle, "Teacher's copy, with the key" if teacher else "", sheet.code)
    ]
    if not teacher:
        out.append(NameLine(sheet.student))
    out += [
        Picture(sheet.picture, _caption(sheet)),
        Heading(1, "The chain rule and the four equations"),
        Paragraph(sheet.chain_rule),
        Boxed("The four equations of backpropagation", sheet.equations, sheet.equations_note),
        Heading(1, "Notation"),
        Table(sheet.notation),
        Heading(1, "The worked example"),
        Paragraph(
            "One sample goes forward through the network. Numbers given on the sheet are exact; "
            f"computed ones are rounded to {sheet.digits} significant digits."
        ),
    ]
    out.append(packed(tuple(step for row in sheet.given for step in row)))
    out.append(Equations(sheet.forward))
    out.append(Heading(1, "Exercises"))
    out.append(
        Paragraph(
            "Derive each by the chain rule: the chain of partial derivatives, each factor, then the result "
            "in activations, weights and targets. A later exercise may use what an earlier one derived."
        )
    )
    if teacher:
        out += [Heading(3, "Check"), Paragraph(_check(sheet))]
        out.append(Heading(3, "The local derivatives the key uses"))
        out.append(Equations(sheet.identities))
    out += exercise_blocks(sheet)
    return tuple(out)


def exercise_blocks(sheet: Any) -> list[Block]:
    """Each exercise: its task, then room to answer (a student's copy) or its key."""
    teacher = sheet.has_solutions
    out: list[Block] = []
    for index, ex in enumerate(sheet.exercises):
        out.append(Heading(2, ex.title))
        out.append(Paragraph(f"{ex.task} Hint: {ex.hint}" if ex.hint else ex.task))
        if not teacher:
            out.append(Answer(ex.room))
            continue
        for number, section in enumerate(sheet.solutions[index].sections):
            title = section.title if number else ("Key: " + section.title[:1].lower() + section.title[1:]).rstrip(": ")
            if title:
                out.append(Heading(3, title))
            if section.intro:
                out.append(Paragraph(section.intro))
            out.append(Equations(section.steps))
    return out


# What the worked example of a layer sheet holds, by how the featured layer reads its input.
_EXAMPLE_WORDS = {
    "conv2d": "The image and the kernel are matrices (one channel each).",
    "batchnorm image": "Each image of the batch is shown sample by sample, a row per channel holding its "
                       "positions row by row; in a formula the samples stand side by side (sample 1's columns, "
                       "then sample 2's). $\\mu$, $\\sigma$ ($= \\sqrt{\\sigma_B^2 + \\epsilon}$), "
                       "$\\gamma$ and $\\beta$ have one entry per channel. $\\delta$ is the derivative of the batch "
                       "loss, the mean of the samples' losses.",
    "rnn": "Row $t$ of $x$, $z$ and $h$ is step $t$; the layer's output $a$ is the last state $h_T$.",
    "batchnorm": "Column $n$ of $x$ and of every quantity of a sample is sample $n$; "
                 "$\\mu$, $\\sigma$ ($= \\sqrt{\\sigma_B^2 + \\epsilon}$), $\\gamma$ and $\\beta$ have one entry per feature. "
                 "$\\delta$ is the derivative of the batch loss, the mean of the samples' losses.",
    "layernorm": "The sample is a column; $\\mu$, $\\sigma^2$ and $\\sigma$ are numbers of this one sample, "
                 "and $\\gamma$, $\\beta$ have one entry per feature.",
    "dropout": "The mask $m$ below was drawn from the seed, once, before the forward pass; "
               "it stays the same on the way back.",
}


def layer_blocks(sheet: Any) -> tuple[Block, ...]:
    """The blocks of a sheet featuring one layer (:mod:`symbackprop.worksheets.layered`)."""
    teacher = sheet.has_solutions
    featured = sheet.network.layers[sheet.featured - 1]
    kind = "batchnorm image" if featured.kind == "batchnorm" and featured.image else featured.kind
    out: list[Block] = [
        Title(sheet.title, sheet.subtitle, "Teacher's copy, with the key" if teacher else "", sheet.code)
    ]
    if not teacher:
        out.append(NameLine(sheet.student))
    samples = f"A batch of {sheet.samples} samples goes" if sheet.samples > 1 else "One sample goes"
    out += [
        Heading(1, "The network"),
        Paragraph(f"The forward pass in index notation; layer {sheet.featured} is the one the exercises are about."),
        Equations(sheet.forward_rules),
        Heading(1, "Notation"),
        Table(sheet.notation),
        Heading(1, "The worked example"),
        Paragraph(
            f"{samples} forward through the network. {_EXAMPLE_WORDS[kind]} "
            f"Numbers given on the sheet are exact; computed ones are rounded to {sheet.digits} significant digits."
        ),
        packed(sheet.given),
        Equations(sheet.forward),
        Heading(1, "Exercises"),
        Paragraph("Derive each by the chain rule, entry by entry first, then in the form of the whole layer."),
    ]
    if teacher:
        check = sheet.check
        out += [
            Heading(3, "Check"),
            Paragraph(
                f"The worked example's gradients ({check.entries} numbers) agree with central finite "
                f"differences of the loss to a relative error of {check.fd_error:.1e} at most (at "
                f"{check.fd_where}) and with symbackprop's compiled gradients to {check.key_error:.1e}; "
                "each answer below was judged correct by symbackprop verify. "
                f"This is variant {sheet.seed}: the same seed gives the same numbers."
            ),
        ]
    out += exercise_blocks(sheet)
    return tuple(out)


class SheetWriter:
    """Writes a sheet block by block, each kind of block by its ``_write_<Block>`` method.

    A format is a subclass (LaTeX, HTML, Markdown); :meth:`parts` returns the
    written blocks in order, so the order and the words stay those of :func:`blocks`.
    """

    def __init__(self, sheet: Worksheet):
        from .layered import LayerSheet

        self.sheet = sheet
        self.blocks = layer_blocks(sheet) if isinstance(sheet, LayerSheet) else blocks(sheet)

    def parts(self) -> list[str]:
        out = []
        for index, block in enumerate(self.blocks):
            self.index = index  # where the block stands, for a writer that looks ahead
            out.append(getattr(self, f"_write_{type(block).__name__}")(block))
        return [part for part in out if part]
