"""The worksheet as Markdown: ``$…$`` and ``$$…$$`` math, the network as inline SVG.

GitHub, Jupyter, VS Code and pandoc render the math; the SVG is inline HTML,
which Jupyter, VS Code and pandoc show (GitHub strips inline SVG, so there the
picture is missing while everything else reads).
"""

from __future__ import annotations

from ..printing import LatexWriter
from ..printing.markdown import markdown_words
from . import qrcode
from .drawing import svg
from .model import Worksheet
from .page import Equations, Heading, NewPage, Paragraph, Picture, Table, Title, blocks, step_lines


def render(sheet: Worksheet) -> str:
    writer = LatexWriter(shapes=False)
    out: list[str] = []
    for block in blocks(sheet):
        if isinstance(block, Title):
            out.append(f"# {markdown_words(block.title)}\n\n*{markdown_words(block.subtitle)}*")
            if block.code:
                out.append(f"Sheet code: `{block.code}`\n\n{qrcode.svg(block.code)}")
        elif isinstance(block, Heading):
            out.append("#" * (block.level + 1) + " " + markdown_words(block.text))
        elif isinstance(block, Paragraph):
            out.append(markdown_words(block.text))
        elif isinstance(block, Equations):
            for step in block.steps:
                lines = " \\\\\n".join(step_lines(step))
                out.append(f"$$\n\\begin{{aligned}}\n{lines}\n\\end{{aligned}}\n$$")
        elif isinstance(block, Picture):
            out.append(f'<p align="center">\n{svg(block.layout)}\n</p>\n\n*{markdown_words(block.caption)}*')
        elif isinstance(block, Table):
            rows = [f"| ${writer.expr(symbol)}$ | {markdown_words(text)} |" for symbol, text in block.rows]
            out.append("| symbol | meaning |\n|---|---|\n" + "\n".join(rows))
        elif isinstance(block, NewPage):
            out.append("---")
    return "\n\n".join(out) + "\n"
