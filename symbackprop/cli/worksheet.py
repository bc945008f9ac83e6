"""``symbackprop worksheet``: write a derivation worksheet (PDF, HTML, LaTeX or Markdown)."""

from __future__ import annotations

import click

from .common import LEARNING_RATE, SEED, batch_options, network_options


@click.command("worksheet")
@network_options
@batch_options(data=False, pair=False)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False),
    help="the file to write; its extension (.pdf, .html, .tex, .md) picks the format",
)
@click.option("--no-solutions", is_flag=True, help="leave out the solution key (a student's copy)")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="picks the exercises and the example's numbers")
@click.option("--params", "params_path", type=click.Path(dir_okay=False),
              help="the example's parameters (JSON), instead of drawing them")
@click.option("--lr", type=LEARNING_RATE, help="learning rate of an MLP sheet's update step  [default: 0.5]")
@click.option("--digits", type=click.IntRange(2, 15),
              help="significant digits of an MLP sheet's numbers  [default: 6]")
@click.option("--force", is_flag=True, help="replace the output file if it exists")
def command(network, sample, output, no_solutions, seed, params_path, lr, digits, force):
    """Write a worksheet: exercises, a worked example and (unless --no-solutions) the key."""
    from ..worksheets import worksheet

    path = worksheet(
        network,
        output,
        solutions=not no_solutions,
        seed=seed,
        params=params_path,
        x=sample[0],
        y=sample[1],
        lr=lr,
        digits=digits,
        force=force,
    )
    click.echo(f"wrote {path}")
