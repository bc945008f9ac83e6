"""``symbackprop grad``: the loss and gradients for given parameters and data."""

from __future__ import annotations

import math

import click
import numpy as np

from ..errors import DataError
from .common import LEARNING_RATE, SEED, batch_options, network_options, print_json


def read_params(network, params_path, seed):
    from ..params import init_params, load_params

    if params_path is not None:
        return load_params(params_path, network)
    return init_params(network, seed=seed)


def require_finite(loss: float, arrays: dict[str, np.ndarray], what: str = "gradient") -> None:
    """Refuse to print a result holding NaN or infinity as if it were an answer."""
    if not math.isfinite(loss):
        found = f"the loss is {'NaN' if math.isnan(loss) else 'infinite'}"
    else:
        bad = next((name for name, value in arrays.items() if not np.isfinite(value).all()), None)
        if bad is None:
            return
        found = f"the {what} of {bad} holds NaN or infinite values"
    raise DataError(
        f"{found} at these parameters and inputs, so nothing is printed: the activations or "
        "the loss are not defined or overflow there (such as log(0), the square root of a "
        "negative number, or huge parameters)"
    )


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
@batch_options(data=True, required=True)
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False),
    help='parameters as JSON {"W1": [[...]], "b1": [...], ...}',
)
@click.option("--lr", type=LEARNING_RATE, help="also print the parameters after one step θ ← θ − lr ∂L/∂θ")
@click.option(
    "--seed",
    type=SEED,
    default=0,
    show_default=True,
    help="seed of the random parameters when --params is not given, and of the dropout masks",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def command(network, batch, params_path, lr, seed, as_json):
    """Compute the loss and every gradient with the compiled symbolic gradients."""
    from ..params import params_to_lists

    X, Y = batch
    params = read_params(network, params_path, seed)
    f = network.compile()
    with np.errstate(all="ignore"):  # a NaN is refused below, in words
        loss, grads = f(params, X, Y, seed=seed)
        require_finite(loss, grads)
        updated = None
        if lr is not None:
            _, updated = f.step(params, X, Y, lr, seed=seed)
            require_finite(loss, updated, "updated value")
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
