"""Markdown with ``$$`` display math (GitHub, Jupyter, KaTeX and MathJax read it)."""

from __future__ import annotations

from typing import Any

from .latex import LatexWriter


class MarkdownWriter:
    """Renders derivation sections as Markdown: a heading, words, then ``$$aligned$$``."""

    _default_settings: dict[str, Any] = {"justify": True, "shapes": True, "level": 2}

    def __init__(self, **settings: Any):
        unknown = set(settings) - set(self._default_settings)
        if unknown:
            raise TypeError(f"unknown MarkdownWriter setting(s): {', '.join(sorted(unknown))}")
        self.settings = {**self._default_settings, **settings}
        self.latex = LatexWriter(justify=self.settings["justify"], shapes=self.settings["shapes"])

    def section(self, section: Any) -> str:
        parts = ["#" * self.settings["level"] + " " + section.title]
        if section.intro:
            parts.append(section.intro)
        lines = [line for step in section.steps for line in self.latex.step_lines(step)]
        if lines:
            parts.append("$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$")
        return "\n\n".join(parts)

    def document_body(self, derivation: Any, sections: Any) -> str:
        return "\n\n".join(self.section(s) for s in sections) + "\n"
