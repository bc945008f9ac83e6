"""``symbackprop check``: every gradient against finite differences; exit 1 on a failure."""

from __future__ import annotations

import sys

import click

from .common import network_options, print_json
from .grad import read_batch, read_params


@click.command("check")
@network_options
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False),
    help="parameters as JSON; drawn from --seed when not given",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="seed of the random parameters and batch"
)
@click.option("--x", "x_text", help="one input sample instead of a random batch")
@click.option("--y", "y_text", help="its target")
@click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False),
    help="a batch from CSV or .npz instead of a random batch",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="size of the random batch",
)
@click.option(
    "--method",
    type=click.Choice(["central", "complex"]),
    default="central",
    show_default=True,
    help="central differences, or complex-step differentiation",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0, min_open=True),
    default=1e-4,
    show_default=True,
    help="largest relative error that passes",
)
@click.option(
    "--max-entries",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="check at most this many (randomly chosen) entries per parameter",
)
@click.option("--json", "as_json", is_flag=True, help="print the report as one JSON object")
def command(
    network,
    params_path,
    seed,
    x_text,
    y_text,
    data_path,
    batch,
    method,
    tolerance,
    max_entries,
    as_json,
):
    """Check every gradient against finite differences: exit 0 all pass, 1 any fails."""
    from ..gradient_check import gradcheck

    params = read_params(network, params_path, seed)
    given = read_batch(network, x_text, y_text, data_path, required=False)
    X, Y = given if given is not None else (None, None)
    report = gradcheck(
        network,
        params,
        X,
        Y,
        method=method,
        seed=seed,
        batch=batch,
        tolerance=tolerance,
        max_entries=max_entries,
    )
    if as_json:
        print_json(report.to_dict())
    else:
        click.echo(report.table())
    if not report.passed:
        sys.exit(1)
