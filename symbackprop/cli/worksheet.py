"""``symbackprop worksheet``: write a derivation worksheet (PDF, HTML, LaTeX or Markdown)."""

from __future__ import annotations

import click

from .common import LEARNING_RATE, network_options, parse_vector


@click.command("worksheet")
@network_options
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False),
    help="the file to write; its extension (.pdf, .html, .tex, .md) picks the format",
)
@click.option("--no-solutions", is_flag=True, help="leave out the solution key (a student's copy)")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="picks the exercises and the example's numbers")
@click.option("--params", "params_path", type=click.Path(dir_okay=False),
              help="the example's parameters (JSON), instead of drawing them")
@click.option("--x", "x_text", help="the example's input, e.g. 0.05,0.10")
@click.option("--y", "y_text", help="the example's target, e.g. 0.01,0.99")
@click.option("--lr", type=LEARNING_RATE, default=0.5, show_default=True, help="learning rate of the update step")
@click.option("--digits", type=click.IntRange(2, 15), default=6, show_default=True,
              help="significant digits of the example's numbers")
@click.option("--force", is_flag=True, help="replace the output file if it exists")
def command(network, output, no_solutions, seed, params_path, x_text, y_text, lr, digits, force):
    """Write a worksheet: exercises, a worked example and (unless --no-solutions) the key."""
    from ..worksheets import worksheet

    path = worksheet(
        network,
        output,
        solutions=not no_solutions,
        seed=seed,
        params=params_path,
        x=parse_vector(x_text, "--x") if x_text is not None else None,
        y=parse_vector(y_text, "--y") if y_text is not None else None,
        lr=lr,
        digits=digits,
        force=force,
    )
    click.echo(f"wrote {path}")
