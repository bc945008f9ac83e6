"""The worksheet as a standalone LaTeX document (pdflatex; amsmath, TikZ).

Each step of a derivation is set as its own ``aligned`` block, measured by
TeX and shrunk to the line width only when it is wider, so a long
substituted expression stays on the page without shrinking the others.
"""

from __future__ import annotations

from ..printing import LatexWriter
from ..printing.latex import text_to_latex
from ..printing.preamble import preamble
from ..symbols import real_symbol
from . import qrcode
from .drawing import tikz
from .model import Worksheet
from .page import Equations, Heading, NewPage, Paragraph, Picture, Table, Title, blocks, step_lines

PREAMBLE = preamble(
    class_options="11pt,a4paper", packages=("graphicx", "xcolor", "tikz"), tikz_libraries=("positioning",)
) + r"""
\definecolor{sbpred}{HTML}{C0392B}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\newsavebox{\sbpbox}
% One derivation step: set it, and shrink it to the line only when it is wider.
\newcommand{\sbpstep}[1]{%
  \par\smallskip\sbox{\sbpbox}{$\displaystyle\begin{aligned}#1\end{aligned}$}%
  \ifdim\wd\sbpbox>\dimexpr\linewidth-1.5em\relax
    \hspace*{1.5em}\resizebox{\dimexpr\linewidth-1.5em\relax}{!}{\usebox{\sbpbox}}%
  \else
    \hspace*{1.5em}\usebox{\sbpbox}%
  \fi
  \par\smallskip}
"""

_HEADINGS = {1: r"\section*", 2: r"\subsection*", 3: r"\subsubsection*"}


def _label(name: str) -> str:
    from ..printing import latex

    return latex(real_symbol(name)) if name != "L" else "L"


def render(sheet: Worksheet) -> str:
    """The ``.tex`` source of the worksheet."""
    writer = LatexWriter(shapes=False)
    out = [PREAMBLE, r"\begin{document}"]
    for block in blocks(sheet):
        if isinstance(block, Title):
            out.append(
                r"\begin{center}{\LARGE " + text_to_latex(block.title) + r"}\\[0.6ex]"
                r"{\large " + text_to_latex(block.subtitle) + r"}"
                + (r"\\[1ex]Sheet code: \texttt{" + text_to_latex(block.code) + r"}\quad\raisebox{-0.45\height}{"
                   + qrcode.tikz(block.code) + "}" if block.code else "")
                + r"\end{center}"
            )
        elif isinstance(block, Heading):
            out.append(f"{_HEADINGS[block.level]}{{{text_to_latex(block.text)}}}")
        elif isinstance(block, Paragraph):
            out.append(text_to_latex(block.text) + "\n")
        elif isinstance(block, Equations):
            for step in block.steps:
                out.append(r"\sbpstep{" + " \\\\\n".join(step_lines(step)) + "}")
        elif isinstance(block, Picture):
            out.append(
                r"\begin{center}" + "\n" + tikz(block.layout, _label) + "\n"
                r"\par\small " + text_to_latex(block.caption) + "\n" + r"\end{center}"
            )
        elif isinstance(block, Table):
            rows = [f"${writer.expr(symbol)}$ & {text_to_latex(words)}" for symbol, words in block.rows]
            out.append(
                r"\begin{tabular}{@{}l p{0.82\linewidth}@{}}" + "\n"
                + " \\\\\n".join(rows) + "\n" + r"\end{tabular}"
            )
        elif isinstance(block, NewPage):
            out.append(r"\clearpage")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
