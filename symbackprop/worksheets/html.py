"""The worksheet as one self-contained HTML page: math by KaTeX, the network as inline SVG.

Math is written as the same LaTeX the PDF uses (the project's printer) inside
``<span class="sbp-math">`` elements; the inlined KaTeX renders them when the
page loads.  Nothing is fetched: script, stylesheet and fonts are in the file.
"""

from __future__ import annotations

from html import escape

from ..printing import LatexWriter
from . import qrcode
from .drawing import svg
from .katex import Assets, assets
from .model import Worksheet
from .page import Equations, Heading, NewPage, Paragraph, Picture, Table, Title, blocks, step_lines

STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; line-height: 1.5; margin: 0;
       background: #fafafa; color: #1b1b1b; }
main { max-width: 54rem; margin: 0 auto; padding: 2rem 2.5rem 4rem; background: white; }
h1.title { text-align: center; margin-bottom: 0.2rem; }
p.subtitle { text-align: center; font-size: 1.15rem; margin-top: 0; }
p.sheet-code { text-align: center; }
p.sheet-code svg { vertical-align: middle; margin-left: 1em; }
h2 { border-bottom: 1px solid #ddd; margin-top: 2.2rem; }
h4 { margin: 1rem 0 0.3rem; }
figure { text-align: center; margin: 1.5rem 0; }
figcaption { font-size: 0.9rem; color: #444; }
.sbp-display { margin: 0.5rem 0 0.5rem 1.5rem; overflow-x: auto; overflow-y: hidden; }
.sbp-display .katex-display { margin: 0.3rem 0; text-align: left; }
.sbp-display .katex-display > .katex { text-align: left; }
table.notation td { padding: 0.25rem 0.8rem 0.25rem 0; vertical-align: top; }
hr.newpage { margin: 3rem 0; border: 0; border-top: 2px dashed #bbb; }
@media print { body { background: white; } main { padding: 0; }
               hr.newpage { break-after: page; border: 0; } }
"""

# Renders every math element once the page has loaded; a formula KaTeX cannot
# read shows as a red error element (tests look for those) rather than vanishing.
RENDER = """
document.querySelectorAll('.sbp-math').forEach(function (el) {
  katex.render(el.textContent, el, {
    displayMode: el.classList.contains('sbp-display'),
    throwOnError: false, strict: 'ignore', output: 'htmlAndMathml'
  });
  el.classList.add('sbp-rendered');
});
"""


def _inline(tex: str) -> str:
    return f'<span class="sbp-math">{escape(tex)}</span>'


def _display(tex: str) -> str:
    return f'<div class="sbp-math sbp-display">{escape(tex)}</div>'


def words(text: str) -> str:
    """Words with ``$…$`` math segments -> HTML (words escaped, math left for KaTeX)."""
    parts = text.split("$")
    return "".join(_inline(part) if index % 2 else escape(part) for index, part in enumerate(parts))


def render(sheet: Worksheet, katex: Assets | None = None) -> str:
    """The HTML page of the worksheet."""
    katex = katex or assets()
    writer = LatexWriter(shapes=False)
    body: list[str] = []
    for block in blocks(sheet):
        if isinstance(block, Title):
            body.append(f'<h1 class="title">{words(block.title)}</h1>')
            body.append(f'<p class="subtitle">{words(block.subtitle)}</p>')
            if block.code:
                body.append(f'<p class="sheet-code">Sheet code: <code>{escape(block.code)}</code> '
                            f'{qrcode.svg(block.code)}</p>')
        elif isinstance(block, Heading):
            level = block.level + 1
            body.append(f"<h{level}>{words(block.text)}</h{level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{words(block.text)}</p>")
        elif isinstance(block, Equations):
            for step in block.steps:
                tex = "\\begin{aligned}\n" + " \\\\\n".join(step_lines(step)) + "\n\\end{aligned}"
                body.append(_display(tex))
        elif isinstance(block, Picture):
            body.append(f"<figure>{svg(block.layout)}<figcaption>{words(block.caption)}</figcaption></figure>")
        elif isinstance(block, Table):
            rows = "".join(
                f"<tr><td>{_inline(writer.expr(symbol))}</td><td>{words(text)}</td></tr>"
                for symbol, text in block.rows
            )
            body.append(f'<table class="notation">{rows}</table>')
        elif isinstance(block, NewPage):
            body.append('<hr class="newpage">')
    title = escape(f"{sheet.title}: {sheet.subtitle}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="symbackprop, KaTeX {escape(katex.version)}">\n'
        f"<title>{title}</title>\n<style>\n{katex.stylesheet}\n{STYLE}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n<script>\n"
        + katex.script
        + "\n</script>\n<script>"
        + RENDER
        + "</script>\n</body>\n</html>\n"
    )
