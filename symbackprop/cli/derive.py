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
@click.option("--body-only", is_flag=True,
              help="LaTeX: the sections alone, for a document that loads amsmath and amssymb")
def command(network, wrt, fmt, level, body_only):
    """Print the step-by-step derivation of dL/dθ (all parameters, or --wrt)."""
    derivation = network.derive()
    if fmt == "latex":
        out = derivation.latex(wrt, level, standalone=not body_only)
    elif fmt == "markdown":
        out = derivation.markdown(wrt, level)
    else:
        out = derivation.text(wrt, level)
    click.echo(out, nl=False)
