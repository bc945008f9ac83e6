"""The worksheet as Markdown: ``$…$`` and ``$$…$$`` math, the network as inline SVG.

GitHub, Jupyter, VS Code and pandoc render the math; the SVG is inline HTML,
which Jupyter, VS Code and pandoc show (GitHub strips inline SVG, so there the
picture is missing while everything else reads).  Room to answer is ruled
lines of underscores, which read as lines both rendered and as text.
"""

from __future__ import annotations

from ..printing import latex
from ..printing.markdown import markdown_words
from . import page, qrcode
from .drawing import svg
from .exercises import Room
from .model import Worksheet
from .page import SheetWriter, row_line, step_lines

RULE = r"\_" * 40  # one ruled line of room
BLANK = r"\_" * 10  # one number's blank


def _display(lines: list[str], environment: str = "aligned") -> str:
    body = " \\\\\n".join(lines)
    return f"$$\n\\begin{{{environment}}}\n{body}\n\\end{{{environment}}}\n$$"


def _room(room: Room) -> str:
    label = f"${latex(room.label)} =$ " if room.label is not None else ""
    if room.lines:
        return "\n>\n".join([f"> {label}{RULE}", *([f"> {RULE}"] * (room.lines - 1))])
    return f"{label}{', '.join([BLANK] * room.entries)}"


class MarkdownSheet(SheetWriter):
    def _write_Title(self, block: page.Title) -> str:
        copy = f"\n\n*{markdown_words(block.copy)}*" if block.copy else ""
        code = f"\n\nSheet code: `{block.code}`\n\n{qrcode.svg(block.code)}" if block.code else ""
        return f"# {markdown_words(block.title)}\n\n*{markdown_words(block.subtitle)}*{copy}{code}"

    def _write_NameLine(self, block: page.NameLine) -> str:
        return f"Name: {markdown_words(block.student) if block.student else RULE}  Date: {BLANK}"

    def _write_Heading(self, block: page.Heading) -> str:
        return "#" * (block.level + 1) + " " + markdown_words(block.text)

    def _write_Paragraph(self, block: page.Paragraph) -> str:
        return markdown_words(block.text)

    def _write_Equations(self, block: page.Equations) -> str:
        return _display([line for step in block.steps for line in step_lines(step)])

    def _write_EquationRows(self, block: page.EquationRows) -> str:
        return _display([row_line(row) for row in block.rows])

    def _write_Boxed(self, block: page.Boxed) -> str:
        rows = _display([row_line(row) for row in block.rows])
        return f"**{markdown_words(block.title)}**\n\n{rows}\n\n{markdown_words(block.note)}"

    def _write_Picture(self, block: page.Picture) -> str:
        return f'<p align="center">\n{svg(block.layout)}\n</p>\n\n*{markdown_words(block.caption)}*'

    def _write_Table(self, block: page.Table) -> str:
        rows = [f"| {markdown_words(math)} | {markdown_words(text)} |" for math, text in block.rows]
        return "| symbol | meaning |\n|---|---|\n" + "\n".join(rows)

    def _write_Answer(self, block: page.Answer) -> str:
        rooms = [_room(room) for room in block.rooms]
        return "\n\n".join(rooms) if any(r.lines for r in block.rooms) else "  \n".join(rooms)

    def _write_NewPage(self, block: page.NewPage) -> str:
        return "---"


def render(sheet: Worksheet) -> str:
    return "\n\n".join(MarkdownSheet(sheet).parts()) + "\n"
