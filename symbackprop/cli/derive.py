"""``symbackprop derive``: print the step-by-step derivation."""

from __future__ import annotations

import click

from .common import network_options


@click.command("derive")
@network_options
@click.option("--wrt", help="one parameter (W2, b1) or one entry of it (W2[1,2], 1-based)")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "latex", "markdown"]), default="text",
    show_default=True, help="output format",
)
@click.option(
    "--level", type=click.Choice(["scalar", "matrix"]), default="scalar", show_default=True,
    help="entry by entry with the chain made explicit, or the four matrix equations",
)
@click.option("--body-only", is_flag=True, help="LaTeX: the sections without the document preamble")
def command(network, wrt, fmt, level, body_only):
    """Print the step-by-step derivation of dL/dθ (all parameters, or --wrt)."""
    derivation = network.derive()
    sections = derivation.sections(wrt, level)
    if fmt == "latex":
        from ..printing import LatexWriter

        writer = LatexWriter()
        out = writer.document_body(derivation, sections) if body_only else writer.document(derivation, sections)
    elif fmt == "markdown":
        from ..printing import MarkdownWriter

        out = MarkdownWriter().document_body(derivation, sections)
    else:
        from ..printing import TextWriter

        out = TextWriter().document_body(derivation, sections)
    click.echo(out, nl=False)
