"""Options and helpers shared by the subcommands."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import DataError, SpecError
from ..spec import Network


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
    spec.setdefault("activation", "sigmoid")
    return Network.from_spec(spec)


def parse_vector(text: str, option: str) -> list[float]:
    """Read ``0.05,0.10`` into floats; a bad entry is a DataError naming the option."""
    values = []
    for part in text.split(","):
        try:
            values.append(float(part))
        except ValueError:
            raise DataError(f"{option} takes numbers separated by commas, got {part.strip()!r} in {text!r}") from None
    return values


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=None, allow_nan=True))


def write_atomic(path: str | Path, data: str | bytes, force: bool = False) -> Path:
    """Write a file atomically; refuse to replace an existing one unless ``force``."""
    from ..io import write_atomic as _write

    return _write(path, data, force=force)


class LearningRate(click.ParamType):
    """A learning rate: a finite number above 0 (click's FloatRange lets NaN through)."""

    name = "rate"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        import math

        try:
            rate = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(rate) or rate <= 0:
            self.fail(f"{value!r} must be a finite number above 0", param, ctx)
        return rate


LEARNING_RATE = LearningRate()
