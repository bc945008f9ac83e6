"""``symbackprop export``: the loss and its symbolic gradient as a PyTorch or JAX module."""

from __future__ import annotations

import click

from .common import network_options


@click.command("export")
@network_options
@click.option("--to", "target", required=True, metavar="torch|jax",
              help="torch: a torch.autograd.Function and a torch.nn.Module; jax: a jax.custom_vjp function")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="the module to write (default: print it)")
@click.option("--force", is_flag=True, help="replace the output file if it exists")
def command(network, target, output, force):
    """Write the network's loss and symbolically derived gradient as a PyTorch or JAX module.

    The module is readable source with a docstring; writing it needs neither
    library, importing it does.  `python MODULE` checks its gradient against
    finite differences.  Exit status 2 for bad input.
    """
    from ..exports import export
    from ..io import check_output_path

    if output is not None:
        check_output_path(output, force)  # refused before the work, not after it
    exported = export(network, target)
    if output is None:
        click.echo(exported.source, nl=False)
        return
    path = exported.write(output, force=force)
    click.echo(f"wrote the {target} module of {network.describe()} to {path}")
