"""Frozen network specifications, loaded from Python, dicts, JSON or TOML.

Validation collects every problem and raises once, so a user fixes them all.

>>> net = Network.from_spec({"layers": [2, 3, 1], "activation": "sigmoid"})
>>> net.sizes, net.loss.name, [layer.activation.name for layer in net.layers]
((2, 3, 1), 'half_sse', ['sigmoid', 'sigmoid'])
>>> net.parameter_shapes()
{'W1': (3, 2), 'b1': (3,), 'W2': (1, 3), 'b2': (1,)}
>>> Network.from_spec({"layers": [2, 0, 1], "activation": "sigmod"})
Traceback (most recent call last):
...
symbackprop.errors.SpecError: invalid network: layer sizes must be whole numbers of at least 1, got 0 for layer 1; unknown activation 'sigmod' (did you mean 'sigmoid'?); expected one of sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax, leaky_relu(slope) or an expression in one variable such as 'x*sigmoid(x)'
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from .activations import Activation, activation
from .errors import SpecError
from .expressions import label_problem
from .io import MEGABYTE, read_text
from .limits import MAX_LAYERS, network_size_problems
from .losses import Loss, loss

SPEC_KEYS = ("layers", "activation", "output_activation", "bias", "loss", "name")


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: z = W a_prev + b, a = activation(z)."""

    inputs: int
    units: int
    activation: Activation
    bias: bool = True


@dataclass(frozen=True)
class Network:
    """A feed-forward network: its layers 1..L and the per-sample loss."""

    layers: tuple[Dense, ...]
    loss: Loss
    name: str = ""

    def __post_init__(self) -> None:
        problems = _check_layers(self.layers, self.loss)
        if problems:
            raise SpecError(problems)

    # -- construction ---------------------------------------------------------

    @classmethod
    def from_layers(
        cls,
        sizes: Sequence[int],
        activation: Any = "sigmoid",
        output_activation: Any = None,
        loss: Any = "half_sse",
        bias: bool = True,
        name: str = "",
    ) -> Network:
        """Build from layer sizes ``(n0, …, nL)`` and activation names or lists."""
        return cls.from_spec(
            {
                "layers": list(sizes),
                "activation": activation,
                "output_activation": output_activation,
                "loss": loss,
                "bias": bias,
                "name": name,
            }
        )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | str | Path) -> Network:
        """Build from a dict, or from the path of a JSON or TOML file."""
        if isinstance(spec, str | Path):
            spec = load_spec_file(spec)
        if not isinstance(spec, Mapping):
            raise SpecError(f"a network spec must be a mapping, got {type(spec).__name__}")
        problems: list[str] = []
        for key in spec:
            if key not in SPEC_KEYS:
                problems.append(f"unknown key {key!r}; expected keys are {', '.join(SPEC_KEYS)}")

        sizes = _read_sizes(spec.get("layers"), problems)
        bias = spec.get("bias", True)
        if not isinstance(bias, bool):
            problems.append(f"'bias' must be true or false, got {bias!r:.60}")
            bias = True
        too_large = network_size_problems(sizes, bias)
        problems.extend(too_large)
        depth = max(len(sizes) - 1, 0) if not too_large else 0
        hidden = spec.get("activation", "sigmoid")
        output = spec.get("output_activation")
        if isinstance(hidden, list):
            if len(hidden) != depth and sizes and not too_large:
                problems.append(
                    f"'activation' lists {len(hidden)} activations for {depth} layers; "
                    "give one per layer 1..L or a single name"
                )
            names = list(hidden) + [hidden[-1] if hidden else "sigmoid"] * max(depth - len(hidden), 0)
            names = names[:depth]
        else:
            names = [hidden] * depth
        if output is not None and depth:
            names[-1] = output
        activations: list[Activation | None] = []
        known: dict[str, Activation | None] = {}  # a custom expression is parsed once, not per layer
        for entry in names:
            key = repr(entry)
            if key not in known:
                try:
                    known[key] = activation(entry)
                except SpecError as exc:
                    known[key] = None
                    message = "; ".join(exc.problems)
                    if message not in problems:
                        problems.append(message)
            activations.append(known[key])

        the_loss = None
        try:
            the_loss = loss("half_sse" if spec.get("loss") is None else spec["loss"])
        except SpecError as exc:
            problems.extend(exc.problems)

        name = spec.get("name")
        name = "" if name is None else name
        problem = label_problem(name, "the network's name") if name != "" else None
        if problem:
            problems.append(problem)
        if problems or the_loss is None or None in activations:
            if the_loss is not None and None not in activations and len(sizes) >= 2 and not too_large:
                problems.extend(_check_layers(_dense(sizes, activations, bias), the_loss))
            raise SpecError(problems)
        return cls(_dense(sizes, _distinct_custom_symbols(activations), bias), the_loss, str(name))

    # -- description ----------------------------------------------------------

    @cached_property  # read once per layer by the engine: keep it O(1) for deep networks
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes (n0, n1, …, nL)."""
        return (self.layers[0].inputs,) + tuple(layer.units for layer in self.layers)

    @property
    def depth(self) -> int:
        """L, the number of layers with weights."""
        return len(self.layers)

    @property
    def bias(self) -> bool:
        return self.layers[0].bias

    @property
    def output_activation(self) -> Activation:
        return self.layers[-1].activation

    def parameter_names(self) -> tuple[str, ...]:
        """('W1', 'b1', 'W2', …) in layer order; biases only when present."""
        names: list[str] = []
        for index, layer in enumerate(self.layers, start=1):
            names.append(f"W{index}")
            if layer.bias:
                names.append(f"b{index}")
        return tuple(names)

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of the parameters as NumPy arrays: W is (nₗ, nₗ₋₁), b is (nₗ,)."""
        shapes: dict[str, tuple[int, ...]] = {}
        for index, layer in enumerate(self.layers, start=1):
            shapes[f"W{index}"] = (layer.units, layer.inputs)
            if layer.bias:
                shapes[f"b{index}"] = (layer.units,)
        return shapes

    def parameter_count(self) -> int:
        return sum(_product(shape) for shape in self.parameter_shapes().values())

    def to_spec(self) -> dict[str, Any]:
        """The dict form, which ``from_spec`` reads back."""
        acts = [layer.activation.source or layer.activation.name for layer in self.layers]
        spec: dict[str, Any] = {"layers": list(self.sizes)}
        spec["activation"] = acts[0] if len(set(acts)) == 1 else acts
        spec["loss"] = self.loss.source or self.loss.name
        spec["bias"] = self.bias
        if self.name:
            spec["name"] = self.name
        return spec

    def describe(self) -> str:
        """One line such as ``2-3-1 sigmoid/sigmoid, half_sse, with bias``."""
        acts = "/".join(layer.activation.name for layer in self.layers)
        bias = "with bias" if self.bias else "no bias"
        return f"{'-'.join(map(str, self.sizes))} {acts}, {self.loss.name}, {bias}"


def _product(shape: tuple[int, ...]) -> int:
    out = 1
    for n in shape:
        out *= n
    return out


_CUSTOM_SYMBOLS = ("f", "g", "h")


def _distinct_custom_symbols(activations: Sequence[Activation]) -> list[Activation]:
    """Give different custom activations of one network different letters: f, g, h, …

    Every custom activation prints as f; with two of them a derivation would
    show f(z⁽¹⁾) and f(z⁽²⁾) for different functions.
    """
    customs: list[Activation] = []
    for act in activations:
        if act.is_custom and act.expr not in [c.expr for c in customs]:
            customs.append(act)
    if len(customs) < 2:
        return list(activations)
    letters = {}
    for index, act in enumerate(customs):
        letter = _CUSTOM_SYMBOLS[index] if index < len(_CUSTOM_SYMBOLS) else f"f_{{{index + 1}}}"
        text = letter if index < len(_CUSTOM_SYMBOLS) else f"f{index + 1}"
        letters[act.expr] = (letter, text)
    out = []
    for act in activations:
        if act.is_custom:
            letter, text = letters[act.expr]
            identity = letter + act.identity[len(act.latex_symbol) :]
            act = replace(act, latex_symbol=letter, text_symbol=text, identity=identity)
        out.append(act)
    return out


def _dense(sizes: Sequence[int], activations: Sequence[Activation], bias: bool) -> tuple[Dense, ...]:
    return tuple(
        Dense(sizes[i], sizes[i + 1], activations[i], bias) for i in range(len(sizes) - 1)
    )


def _read_sizes(raw: Any, problems: list[str]) -> list[int]:
    if raw is None:
        problems.append("'layers' is missing; expected a list of sizes such as [2, 3, 1]")
        return []
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list | tuple):
        problems.append(f"'layers' must be a list of sizes such as [2, 3, 1], got {raw!r}")
        return []
    sizes: list[int] = []
    for index, value in enumerate(raw):
        number = value
        if isinstance(value, str):
            try:
                number = int(value)
            except ValueError:
                number = value
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            shown = number if isinstance(number, int) and not isinstance(number, bool) else value
            problems.append(
                f"layer sizes must be whole numbers of at least 1, got {shown!r} for layer {index}"
            )
            number = 1
        sizes.append(number)
    if len(raw) < 2:
        problems.append(
            f"'layers' needs at least an input and an output size, got {list(raw)!r}"
        )
    return sizes


def _check_layers(layers: tuple[Dense, ...], the_loss: Loss) -> list[str]:
    problems: list[str] = []
    if not layers:
        return ["a network needs at least one layer with weights"]
    too_large = network_size_problems(
        (layers[0].inputs,) + tuple(layer.units for layer in layers[: MAX_LAYERS + 1]), layers[0].bias
    )
    if too_large:
        return too_large
    for index, layer in enumerate(layers, start=1):
        last = index == len(layers)
        if not layer.activation.elementwise and not last:
            problems.append(
                f"softmax is only allowed on the output layer, but layer {index} of "
                f"{len(layers)} uses it; use sigmoid, tanh or relu for hidden layers"
            )
        if index > 1 and layer.inputs != layers[index - 2].units:
            problems.append(
                f"layer {index} takes {layer.inputs} inputs but layer {index - 1} has "
                f"{layers[index - 2].units} units"
            )
        if layer.bias != layers[0].bias:
            problems.append("bias must be on for every layer or for none")
    output = layers[-1].activation
    if output.name == "softmax" and layers[-1].units < 2:
        problems.append("a softmax output needs at least 2 units, got 1")
    if the_loss.name == "cross_entropy" and output.name != "softmax":
        problems.append(
            f"cross_entropy needs a softmax output layer, got {output.name!r}; "
            "use --output-activation softmax, or binary_cross_entropy with a sigmoid output"
        )
    if the_loss.name == "binary_cross_entropy" and output.name not in ("sigmoid", "softmax") and not output.is_custom:
        problems.append(
            f"binary_cross_entropy needs outputs in (0, 1), but the output activation is "
            f"{output.name!r}; use a sigmoid output"
        )
    return problems


MAX_SPEC_BYTES = MEGABYTE


def load_spec_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or TOML network spec; errors name the file and the problem."""
    path = Path(path)
    text = read_text(path, "spec file", MAX_SPEC_BYTES, SpecError)
    kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
    try:
        spec = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"spec file {str(path)!r} is not valid {kind}: {exc}") from None
    except RecursionError:
        raise SpecError(f"spec file {str(path)!r} nests too deeply to be a network spec") from None
    except ValueError:  # an integer of thousands of digits
        raise SpecError(f"spec file {str(path)!r} holds a number too long to read") from None
    if not isinstance(spec, dict):
        raise SpecError(
            f"spec file {str(path)!r} must be a mapping, got {type(spec).__name__}; write a "
            f"{'JSON object' if kind == 'JSON' else 'TOML table'} of keys such as \"layers\""
        )
    return spec
