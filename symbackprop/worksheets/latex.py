"""The worksheet as a standalone LaTeX document (pdflatex; amsmath, TikZ).

Equations are set flush left in ``align*`` at their natural size — nothing is
shrunk to fit: a long line is broken by the printer before it reaches the
margin.  Answer room is drawn with ``\\fbox`` and rules, which need no package.
"""

from __future__ import annotations

from ..printing import latex
from ..printing.breaking import latex_width
from ..printing.latex import text_to_latex
from ..printing.preamble import preamble
from ..symbols import real_symbol
from . import page, qrcode
from .drawing import tikz
from .exercises import Room
from .model import Worksheet
from .page import SheetWriter, row_line, step_lines

PREAMBLE = preamble(
    class_options="11pt,a4paper,fleqn",
    geometry="a4paper,margin=2cm,includefoot",
    packages=("graphicx", "xcolor", "tikz"),
    tikz_libraries=("positioning",),
) + r"""
\definecolor{sbpred}{HTML}{C0392B}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\setlength{\mathindent}{1.5em}
\allowdisplaybreaks
% Headings a little closer to their text than the article class sets them.
\makeatletter
\renewcommand\section{\@startsection{section}{1}{\z@}{-2.6ex plus -0.6ex minus -0.2ex}{1.2ex plus 0.2ex}{\normalfont\Large\bfseries}}
\renewcommand\subsection{\@startsection{subsection}{2}{\z@}{-2.2ex plus -0.5ex minus -0.2ex}{0.8ex plus 0.2ex}{\normalfont\large\bfseries}}
\makeatother
% A heading starts a new page unless #1 of the page is left below it.
\newcommand{\sbpneed}[1]{\par\vspace{0pt plus #1}\penalty-200\vspace{0pt plus -#1}}
\newcommand{\sbpblank}{\rule[-0.3ex]{2.4cm}{0.4pt}}
"""

_HEADINGS = {1: r"\section*", 2: r"\subsection*", 3: r"\paragraph*"}
BLANKS_PER_LINE = 4
LINE_HEIGHT_CM = 0.75  # one line of handwriting
BLANK_CM = 2.4  # one blank for a number (\\sbpblank)
BLANK_ROW_CM = 0.6  # a row of blanks
TEXT_WIDTH_CM = 17.0  # A4 less two 2 cm margins
EM_CM = 0.39  # an em of 11 pt type


def _label(name: str) -> str:
    return latex(real_symbol(name))


def _align(lines: list[str], environment: str = "align*") -> str:
    return f"\\begin{{{environment}}}\n" + " \\\\\n".join(lines) + f"\n\\end{{{environment}}}"


def _box(room: Room) -> str:
    label = f"${latex(room.label)} = $" if room.label is not None else ""
    height = f"{room.lines * LINE_HEIGHT_CM:.2f}cm"
    return (
        r"\par\noindent\fbox{\begin{minipage}[t][" + height + r"]{\dimexpr\linewidth-2\fboxsep-2\fboxrule}"
        + r"\vspace{0.5ex}" + label + r"\end{minipage}}\par"
    )


def _blanks(rooms: list[Room]) -> str:
    """A table of labelled blanks, one line per four numbers."""
    rows = []
    for room in rooms:
        groups = [r"\ ".join([r"\sbpblank"] * min(BLANKS_PER_LINE, room.entries - start))
                  for start in range(0, room.entries, BLANKS_PER_LINE)]
        rows.append(f"${latex(room.label)} = $ & " + r" \\ & ".join(groups) + r" \\[0.6ex]")
    return "\\begin{tabular}[t]{@{}l@{\\quad}l@{}}\n" + "\n".join(rows) + "\n\\end{tabular}"


def _blanks_width(rooms: list[Room]) -> float:
    """About how wide (cm) a table of blanks is: its widest label and its widest row of blanks."""
    label = max(latex_width(latex(room.label)) for room in rooms) * EM_CM + 1.0
    return label + max(min(room.entries, BLANKS_PER_LINE) for room in rooms) * (BLANK_CM + 0.2)


def _answer(block: page.Answer) -> str:
    """Boxes for formulas; blanks for numbers, vectors beside single numbers when both fit."""
    out = [_box(room) for room in block.rooms if room.lines]
    rooms = [room for room in block.rooms if not room.lines]
    vectors = [room for room in rooms if room.entries > 1]
    numbers = [room for room in rooms if room.entries <= 1]
    if vectors and numbers and _blanks_width(vectors) + _blanks_width(numbers) + 1.0 <= TEXT_WIDTH_CM:
        out.append(r"\par\medskip\noindent" + _blanks(vectors) + r"\hfill" + _blanks(numbers) + r"\par")
    elif rooms:
        out.append(r"\par\medskip\noindent" + _blanks(rooms) + r"\par")
    return "\n".join(out)


def _needed(following: tuple, level: int) -> float:
    """How much of a page a heading wants below it: its exercise's answer room, or a few lines."""
    room = 0.0
    for block in following:
        if isinstance(block, page.Heading) and block.level <= level:
            break
        if isinstance(block, page.Answer):  # the first exercise's room: a heading stays with it
            room += sum(r.lines * LINE_HEIGHT_CM if r.lines else 0.0 for r in block.rooms)
            blanks = [r for r in block.rooms if not r.lines]
            side_by_side = max(sum(r.entries > 1 for r in blanks), sum(r.entries <= 1 for r in blanks))
            room += side_by_side * BLANK_ROW_CM
            break
    return (2.0 if level == 2 else 3.0) + room


class LatexSheet(SheetWriter):
    def _write_Title(self, block: page.Title) -> str:
        return (
            r"\begin{center}{\LARGE " + text_to_latex(block.title) + r"}\\[0.6ex]"
            r"{\large " + text_to_latex(block.subtitle) + r"}"
            + (r"\\[0.6ex]{\itshape " + text_to_latex(block.copy) + "}" if block.copy else "")
            + (r"\\[1ex]Sheet code: \texttt{" + text_to_latex(block.code) + r"}\quad\raisebox{-0.45\height}{"
               + qrcode.tikz(block.code) + "}" if block.code else "")
            + r"\end{center}"
        )

    def _write_NameLine(self, block: page.NameLine) -> str:
        name = text_to_latex(block.student) if block.student else r"\rule{7cm}{0.4pt}"
        return r"\noindent Name: " + name + r"\hfill Date: \rule{4cm}{0.4pt}\par\medskip"

    def _write_Heading(self, block: page.Heading) -> str:
        heading = f"{_HEADINGS[block.level]}{{{text_to_latex(block.text)}}}"
        # A section, and on a student's copy an exercise, starts a page rather than leave its room behind.
        if block.level == 1 or (block.level == 2 and not self.sheet.has_solutions):
            return rf"\sbpneed{{{_needed(self.blocks[self.index + 1:], block.level):.1f}cm}}" + "\n" + heading
        return heading

    def _write_Paragraph(self, block: page.Paragraph) -> str:
        return text_to_latex(block.text) + "\n"

    def _write_Equations(self, block: page.Equations) -> str:
        return _align([line for step in block.steps for line in step_lines(step)])

    def _write_EquationRows(self, block: page.EquationRows) -> str:
        return _align([row_line(row) for row in block.rows])

    def _write_Boxed(self, block: page.Boxed) -> str:
        return (
            r"\begin{center}\fbox{\begin{minipage}{0.95\linewidth}\setlength{\parskip}{0.6ex}"
            + r"\textbf{" + text_to_latex(block.title) + "}\n"
            + _align([row_line(row) for row in block.rows])
            + "\n" + text_to_latex(block.note) + r"\end{minipage}}\end{center}"
        )

    def _write_Picture(self, block: page.Picture) -> str:
        return (
            r"\begin{center}" + "\n" + tikz(block.layout, _label) + "\n"
            r"\par\small " + text_to_latex(block.caption) + "\n" + r"\end{center}"
        )

    def _write_Table(self, block: page.Table) -> str:
        rows = [f"{text_to_latex(math)} & {text_to_latex(words)}" for math, words in block.rows]
        return r"\begin{tabular}{@{}l@{\quad}p{0.7\linewidth}@{}}" + "\n" + " \\\\[0.2ex]\n".join(rows) + "\n\\end{tabular}"

    _write_Answer = staticmethod(_answer)

    def _write_NewPage(self, block: page.NewPage) -> str:
        return r"\clearpage"


def render(sheet: Worksheet) -> str:
    """The ``.tex`` source of the worksheet."""
    return "\n".join([PREAMBLE, r"\begin{document}", *LatexSheet(sheet).parts(), r"\end{document}"]) + "\n"
