"""Options and helpers shared by the subcommands."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any

import click

from .. import options
from ..errors import DataError, SpecError
from ..network import Network


def network_options(func: Callable) -> Callable:
    """Add ``--spec FILE`` or the inline ``--layers … --activation …`` options.

    The decorated command receives one ``network`` argument (a Network).
    """

    @click.option("--spec", "spec_path", type=click.Path(dir_okay=False), help="network spec file (JSON or TOML)")
    @click.option("--layers", help="layer sizes n0,n1,…,nL, e.g. 2,3,1")
    @click.option("--activation", help="hidden activation (sigmoid, tanh, relu, leaky_relu, softplus, identity, or an expression)")
    @click.option("--output-activation", help="output activation (defaults to --activation)")
    @click.option("--loss", help="half_sse, sse, mse, cross_entropy, binary_cross_entropy, or an expression in a and y")
    @click.option("--no-bias", is_flag=True, help="layers without biases")
    @functools.wraps(func)
    def wrapper(*args: Any, spec_path, layers, activation, output_activation, loss, no_bias, **kwargs: Any):
        kwargs["network"] = load_network(spec_path, layers, activation, output_activation, loss, no_bias)
        return func(*args, **kwargs)

    return wrapper


def load_network(
    spec_path: str | None,
    layers: str | None,
    activation: str | None,
    output_activation: str | None,
    loss: str | None,
    no_bias: bool,
) -> Network:
    """Build the Network from --spec or the inline options; inline options override the file."""
    if spec_path is None and layers is None:
        raise SpecError("give the network as --spec FILE or inline as --layers 2,3,1 --activation sigmoid")
    spec: dict[str, Any] = {}
    if spec_path is not None:
        from ..spec import load_spec_file

        spec = dict(load_spec_file(spec_path))
    if layers is not None:
        spec["layers"] = layers
    if activation is not None:
        spec["activation"] = activation
    if output_activation is not None:
        spec["output_activation"] = output_activation
    if loss is not None:
        spec["loss"] = loss
    if no_bias:
        spec["bias"] = False
    from ..spec import is_list_form

    if not is_list_form(spec):
        spec.setdefault("activation", "sigmoid")
    return Network.from_spec(spec)


def parse_vector(text: str, option: str) -> list[float]:
    """Read ``0.05,0.10`` into floats; a bad entry is a DataError naming the option."""
    values = []
    for part in text.split(","):
        try:
            values.append(float(part))
        except ValueError:
            raise DataError(
                f"{option} takes numbers separated by commas, got {part.strip()!r:.40} in {text!r:.80}"
            ) from None
    return values


def batch_options(data: bool = True, required: bool = True, pair: bool = True) -> Callable:
    """Add ``--x``/``--y`` (one sample) and, with ``data``, ``--data FILE`` (a batch).

    Goes below :func:`network_options`.  With ``pair`` the command receives
    ``batch``: (X, Y) checked by :func:`symbackprop.batch.check_batch`, or None
    when neither is given and not ``required``.  Without ``pair`` (a worked
    example, where either may be drawn) it receives ``sample``: the parsed
    --x and --y lists, each None when not given.
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, x_text, y_text, data_path=None, **kwargs: Any):
            x = parse_vector(x_text, "--x") if x_text is not None else None
            y = parse_vector(y_text, "--y") if y_text is not None else None
            if pair:
                kwargs["batch"] = _read_batch(kwargs["network"], x, y, data_path, required)
            else:
                kwargs["sample"] = (x, y)
            return func(*args, **kwargs)

        if data:
            wrapper = click.option(
                "--data", "data_path", type=click.Path(dir_okay=False),
                help="a batch from CSV (columns x1.., y1..) or .npz (arrays X, Y)",
            )(wrapper)
        wrapper = click.option("--y", "y_text", help="its target, e.g. 0.01,0.99")(wrapper)
        return click.option("--x", "x_text", help="one input sample, e.g. 0.05,0.10")(wrapper)

    return decorate


def _read_batch(network: Network, x, y, data_path, required: bool):
    from ..batch import check_batch
    from ..data import load_data

    if data_path is not None and (x is not None or y is not None):
        raise DataError("give either one sample as --x/--y or a batch as --data FILE, not both")
    if data_path is not None:
        return load_data(data_path, network)
    if x is None and y is None:
        if required:
            raise DataError("give one sample as --x 0.05,0.10 --y 0.01,0.99 or a batch as --data FILE")
        return None
    if x is None or y is None:
        raise DataError(f"{'--x' if x is None else '--y'} is missing; --x and --y go together")
    n0, nL = network.sizes[0], network.sizes[-1]
    for option, values, width, what in (("--x", x, n0, "inputs"), ("--y", y, nL, "outputs")):
        if len(values) != width:
            raise DataError(
                f"{option} has {len(values)} number{'s' if len(values) != 1 else ''} "
                f"but this network has {width} {what}"
            )
    return check_batch([x], [y], network)


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinity as null: JSON has no such numbers.

    >>> json_safe({"loss": float("nan"), "grads": [1.0, float("inf")]})
    {'loss': None, 'grads': [1.0, None]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(json_safe(value), indent=None, allow_nan=False))


class Checked(click.ParamType):
    """A parameter type that reads text with ``parse`` and checks it with one of
    :mod:`symbackprop.options`; a refusal is that check's own sentence."""

    def __init__(self, name: str, parse: Callable[[str], Any], check: Callable[[Any], Any]):
        self.name, self.parse, self.check = name, parse, check

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            try:
                value = self.parse(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r:.40} is not a {self.name}", param, ctx)
        try:
            return self.check(value)
        except DataError as exc:
            self.fail(str(exc), param, ctx)


LEARNING_RATE = Checked("number", float, options.learning_rate)
TOLERANCE = Checked("number", float, options.tolerance)
SEED = Checked("whole number", int, options.seed)
FRACTION = Checked("number", float, lambda value: options.fraction(value, "the held-out fraction"))
