"""``symbackprop check``: every gradient against finite differences; exit 1 on a failure."""

from __future__ import annotations

import sys

import click

from .common import SEED, TOLERANCE, batch_options, network_options, print_json
from .grad import read_params


@click.command("check")
@network_options
@batch_options(data=True, required=False)
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False),
    help="parameters as JSON; drawn from --seed when not given",
)
@click.option(
    "--seed", type=SEED, default=0, show_default=True, help="seed of the random parameters and batch"
)
@click.option(
    "--batch",
    "batch_size",
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
    type=TOLERANCE,
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
    batch,
    params_path,
    seed,
    batch_size,
    method,
    tolerance,
    max_entries,
    as_json,
):
    """Check every gradient against finite differences: exit 0 all pass, 1 any fails."""
    from ..gradient_check import gradcheck

    params = read_params(network, params_path, seed)
    X, Y = batch if batch is not None else (None, None)
    report = gradcheck(
        network,
        params,
        X,
        Y,
        method=method,
        seed=seed,
        batch=batch_size,
        tolerance=tolerance,
        max_entries=max_entries,
    )
    if as_json:
        print_json(report.to_dict())
    else:
        click.echo(report.table())
    if not report.passed:
        sys.exit(1)
