"""The worksheet as one self-contained HTML page: math by KaTeX, the network as inline SVG.

Math is written as the same LaTeX the PDF uses (the project's printer) inside
``<span class="sbp-math">`` elements; the inlined KaTeX renders them when the
page loads.  Nothing is fetched: script, stylesheet and fonts are in the file.
"""

from __future__ import annotations

from html import escape

from ..printing import latex
from . import page, qrcode
from .drawing import svg
from .katex import Assets, assets
from .model import Worksheet
from .page import SheetWriter, row_line, step_lines

STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; line-height: 1.5; margin: 0;
       background: #fafafa; color: #1b1b1b; }
main { max-width: 56rem; margin: 0 auto; padding: 2rem 2.5rem 4rem; background: white; }
h1.title { text-align: center; margin-bottom: 0.2rem; }
p.subtitle { text-align: center; font-size: 1.15rem; margin-top: 0; }
p.sheet-code { text-align: center; }
p.sheet-code svg { vertical-align: middle; margin-left: 1em; }
h2 { border-bottom: 1px solid #ddd; margin-top: 2.2rem; }
h4 { margin: 1rem 0 0.3rem; }
figure { text-align: center; margin: 1.5rem 0; }
figcaption { font-size: 0.9rem; color: #444; }
.sbp-display { margin: 0.5rem 0 0.5rem 1.5rem; overflow-x: auto; overflow-y: hidden; }
p.copy { text-align: center; font-style: italic; margin-top: 0; }
p.name-line { display: flex; gap: 0.5rem; align-items: baseline; }
p.name-line .line { flex: 1; border-bottom: 1px solid #333; min-width: 12rem; }
p.name-line .line.short { flex: 0 0 10rem; }
.sbp-boxed { border: 1px solid #333; padding: 0.2rem 1rem; margin: 1rem 0; }
.sbp-box { border: 1px solid #333; padding: 0.3rem 0.6rem; margin: 0.5rem 0 1rem; }
.sbp-blank-columns { display: flex; flex-wrap: wrap; gap: 1rem 3rem; }
table.sbp-blanks td { padding: 0.35rem 0.6rem 0.35rem 0; vertical-align: bottom; }
.sbp-blank { display: inline-block; width: 7rem; margin-right: 0.6rem; border-bottom: 1px solid #333; height: 1.4rem; }
.sbp-display .katex-display { margin: 0.3rem 0; text-align: left; }
.sbp-display .katex-display > .katex { text-align: left; }
table.notation td { padding: 0.25rem 0.8rem 0.25rem 0; vertical-align: top; }
table.notation td:first-child { white-space: nowrap; }
hr.newpage { margin: 3rem 0; border: 0; border-top: 2px dashed #bbb; }
/* Printed, type and math take the PDF's sizes, so lines broken for the PDF's measure fit A4 and Letter
   (a line too wide would make the browser shrink the whole page). */
@media print { body { background: white; font-size: 11pt; } main { padding: 0; } .katex { font-size: 1.1em; }
               .sbp-display { overflow: visible; } hr.newpage { break-after: page; border: 0; } }
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


def _aligned(lines: list[str], environment: str = "aligned") -> str:
    return _display(f"\\begin{{{environment}}}\n" + " \\\\\n".join(lines) + f"\n\\end{{{environment}}}")


def _answer(block: page.Answer) -> str:
    """Boxes sized in lines of handwriting; blanks for numbers, in columns that wrap on a narrow page."""
    out = []
    for room in block.rooms:
        if room.lines:
            label = _inline(latex(room.label) + " =") if room.label is not None else ""
            out.append(f'<div class="sbp-box" style="min-height: {room.lines * 1.9:.1f}rem">{label}</div>')
    blanks = [room for room in block.rooms if not room.lines]
    if blanks:
        columns = [[r for r in blanks if r.entries > 1], [r for r in blanks if r.entries <= 1]]
        html = []
        for column in columns:
            if not column:
                continue
            rows = "".join(
                f"<tr><td>{_inline(latex(room.label) + ' =')}</td><td>"
                + '<span class="sbp-blank"></span>' * room.entries + "</td></tr>"
                for room in column
            )
            html.append(f'<table class="sbp-blanks">{rows}</table>')
        out.append('<div class="sbp-blank-columns">' + "".join(html) + "</div>")
    return "\n".join(out)


class HtmlSheet(SheetWriter):
    def _write_Title(self, block: page.Title) -> str:
        copy = f'<p class="copy">{words(block.copy)}</p>' if block.copy else ""
        code = (f'<p class="sheet-code">Sheet code: <code>{escape(block.code)}</code> {qrcode.svg(block.code)}</p>'
                if block.code else "")
        return (f'<h1 class="title">{words(block.title)}</h1><p class="subtitle">{words(block.subtitle)}</p>'
                f"{copy}{code}")

    def _write_NameLine(self, block: page.NameLine) -> str:
        name = escape(block.student) if block.student else ""
        return f'<p class="name-line">Name: <span class="line">{name}</span> Date: <span class="line short"></span></p>'

    def _write_Heading(self, block: page.Heading) -> str:
        return f"<h{block.level + 1}>{words(block.text)}</h{block.level + 1}>"

    def _write_Paragraph(self, block: page.Paragraph) -> str:
        return f"<p>{words(block.text)}</p>"

    def _write_Equations(self, block: page.Equations) -> str:
        return _aligned([line for step in block.steps for line in step_lines(step)])

    def _write_EquationRows(self, block: page.EquationRows) -> str:
        return _aligned([row_line(row) for row in block.rows])

    def _write_Boxed(self, block: page.Boxed) -> str:
        return (
            f'<div class="sbp-boxed"><p><strong>{words(block.title)}</strong></p>'
            + _aligned([row_line(row) for row in block.rows]) + f"<p>{words(block.note)}</p></div>"
        )

    def _write_Picture(self, block: page.Picture) -> str:
        return f"<figure>{svg(block.layout)}<figcaption>{words(block.caption)}</figcaption></figure>"

    def _write_Table(self, block: page.Table) -> str:
        rows = "".join(f"<tr><td>{words(math)}</td><td>{words(text)}</td></tr>" for math, text in block.rows)
        return f'<table class="notation">{rows}</table>'

    _write_Answer = staticmethod(_answer)

    def _write_NewPage(self, block: page.NewPage) -> str:
        return '<hr class="newpage">'


def render(sheet: Worksheet, katex: Assets | None = None) -> str:
    """The HTML page of the worksheet."""
    katex = katex or assets()
    body = HtmlSheet(sheet).parts()
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
