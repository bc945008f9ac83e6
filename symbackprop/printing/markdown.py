"""Markdown with ``$$`` display math (GitHub, Jupyter, KaTeX and MathJax read it)."""

from __future__ import annotations

from typing import Any

from ..options import unknown_settings
from .latex import LatexWriter

# Characters that Markdown (or the HTML it may hold) would read as markup.
_MARKUP = {"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "#": "\\#",
           "|": "\\|", "~": "\\~", "<": "&lt;", ">": "&gt;", "&": "&amp;"}
_MARKUP_TABLE = str.maketrans(_MARKUP)


def markdown_words(text: str) -> str:
    """Words with ``$…$`` math segments -> Markdown: words escaped, math kept.

    Names a person chose (a custom activation's expression) reach documents
    through these words, so nothing in them may become markup or raw HTML.

    >>> print(markdown_words("activation x*sigmoid(x), <b>, $a_1$ and a_1"))
    activation x\\*sigmoid(x), &lt;b&gt;, $a_1$ and a\\_1
    """
    parts = text.split("$")
    return "".join(
        f"${part}$" if index % 2 else part.translate(_MARKUP_TABLE) for index, part in enumerate(parts)
    )


class MarkdownWriter:
    """Renders derivation sections as Markdown: a heading, words, then ``$$aligned$$``."""

    _default_settings: dict[str, Any] = {"justify": True, "shapes": True, "level": 2}

    def __init__(self, **settings: Any):
        unknown_settings(settings, self._default_settings, "MarkdownWriter")
        self.settings = {**self._default_settings, **settings}
        self.latex = LatexWriter(justify=self.settings["justify"], shapes=self.settings["shapes"])

    def section(self, section: Any) -> str:
        parts = ["#" * self.settings["level"] + " " + markdown_words(section.title)]
        if section.intro:
            parts.append(markdown_words(section.intro))
        lines = [line for step in section.steps for line in self.latex.step_lines(step)]
        if lines:
            parts.append("$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$")
        return "\n\n".join(parts)

    def document_body(self, derivation: Any, sections: Any) -> str:
        return "\n\n".join(self.section(s) for s in sections) + "\n"
