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

The list form names each layer (see DESIGN.md, "Layers beyond the MLP"):

>>> net = Network.from_spec({"input": [1, 6, 6], "loss": "cross_entropy", "l2": 0.01,
...     "layers": [{"type": "conv2d", "channels": 2, "kernel": 3, "activation": "relu"},
...                {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
...                {"type": "dense", "units": 3, "activation": "softmax"}]})
>>> net.parameter_shapes()
{'W1': (2, 1, 3, 3), 'b1': (2,), 'W4': (3, 8), 'b4': (3,)}
>>> print(net.describe())
1×6×6 → conv2d(2, 3×3) relu → maxpool2d(2) → flatten → dense(3) softmax, cross_entropy, l2 0.01
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from .activations import CUSTOM, Activation, activation
from .errors import SpecError
from .expressions import label_problem, shown
from .io import MEGABYTE, DuplicateKey, read_text, unique_keys
from .layers import KINDS, Layer, count, shape_text
from .layers.base import VERIFY, WORKSHEET, Reader
from .layers.dense import Dense
from .limits import MAX_LAYERS, MAX_PARAMETERS, network_size_problems
from .losses import PROBABILITY, UNIT_INTERVAL, Loss, loss

SPEC_KEYS = ("layers", "activation", "output_activation", "bias", "loss", "name", "l2")
LIST_KEYS = ("input", "layers", "loss", "l2", "name")

__all__ = ["Dense", "Network", "load_spec_file"]


@dataclass(frozen=True)
class Network:
    """A feed-forward network: its layers 1..L, the per-sample loss and the L2 strength.

    In the MLP form every layer is :class:`Dense`; the list form may hold any
    kind of :mod:`symbackprop.layers`.
    """

    layers: tuple[Layer, ...]
    loss: Loss
    name: str = ""
    l2: float = 0.0

    def __post_init__(self) -> None:
        problems = _check_layers(self.layers, self.loss) + _check_l2(self.l2)
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
        if is_list_form(spec):
            return cls._from_list_form(spec)
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
        l2 = spec.get("l2", 0.0)
        problems.extend(_check_l2(l2))
        if problems or the_loss is None or None in activations:
            if the_loss is not None and None not in activations and len(sizes) >= 2 and not too_large:
                problems.extend(_check_layers(_dense(sizes, activations, bias), the_loss))
            raise SpecError(problems)
        return cls(_dense(sizes, _distinct_custom_symbols(activations), bias), the_loss, str(name), float(l2))

    @classmethod
    def _from_list_form(cls, spec: Mapping[str, Any]) -> Network:
        """The list form: ``input``, ``layers`` as dicts with a ``type``, ``loss``, ``l2``."""
        problems: list[str] = []
        for key in spec:
            if key not in LIST_KEYS:
                hint = " (in the list form it belongs to each layer)" if key in SPEC_KEYS else ""
                problems.append(f"unknown key {key!r}{hint}; expected keys are {', '.join(LIST_KEYS)}")
        shape = _read_input(spec.get("input"), problems)
        raw_layers = spec.get("layers")
        layers: list[Layer | None] = []
        if not isinstance(raw_layers, list) or not raw_layers:
            problems.append(
                f"'layers' must be a list of layers such as {{\"type\": \"dense\", \"units\": 3}}, "
                f"got {raw_layers!r}"
            )
            raw_layers = []
        for position, raw in enumerate(raw_layers, start=1):
            layer = _read_layer(raw, position, shape, problems)
            layers.append(layer)
            shape = layer.out_shape if layer is not None else None
        the_loss = None
        try:
            the_loss = loss(spec.get("loss", "half_sse") or "half_sse")
        except SpecError as exc:
            problems.extend(exc.problems)
        l2 = spec.get("l2", 0.0)
        problems.extend(_check_l2(l2))
        complete = [layer for layer in layers if layer is not None]
        if the_loss is not None and complete and len(complete) == len(layers):
            problems.extend(_check_layers(tuple(complete), the_loss))
        if problems or the_loss is None:
            raise SpecError(problems)
        return cls(_with_distinct_customs(complete), the_loss, str(spec.get("name") or ""), float(l2))

    # -- description ----------------------------------------------------------

    @cached_property  # read once per layer by the engine: keep it O(1) for deep networks
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes (n0, n1, …, nL): the number of entries of the input and of each layer's output."""
        return (count(self.input_shape),) + tuple(count(layer.out_shape) for layer in self.layers)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one sample: (n0,) for a vector, (C, H, W) for an image."""
        return self.layers[0].in_shape

    @property
    def output_size(self) -> int:
        """n_L, the number of outputs (the output is a vector)."""
        return count(self.layers[-1].out_shape)

    @cached_property
    def is_mlp(self) -> bool:
        """True when every layer is dense (the MLP form; a bias in every layer or in none)."""
        return all(isinstance(layer, Dense) for layer in self.layers)

    @cached_property  # read on every call of a compiled function
    def stochastic(self) -> bool:
        """True when a layer draws random numbers (dropout): its compiled functions take a seed."""
        return any(layer.stochastic for layer in self.layers)

    def unsupported(self, what: str) -> str | None:
        """One sentence saying that ``what`` (a command) does not handle this network yet, or None."""
        kinds = sorted({kind for layer in self.layers if (kind := layer.unhandled(what))})
        if self.l2 and what not in (VERIFY, WORKSHEET):
            kinds.append("l2")
        if not kinds:
            return None
        return f"{what} is not supported yet for {', '.join(kinds)}"

    @property
    def depth(self) -> int:
        """L, the number of layers."""
        return len(self.layers)

    @property
    def bias(self) -> bool:
        return self.layers[0].bias

    @property
    def output_activation(self) -> Activation:
        return self.layers[-1].activation

    def parameter_names(self) -> tuple[str, ...]:
        """('W1', 'b1', 'W2', …) in layer order; biases only when present."""
        return tuple(self.parameter_shapes())

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of the parameters as NumPy arrays: W is (nₗ, nₗ₋₁), b is (nₗ,); a conv kernel (C', C, k, k)."""
        return dict(self._parameter_shapes)

    @cached_property  # the network is frozen: worked out once, read on every call of a compiled function
    def _parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {}
        for index, layer in enumerate(self.layers, start=1):
            shapes.update(layer.parameter_shapes(index))
        return shapes

    def parameter_count(self) -> int:
        return sum(_product(shape) for shape in self.parameter_shapes().values())

    def to_spec(self) -> dict[str, Any]:
        """The dict form, which ``from_spec`` reads back (the MLP form where it fits)."""
        spec: dict[str, Any]
        if self.is_mlp:
            acts = [layer.activation.source or layer.activation.name for layer in self.layers]
            spec = {"layers": list(self.sizes)}
            spec["activation"] = acts[0] if len(set(acts)) == 1 else acts
            spec["loss"] = self.loss.source or self.loss.name
            spec["bias"] = self.bias
        else:
            shape = list(self.input_shape)
            spec = {"input": shape[0] if len(shape) == 1 else shape}
            spec["layers"] = [layer.to_spec() for layer in self.layers]
            spec["loss"] = self.loss.source or self.loss.name
        if self.l2:
            spec["l2"] = self.l2
        if self.name:
            spec["name"] = self.name
        return spec

    def describe(self) -> str:
        """One line such as ``2-3-1 sigmoid/sigmoid, half_sse, with bias``."""
        l2 = f", l2 {self.l2:g}" if self.l2 else ""
        if self.is_mlp:
            acts = "/".join(layer.activation.name for layer in self.layers)
            bias = "with bias" if self.bias else "no bias"
            return f"{'-'.join(map(str, self.sizes))} {acts}, {self.loss.name}, {bias}{l2}"
        return f"{self.layer_path()}, {self.loss.name}{l2}"

    def layer_path(self) -> str:
        """The input's shape and the layers in order, such as ``3 → dense(2) tanh → dense(1) sigmoid``."""
        return " → ".join([shape_text(self.input_shape)] + [layer.describe() for layer in self.layers])


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


def _with_distinct_customs(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    """The layers, their custom activations lettered apart (see :func:`_distinct_custom_symbols`)."""
    with_act = [i for i, layer in enumerate(layers) if layer.activation is not None]
    lettered = _distinct_custom_symbols([layers[i].activation for i in with_act])
    out = list(layers)
    for i, act in zip(with_act, lettered, strict=True):
        if act is not layers[i].activation:
            out[i] = replace(layers[i], activation=act)
    return tuple(out)


def is_list_form(spec: Mapping[str, Any]) -> bool:
    """True for the list form: an ``input`` shape, or layers given as dicts."""
    raw = spec.get("layers")
    return "input" in spec or (isinstance(raw, list) and any(isinstance(item, Mapping) for item in raw))


def _read_input(raw: Any, problems: list[str]) -> tuple[int, ...] | None:
    expected = "expected n (a vector) or [C, H, W] (an image), whole numbers of at least 1"
    if raw is None:
        problems.append(f"'input' is missing; {expected}")
        return None
    values = [raw] if not isinstance(raw, list | tuple) else list(raw)
    if not 1 <= len(values) <= 3 or any(
        isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values
    ):
        problems.append(f"'input' must be the shape of one sample, got {raw!r}; {expected}")
        return None
    return tuple(values)


def _read_layer(raw: Any, position: int, in_shape: tuple[int, ...] | None, problems: list[str]) -> Layer | None:
    kinds = ", ".join(KINDS)
    if not isinstance(raw, Mapping):
        problems.append(f"layer {position} must be a mapping such as {{\"type\": \"dense\", \"units\": 3}}, got {raw!r}")
        return None
    kind = raw.get("type")
    if kind not in KINDS:
        shown = "is missing" if kind is None else f"{kind!r} is unknown"
        problems.append(f"layer {position}: 'type' {shown}; expected one of {kinds}")
        return None
    cls = KINDS[kind]
    reader = Reader(raw, f"layer {position} ({kind})", cls.keys, problems)
    return cls.read(raw, in_shape, reader)


def _check_l2(value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return [f"'l2' must be a number of at least 0 (the strength λ), got {value!r}"]
    return []


def _dense(sizes: Sequence[int], activations: Sequence[Activation], bias: bool) -> tuple[Dense, ...]:
    return tuple(
        Dense(sizes[i], sizes[i + 1], activations[i], bias) for i in range(len(sizes) - 1)
    )


_ABSURD_SIZE = 10**15


def _int(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def _read_sizes(raw: Any, problems: list[str]) -> list[int]:
    if raw is None:
        problems.append("'layers' is missing; expected a list of sizes such as [2, 3, 1]")
        return []
    if isinstance(raw, str):
        text, raw = raw, [part.strip() for part in raw.split(",")]
        if raw == [""]:
            raw = []
        elif "" in raw:  # 2,,1 is a typo, not 2,1
            problems.append(
                f"'layers' has an empty entry in {shown(text)}; give sizes separated by commas such as 2,3,1"
            )
            return []
    if not isinstance(raw, list | tuple):
        problems.append(f"'layers' must be a list of sizes such as [2, 3, 1], got {raw!r:.60}")
        return []
    if len(raw) - 1 > MAX_LAYERS:
        problems.append(f"a network may have at most {MAX_LAYERS:,} layers, got {len(raw) - 1:,}")
        return []
    sizes: list[int] = []
    for index, value in enumerate(raw):
        number = value
        if isinstance(value, str):
            digits = value.strip().lstrip("+")
            # int() refuses thousands of digits; such a size is only too large, not unreadable
            number = 10 ** min(len(digits), 16) if len(digits) > 15 and digits.isdigit() else _int(value)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            size = shown(number) if isinstance(number, str) else f"{number!r:.40}"
            problems.append(f"layer sizes must be whole numbers of at least 1, got {size} for layer {index}")
            number = 1
        elif number > _ABSURD_SIZE:  # refused here, before a number too long to print is printed
            magnitude = len(digits) - 1 if isinstance(value, str) else int(number.bit_length() * 0.30103)
            problems.append(
                f"layer {index} has about 10^{magnitude} units, more than a network of at most "
                f"{MAX_PARAMETERS:,} parameters can hold"
            )
            return []
        sizes.append(number)
    if len(raw) < 2:
        problems.append(
            f"'layers' needs at least an input and an output size, got {list(raw)!r}"
        )
    return sizes


def _layer_size_problems(layers: Sequence[Layer]) -> list[str]:
    """What makes a list-form network too large for any command (empty when it is fine)."""
    if len(layers) > MAX_LAYERS:
        return [f"a network may have at most {MAX_LAYERS:,} layers, got {len(layers):,}"]
    total = sum(
        _product(shape) for index, layer in enumerate(layers, 1) for shape in layer.parameter_shapes(index).values()
    )
    if total > MAX_PARAMETERS:
        return [f"a network may have at most {MAX_PARAMETERS:,} parameters (weights and biases); this one has {total:,}"]
    return []


def _check_layers(layers: tuple[Layer, ...], the_loss: Loss) -> list[str]:
    problems: list[str] = []
    if not layers:
        return ["a network needs at least one layer with weights"]
    if all(isinstance(layer, Dense) for layer in layers):
        too_large = network_size_problems(
            (layers[0].inputs,) + tuple(layer.units for layer in layers[: MAX_LAYERS + 1]), layers[0].bias
        )
    else:
        too_large = _layer_size_problems(layers)
    if too_large:
        return too_large
    for index, layer in enumerate(layers, start=1):
        last = index == len(layers)
        act = layer.activation
        if act is not None and not act.elementwise and not last:
            problems.append(
                f"softmax is only allowed on the output layer, but layer {index} of "
                f"{len(layers)} uses it; use sigmoid, tanh or relu for hidden layers"
            )
        if index == 1:
            continue
        before = layers[index - 2]
        if isinstance(layer, Dense) and isinstance(before, Dense):
            if layer.inputs != before.units:
                problems.append(
                    f"layer {index} takes {layer.inputs} inputs but layer {index - 1} has "
                    f"{before.units} units"
                )
        elif layer.in_shape != before.out_shape:
            problems.append(
                f"layer {index} ({layer.kind}) takes shape {shape_text(layer.in_shape)} but layer "
                f"{index - 1} ({before.kind}) gives {shape_text(before.out_shape)}"
            )
    if all(isinstance(layer, Dense) for layer in layers) and len({layer.bias for layer in layers}) > 1:
        # dense layers alone are an MLP, whose derivations treat the bias of all layers alike
        problems.append("bias must be on for every layer or for none")
    output = layers[-1]
    if not isinstance(output, Dense):
        problems.append(
            f"the last layer must be dense (it gives the network's output vector), got {output.kind}"
        )
        return problems
    out = output.activation
    if not out.elementwise and output.units < 2:
        problems.append("a softmax output needs at least 2 units, got 1")
    if the_loss.targets == PROBABILITY and out.elementwise:
        problems.append(
            f"cross_entropy needs a softmax output layer, got {out.name!r}; "
            "use --output-activation softmax, or binary_cross_entropy with a sigmoid output"
        )
    if the_loss.targets == UNIT_INTERVAL and out.kind not in ("sigmoid", "softmax", CUSTOM):
        problems.append(
            f"binary_cross_entropy needs outputs in (0, 1), but the output activation is "
            f"{out.name!r}; use a sigmoid output"
        )
    return problems


MAX_SPEC_BYTES = MEGABYTE


def load_spec_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or TOML network spec; errors name the file and the problem."""
    path = Path(path)
    text = read_text(path, "spec file", MAX_SPEC_BYTES, SpecError)
    kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
    try:
        spec = tomllib.loads(text) if kind == "TOML" else json.loads(text, object_pairs_hook=unique_keys)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"spec file {str(path)!r} is not valid {kind}: {exc}") from None
    except DuplicateKey as exc:
        raise SpecError(f"spec file {str(path)!r} gives {exc} twice; keep one") from None
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
