"""Printers of derivations, separate from the math: LaTeX, Markdown and plain text.

Each writer walks ``Derivation.sections(...)`` (plain data) and renders it; the
expression printers subclass SymPy's and speak the project's notation.
"""

from .latex import LatexPrinter, LatexWriter, latex
from .markdown import MarkdownWriter
from .text import TextPrinter, TextWriter, text

__all__ = ["LatexPrinter", "LatexWriter", "MarkdownWriter", "TextPrinter", "TextWriter", "latex", "text"]
