"""The worksheet as data: built once from a Derivation, then written in any format.

Everything a writer prints is here: words (with ``$…$`` math made by the
project's LaTeX printer) and SymPy objects (printed by the writers through
that printer).  Nothing here knows about pages, HTML or files.

>>> from symbackprop.models import two_two_two
>>> sheet = build(two_two_two(), seed=3)
>>> [e.kind for e in sheet.exercises]
['output weight', 'hidden weight', 'bias']
>>> sheet.check.passed
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import sympy
from sympy import ImmutableMatrix, MatMul, MatrixSymbol

from ..chain import LOSS, forward_section, identity_steps
from ..derive import Derivation
from ..display import Chain, Minus, Named, Partial, Terms
from ..errors import DataError
from ..printing import latex
from ..spec import Network
from ..steps import Section, Step
from ..symbols import Name, real_symbol, scalar_name
from ..symbols import bias as bias_name
from ..symbols import weight as weight_name
from .check import Check, check_gradients
from .drawing import Layout, layout
from .numbers import Values, choose_values

# Worksheets are for networks a person can work through by hand.
MAX_UNITS = 8
MAX_PARAMETERS = 80
ALPHA = sympy.Symbol("alpha")


@dataclass(frozen=True)
class Exercise:
    """Derive ∂L/∂θ for one scalar parameter θ (1-based ``row``, ``col``; ``col`` is 1 for b)."""

    number: int
    kind: str  # "output weight", "hidden weight" or "bias"
    parameter: str  # "W2", "b1"
    row: int
    col: int
    symbol: sympy.Symbol
    question: Partial
    hint: str  # words with $math$
    chain: Step  # ∂L/∂θ written as the chain of partial derivatives it follows

    @property
    def wrt(self) -> str:
        """The entry in the form ``Derivation.sections(wrt=...)`` reads: ``W2[1,2]``, ``b1[3]``."""
        if self.parameter.startswith("W"):
            return f"{self.parameter}[{self.row},{self.col}]"
        return f"{self.parameter}[{self.row}]"

    @property
    def entry(self) -> tuple[str, int, int]:
        return self.parameter, self.row, self.col


@dataclass(frozen=True)
class Solution:
    """The key to one exercise: the δ's it needs, its chain, and its value in the example."""

    exercise: Exercise
    sections: tuple[Section, ...]
    at_example: Step
    value: float


@dataclass(frozen=True)
class Worksheet:
    """A whole worksheet; ``solutions`` is empty for a student's copy."""

    title: str
    subtitle: str
    network: Network
    seed: int
    digits: int
    picture: Layout
    notation: tuple[tuple[Any, str], ...]  # (symbol, words)
    forward: Section
    exercises: tuple[Exercise, ...]
    identities: Section
    example: tuple[Section, ...]
    values: Values
    solutions: tuple[Solution, ...]
    check: Check
    code: str = ""  # an assignment's sheet code, printed under the title with its QR code

    @property
    def has_solutions(self) -> bool:
        return bool(self.solutions)

    def student_copy(self, code: str = "") -> Worksheet:
        """The same sheet without the solution key; ``code`` names an assignment's variant."""
        return replace(self, solutions=(), code=code)


# -- choosing the exercises ---------------------------------------------------


def choose_entries(network: Network, seed: int) -> tuple[tuple[str, str, int, int], ...]:
    """(kind, parameter, row, col) for an output weight, a hidden weight and a bias.

    Without hidden layers the hidden weight is left out; without biases a
    weight of another layer (or another output weight) takes the bias's place.
    """
    rng = np.random.default_rng([seed, 1])
    sizes, L = network.sizes, network.depth

    def weight(layer: int, avoid: tuple[int, int] | None = None) -> tuple[str, int, int]:
        while True:
            row, col = int(rng.integers(1, sizes[layer] + 1)), int(rng.integers(1, sizes[layer - 1] + 1))
            if (row, col) != avoid or sizes[layer] * sizes[layer - 1] == 1:
                return str(weight_name(layer)), row, col

    chosen: list[tuple[str, str, int, int]] = [("output weight", *weight(L))]
    if L > 1:
        hidden = int(rng.integers(1, L))
        chosen.append(("hidden weight", *weight(hidden)))
    if network.bias:
        layer = int(rng.integers(1, L + 1))
        chosen.append(("bias", str(bias_name(layer)), int(rng.integers(1, sizes[layer] + 1)), 1))
    elif L > 2:
        used = {int(c[1][1:]) for c in chosen}
        layer = int(rng.choice([n for n in range(1, L) if n not in used] or [1]))
        chosen.append(("hidden weight", *weight(layer)))
    else:
        _, _, row, col = chosen[0]
        chosen.append(("output weight", *weight(L, avoid=(row, col))))
    return tuple(chosen)


def _m(expr: Any) -> str:
    return f"${latex(expr)}$"


def exercise(d: Derivation, number: int, kind: str, name: str, row: int, col: int) -> Exercise:
    """One exercise with its hint: the path from θ to L, as words and as a chain."""
    layer = int(name[1:])
    syms = d.symbols
    here = syms.layers[layer - 1]
    theta = here.W[row - 1, col - 1] if name[0] == "W" else here.b[row - 1]
    z_j, a_j = here.z[row - 1], here.a[row - 1]
    last = Partial(z_j, theta)
    local = "the input it multiplies" if name[0] == "W" else "1"
    if layer == d.network.depth:
        if d.network.output_activation.elementwise:
            chain = Chain(Partial(LOSS, a_j), Partial(a_j, z_j), last)
            path = f"{_m(theta)} reaches {_m(LOSS)} only through {_m(z_j)} and then {_m(a_j)}"
        else:
            outputs = here.a
            chain = Chain(
                _terms(*[Chain(Partial(LOSS, a_i), Partial(a_i, z_j)) for a_i in outputs]), last
            )
            path = (
                f"{_m(theta)} moves {_m(z_j)}, and through the softmax {_m(z_j)} moves every output "
                f"{_m(outputs[0])}, ..., {_m(outputs[-1])}: add one term per output"
            )
    else:
        above = syms.layers[layer]
        chain = Chain(
            _terms(*[Chain(Partial(LOSS, z_i), Partial(z_i, a_j)) for z_i in above.z]),
            Partial(a_j, z_j),
            last,
        )
        path = (
            f"{_m(theta)} reaches {_m(LOSS)} through {_m(z_j)} and {_m(a_j)}, which feeds every unit "
            f"of layer {layer + 1}: add one term per unit, and recognise each "
            f"{_m(Partial(LOSS, generic('z', layer + 1)))} as {_m(generic('delta', layer + 1))}"
        )
    hint = f"{path}; {_m(last)} is {local}."
    return Exercise(
        number, kind, name, row, col, theta, Partial(LOSS, theta), hint, Step(Partial(LOSS, theta), (chain,))
    )


def generic(stem: str, layer: int) -> sympy.Symbol:
    """z⁽ˡ⁾ᵢ with a letter index, as the printer writes it: ``z^{(2)}_{i}``."""
    return Name(stem, layer).symbol("i")


def _terms(*terms: Any) -> Any:
    return terms[0] if len(terms) == 1 else Terms(*terms)


# -- numbers as SymPy objects the printer writes with the chosen digits ----------


class Numbers:
    """Turns floats into SymPy Floats and matrices printed to ``digits`` significant digits."""

    def __init__(self, digits: int):
        self.digits = digits

    def text(self, value: float) -> str:
        """The number as the worksheet prints it (``format(value, '.6g')``)."""
        return format(float(value), f".{self.digits}g")

    def scalar(self, value: float) -> sympy.Float:
        return sympy.Float(self.text(value), self.digits)

    def column(self, values: Sequence[float]) -> ImmutableMatrix:
        return ImmutableMatrix([[self.scalar(v)] for v in values])

    def matrix(self, value: np.ndarray) -> ImmutableMatrix:
        value = np.asarray(value, dtype=float)
        if value.ndim == 1:
            return self.column(value)
        return ImmutableMatrix([[self.scalar(v) for v in row] for row in value])


# -- the worked example ---------------------------------------------------------


def _origin(*given: Any) -> str:
    if all(g is None for g in given):
        return "drawn from the sheet's seed"
    if all(g is not None for g in given):
        return "as given"
    return "partly given, the rest drawn from the sheet's seed"


def example_sections(
    d: Derivation, values: Values, digits: int, origin: str = "drawn from the sheet's seed"
) -> tuple[Section, ...]:
    """Inputs, forward pass, δ's, gradients and one update step, with numbers."""
    num = Numbers(digits)
    net = d.network
    sizes = net.sizes
    given: list[Step] = [
        Step(MatrixSymbol("x", sizes[0], 1), (num.column(values.x),), "input"),
        Step(MatrixSymbol("y", sizes[-1], 1), (num.column(values.y),), "target"),
    ]
    for name in net.parameter_names():
        shape = net.parameter_shapes()[name]
        given.append(Step(_matrix_symbol(name, shape), (num.matrix(values.params[name]),)))
    given.append(Step(ALPHA, (num.scalar(values.lr),), "learning rate"))

    forward: list[Step] = []
    for layer in range(1, net.depth + 1):
        m = d.matrix_symbols(layer)
        previous = num.column(values.x if layer == 1 else values.a[layer - 2])
        weights = num.matrix(values.params[str(weight_name(layer))])
        product = MatMul(weights, previous, evaluate=False)
        substituted = Terms(product, num.matrix(values.params[str(bias_name(layer))])) if net.bias else product
        symbolic = Terms(MatMul(m["W"], m["prev"], evaluate=False), m["b"]) if net.bias else m["W"] * m["prev"]
        forward.append(Step(m["z"], (symbolic, substituted, num.column(values.z[layer - 1]))))
        act = net.layers[layer - 1].activation
        forward.append(Step(m["a"], (num.column(values.a[layer - 1]),), f"{act.name} of each entry"
                            if act.elementwise else "softmax of z"))
    forward.append(Step(LOSS, (d.loss, num.scalar(values.loss)), f"{net.loss.name} loss"))

    backward: list[Step] = []
    gradients: list[Step] = []
    matrix = d.sections(level="matrix")
    for step in matrix[1].steps:
        if isinstance(step.lhs, MatrixSymbol) and step.lhs.name.startswith("delta"):
            layer = int(step.lhs.name[5:])
            backward.append(
                Step(step.lhs, (*step.rhs, num.column(values.delta[layer - 1])), step.why)
            )
    for step in matrix[2].steps:
        name = step.lhs.args[1].name
        gradients.append(Step(step.lhs, (*step.rhs, num.matrix(values.grads[name])), step.why))

    update: list[Step] = []
    for name in net.parameter_names():
        shape = net.parameter_shapes()[name]
        symbol = _matrix_symbol(name, shape)
        rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
        grad = Named(latex(Partial(LOSS, symbol)), f"dL/d{name}", rows, cols)
        new = Named(latex(symbol) + r"_{\mathrm{new}}", f"{name}_new", rows, cols)
        update.append(
            Step(
                new,
                (
                    Minus(symbol, MatMul(ALPHA, grad, evaluate=False)),
                    Minus(num.matrix(values.params[name]),
                          MatMul(num.scalar(values.lr), num.matrix(values.grads[name]), evaluate=False)),
                    num.matrix(values.updated[name]),
                ),
            )
        )
    return (
        Section("Given", tuple(given), f"The numbers of this example ({origin})."),
        Section("Forward pass", tuple(forward), "Each layer's weighted input, then its activation."),
        Section(
            "Backward pass",
            tuple(backward),
            "The errors $\\delta^{(l)} = \\partial L / \\partial z^{(l)}$, from the output layer back.",
        ),
        Section("Gradients", tuple(gradients), "Each gradient is an error times the activation below it."),
        Section(
            "One step of gradient descent",
            tuple(update),
            "Every parameter moves against its gradient: $\\theta \\leftarrow \\theta - \\alpha\\, "
            "\\partial L / \\partial \\theta$.",
        ),
    )


def _matrix_symbol(name: str, shape: tuple[int, ...]) -> MatrixSymbol:
    return MatrixSymbol(name, shape[0], shape[1] if len(shape) == 2 else 1)


# -- the solution key -------------------------------------------------------------


def solution(d: Derivation, ex: Exercise, values: Values, digits: int) -> Solution:
    """The derivation of one exercise (the δ's it needs, then its chain) and its value."""
    num = Numbers(digits)
    sections = d.sections(wrt=ex.wrt)[2:]  # the forward pass and the identities are shown once
    layer = int(ex.parameter[1:])
    grad = values.grads[ex.parameter]
    value = float(grad[ex.row - 1, ex.col - 1] if grad.ndim == 2 else grad[ex.row - 1])
    delta_symbol = d.symbols.layers[layer - 1].delta[ex.row - 1]
    delta_value = values.delta[layer - 1][ex.row - 1]
    if ex.parameter[0] == "W":
        below = d.symbols.activations(layer - 1)[ex.col - 1]
        below_value = values.x[ex.col - 1] if layer == 1 else values.a[layer - 2][ex.col - 1]
        rhs = (
            Chain(delta_symbol, below),
            Chain(num.scalar(delta_value), num.scalar(below_value)),
            num.scalar(value),
        )
    else:
        rhs = (delta_symbol, num.scalar(value))
    at_example = Step(ex.question, rhs, "at the worked example")
    return Solution(ex, tuple(sections), at_example, value)


# -- notation -----------------------------------------------------------------------


def notation(d: Derivation) -> tuple[tuple[Any, str], ...]:
    net = d.network
    sizes = net.sizes
    rows: list[tuple[Any, str]] = [
        (MatrixSymbol("x", sizes[0], 1), f"the input, a column of {sizes[0]} numbers; $a^{{(0)}} = x$"),
        (MatrixSymbol("y", sizes[-1], 1), f"the target, a column of {sizes[-1]} numbers"),
    ]
    for layer in range(1, net.depth + 1):
        m = d.matrix_symbols(layer)
        n, k = sizes[layer], sizes[layer - 1]
        w = real_symbol(scalar_name("w", layer, 1, 1))
        rows.append(
            (m["W"], f"weights of layer {layer}, {n} by {k}; {_m(w)} joins unit 1 of layer "
             f"{layer - 1} to unit 1 of layer {layer}")
        )
        if net.bias:
            rows.append((m["b"], f"biases of layer {layer}, {n} numbers"))
        act = net.layers[layer - 1].activation
        rows.append((m["z"], f"weighted inputs of layer {layer}: {_m(m['z'])} $=$ "
                     f"{_m(MatMul(m['W'], m['prev'], evaluate=False))}"
                     + (f" $+$ {_m(m['b'])}" if net.bias else "")))
        rows.append((m["a"], f"activations of layer {layer} ({act.name})"))
        rows.append((m["delta"], f"errors of layer {layer}: {_m(m['delta'])} $=$ "
                     f"{_m(Partial(LOSS, m['z']))}"))
    rows.append((LOSS, f"the loss of one sample, {net.loss.name}: ${net.loss.latex_form}$"))
    return tuple(rows)


# -- the whole sheet ----------------------------------------------------------------


def check_size(network: Network) -> None:
    too_wide = [n for n in network.sizes if n > MAX_UNITS]
    if too_wide or network.parameter_count() > MAX_PARAMETERS:
        raise DataError(
            f"a worksheet is worked by hand, so it takes networks of at most {MAX_UNITS} units per "
            f"layer and {MAX_PARAMETERS} parameters; {network.describe()} has "
            f"{max(network.sizes)} units in its widest layer and {network.parameter_count()} parameters"
        )


def build(
    network: Network,
    seed: int = 0,
    solutions: bool = True,
    params: Mapping[str, Any] | str | Path | None = None,
    x: Sequence[float] | None = None,
    y: Sequence[float] | None = None,
    lr: float = 0.5,
    digits: int = 6,
) -> Worksheet:
    """The worksheet for ``network``; ``seed`` picks the exercises and the example's numbers."""
    if not isinstance(digits, int) or not 2 <= digits <= 15:
        raise DataError(f"digits must be a whole number from 2 to 15, got {digits!r}")
    if not isinstance(seed, int) or seed < 0:
        raise DataError(f"the seed must be a whole number of at least 0, got {seed!r}")
    check_size(network)
    d = Derivation(network)
    entries = choose_entries(network, seed)
    exercises = tuple(
        exercise(d, number, kind, name, row, col)
        for number, (kind, name, row, col) in enumerate(entries, start=1)
    )
    compiled = d.compile()
    values = choose_values(d, seed, [e.entry for e in exercises], params, x, y, lr, compiled)
    check = check_gradients(d, values, compiled)
    highlight = [e.symbol.name for e in exercises]
    describe = network.describe()
    return Worksheet(
        title="Backpropagation by hand",
        subtitle=f"Network {describe}; sheet {seed}",
        network=network,
        seed=seed,
        digits=digits,
        picture=layout(network, highlight),
        notation=notation(d),
        forward=forward_section(d),
        exercises=exercises,
        identities=Section("Derivatives used", identity_steps(d)),
        example=example_sections(d, values, digits, _origin(params, x, y)),
        values=values,
        solutions=tuple(solution(d, e, values, digits) for e in exercises) if solutions else (),
        check=check,
    )
