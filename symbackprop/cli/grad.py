"""``symbackprop grad``: the loss and gradients for given parameters and data."""

from __future__ import annotations

import click
import numpy as np

from ..errors import DataError
from .common import LEARNING_RATE, network_options, parse_vector, print_json


def read_batch(network, x_text, y_text, data_path, required=True):
    """(X, Y) from --x/--y or --data; None when neither is given and not ``required``."""
    from ..data import check_batch, load_data

    if data_path is not None and (x_text is not None or y_text is not None):
        raise DataError("give either one sample as --x/--y or a batch as --data FILE, not both")
    if data_path is not None:
        return load_data(data_path, network)
    if x_text is None and y_text is None:
        if required:
            raise DataError(
                "give one sample as --x 0.05,0.10 --y 0.01,0.99 or a batch as --data FILE"
            )
        return None
    if x_text is None or y_text is None:
        missing = "--x" if x_text is None else "--y"
        raise DataError(f"{missing} is missing; --x and --y go together")
    n0, nL = network.sizes[0], network.sizes[-1]
    x = parse_vector(x_text, "--x")
    y = parse_vector(y_text, "--y")
    for option, values, width, what in (("--x", x, n0, "inputs"), ("--y", y, nL, "outputs")):
        if len(values) != width:
            raise DataError(
                f"{option} has {len(values)} number{'s' if len(values) != 1 else ''} "
                f"but this network has {width} {what}"
            )
    return check_batch(np.array([x]), np.array([y]), network)


def read_params(network, params_path, seed):
    from ..params import init_params, load_params

    if params_path is not None:
        return load_params(params_path, network)
    return init_params(network, seed=seed)


def format_array(value: np.ndarray) -> str:
    return np.array2string(
        np.asarray(value),
        separator=", ",
        floatmode="maxprec",
        precision=10,
        max_line_width=100,
        threshold=200,
    )


@click.command("grad")
@network_options
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False),
    help='parameters as JSON {"W1": [[...]], "b1": [...], ...}',
)
@click.option("--x", "x_text", help="one input sample, e.g. 0.05,0.10")
@click.option("--y", "y_text", help="its target, e.g. 0.01,0.99")
@click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False),
    help="a batch from CSV (columns x1.., y1..) or .npz (arrays X, Y)",
)
@click.option("--lr", type=LEARNING_RATE, help="also print the parameters after one step θ ← θ − lr ∂L/∂θ")
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="seed of the random parameters when --params is not given",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def command(network, params_path, x_text, y_text, data_path, lr, seed, as_json):
    """Compute the loss and every gradient with the compiled symbolic gradients."""
    from ..params import params_to_lists

    X, Y = read_batch(network, x_text, y_text, data_path)
    params = read_params(network, params_path, seed)
    f = network.compile()
    loss, grads = f(params, X, Y)
    updated = None
    if lr is not None:
        _, updated = f.step(params, X, Y, lr)
    if as_json:
        out = {"loss": loss, "grads": params_to_lists(grads)}
        if updated is not None:
            out["updated"] = params_to_lists(updated)
        print_json(out)
        return
    samples = "1 sample" if X.shape[0] == 1 else f"{X.shape[0]} samples (the loss is their mean)"
    source = params_path or f"drawn from seed {seed}"
    lines = [
        f"network: {network.describe()}",
        f"parameters: {source}",
        f"batch: {samples}",
        f"loss: {loss:.10g}",
    ]
    for name, value in grads.items():
        lines.append(f"dL/d{name} =\n{format_array(value)}")
    if updated is not None:
        lines.append(f"after one step with lr = {lr:g}:")
        for name, value in updated.items():
            lines.append(f"{name} =\n{format_array(value)}")
    click.echo("\n".join(lines))
