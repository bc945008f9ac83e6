"""The exercises of a sheet: which entries they ask about, what they say, and the room to answer.

A sheet asks for ∂ℒ/∂θ of an output weight, a hidden weight and a bias, each
in a different unit, so no two exercises are nearly the same question; then
for the vectorised form of a whole weight matrix; then for the worked
example's backward pass in numbers.  The seed picks the entries, so a class
can get one variant per student.  Hints here are the first level only —
which path θ takes to the loss; the chain itself is in the key.

>>> from symbackprop.models import two_two_two
>>> [(kind, name, row, col) for kind, name, row, col in choose_entries(two_two_two(), 0)]
[('output weight', 'W2', 2, 2), ('hidden weight', 'W1', 2, 2), ('bias', 'b1', 1, 1)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy import MatrixSymbol

from ..derive import Derivation
from ..display import Partial
from ..printing import latex
from ..spec import Network
from ..symbols import LOSS, bias, weight

# What a gradient exercise asks about: its kind, the parameter, and the 1-based entry.
Entry = tuple[str, str, int, int]


@dataclass(frozen=True)
class Room:
    """Room on the student's copy for one answer.

    ``label`` (a SymPy object, or None) is written before the room; ``lines``
    makes a box that many handwriting lines tall, ``entries`` a row of that
    many blanks (the entries of a vector, or one number).
    """

    label: Any = None
    lines: int = 0
    entries: int = 0


@dataclass(frozen=True)
class Exercise:
    """One exercise; ``parameter``/``row``/``col`` name the entry a gradient exercise asks about.

    ``kind`` is ``output weight``, ``hidden weight``, ``bias``, ``vectorised``
    (the whole matrix ∂ℒ/∂W⁽ˡ⁾, ``row`` 0) or ``numbers`` (the backward pass
    of the worked example, no parameter).
    """

    number: int
    kind: str
    title: str
    task: str  # words with $math$
    hint: str = ""  # the first level of hint: the path θ takes, in words
    room: tuple[Room, ...] = ()
    parameter: str = ""
    row: int = 0
    col: int = 0

    @property
    def symbol(self) -> Any:
        """θ: the scalar symbol of the entry, or the matrix symbol of a vectorised exercise."""
        from ..symbols import parameter

        if not self.parameter:
            return None
        name = parameter(self.parameter)
        if self.row == 0:
            return None
        return name.symbol(*((self.row, self.col) if name.stem == "W" else (self.row,)))

    @property
    def wrt(self) -> str | None:
        """What the answer is a derivative with respect to: ``W2[1,2]``, ``b1[3]``, ``W2``, or None."""
        if not self.parameter:
            return None
        if self.row == 0:
            return self.parameter
        if self.parameter.startswith("W"):
            return f"{self.parameter}[{self.row},{self.col}]"
        return f"{self.parameter}[{self.row}]"

    @property
    def entry(self) -> tuple[str, int, int]:
        return self.parameter, self.row, self.col

    @property
    def asks_gradient(self) -> bool:
        """True for an exercise about one scalar ∂ℒ/∂θ."""
        return bool(self.parameter) and self.row > 0


# -- choosing the entries ---------------------------------------------------------


def choose_entries(network: Network, seed: int) -> tuple[Entry, ...]:
    """An output weight, a hidden weight and a bias, each in a unit no other exercise uses.

    Without hidden layers the hidden weight is left out; without biases a
    weight of another layer (or another output weight) takes the bias's place.
    """
    rng = np.random.default_rng([seed, 1])
    sizes, L = network.sizes, network.depth
    used: set[tuple[int, int]] = set()  # (layer, unit) already asked about

    def unit(layer: int) -> int:
        free = [j for j in range(1, sizes[layer] + 1) if (layer, j) not in used]
        row = int(rng.choice(free)) if free else int(rng.integers(1, sizes[layer] + 1))
        used.add((layer, row))
        return row

    def pick_weight(kind: str, layer: int) -> Entry:
        row = unit(layer)
        return kind, str(weight(layer)), row, int(rng.integers(1, sizes[layer - 1] + 1))

    chosen = [pick_weight("output weight", L)]
    if L > 1:
        chosen.append(pick_weight("hidden weight", int(rng.integers(1, L))))
    layers_free = [n for n in range(1, L + 1) if any((n, j) not in used for j in range(1, sizes[n] + 1))]
    if network.bias:
        layer = int(rng.choice(layers_free)) if layers_free else int(rng.integers(1, L + 1))
        chosen.append(("bias", str(bias(layer)), unit(layer), 1))
    else:
        asked = {int(name[1:]) for _, name, _, _ in chosen}
        others = [n for n in range(1, L) if n not in asked] or [n for n in layers_free if n < L] or layers_free
        layer = int(rng.choice(others)) if others else L
        chosen.append(pick_weight("hidden weight" if layer < L else "output weight", layer))
    return tuple(chosen)


# -- the words of each exercise ---------------------------------------------------


def _m(expr: Any) -> str:
    return f"${latex(expr)}$"


def entry_symbol(d: Derivation, name: str, row: int, col: int) -> sympy.Symbol:
    layer = d.symbols.layers[int(name[1:]) - 1]
    return layer.W[row - 1, col - 1] if name[0] == "W" else layer.b[row - 1]


def path_hint(d: Derivation, name: str, row: int, col: int, first: dict[int, int]) -> str:
    """Which way θ reaches the loss — the first level of hint, with no derivative worked.

    ``first`` maps a layer to the exercise that first derives that layer's δ,
    so a later hint can point back to it.
    """
    L = d.network.depth
    layer = int(name[1:])
    syms = d.symbols.layers[layer - 1]
    theta = entry_symbol(d, name, row, col)
    z_j, a_j = syms.z[row - 1], syms.a[row - 1]
    loss = _m(LOSS)
    enters = (
        f"{_m(theta)} enters {_m(z_j)} as a weight on an input that is always 1"
        if name[0] == "b"
        else f"{_m(theta)} multiplies {_m(d.symbols.activations(layer - 1)[col - 1])} in {_m(z_j)}"
    )
    if layer == L and d.network.output_activation.elementwise:
        path = f"{enters}, and {_m(z_j)} reaches {loss} only through {_m(a_j)}."
    elif layer == L:
        outputs = syms.a
        path = (
            f"{enters}; through the softmax, {_m(z_j)} moves every output "
            f"{_m(outputs[0])}, …, {_m(outputs[-1])}, so there is one path per output."
        )
    else:
        path = (
            f"{enters}; {_m(a_j)} feeds every unit of layer {layer + 1}, so there is one path "
            f"through each of them."
        )
    if name[0] == "W" and d.plan.penalty is not None:
        path += f" It is also in the L2 term, as $(\\lambda/2) ({latex(theta)})^2$."
    above = layer + 1
    if above <= L and above in first:
        path += (
            f" You may use $\\delta^{{({above})}}_i = \\partial {latex(LOSS)} / \\partial z^{{({above})}}_i$ "
            f"from exercise {first[above]}."
        )
    elif layer in first:
        path += f" Compare with exercise {first[layer]}."
    return path


def gradient_exercise(d: Derivation, number: int, entry: Entry, first: dict[int, int], lines: int = 4) -> Exercise:
    kind, name, row, col = entry
    theta = entry_symbol(d, name, row, col)
    what = {"output weight": "an output weight", "hidden weight": "a hidden weight", "bias": "a bias"}[kind]
    task = f"Derive {_m(Partial(LOSS, theta))}."
    return Exercise(
        number,
        kind,
        f"Exercise {number}: {what}",
        task,
        path_hint(d, name, row, col, first),
        (Room(Partial(LOSS, theta), lines=lines),),
        name,
        row,
        col,
    )


def vectorised_exercise(d: Derivation, number: int, layer: int, refers_to: Exercise | None) -> Exercise:
    """All of ∂ℒ/∂W⁽ˡ⁾ at once: the student finds it is δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ."""
    m = d.matrix_symbols(layer)
    n, k = d.network.sizes[layer], d.network.sizes[layer - 1]
    task = (
        f"All the {_m(Partial(LOSS, generic_weight(layer)))} make the {n} × {k} matrix "
        f"{_m(Partial(LOSS, m['W']))}. Write it as one product of two vectors of the network, "
        "giving the shape of each"
    )
    if refers_to is not None and refers_to.parameter == str(weight(layer)):
        task += f"; which entry is your answer to exercise {refers_to.number}?"
    task += " Then evaluate the matrix at the worked example."
    return Exercise(
        number,
        "vectorised",
        f"Exercise {number}: the whole matrix at once",
        task,
        "Look at how entry $(j, k)$ depends on $j$ and on $k$; a column times a row is a matrix.",
        (Room(Partial(LOSS, m["W"]), lines=1 + n),),
        str(weight(layer)),
    )


def generic_weight(layer: int) -> sympy.Symbol:
    """w⁽ˡ⁾ⱼₖ with letter indices, as the printer writes it."""
    return weight(layer).symbol("jk")


def numbers_exercise(number: int, rows: tuple[Room, ...], gradient_numbers: tuple[int, ...], lr: Any) -> Exercise:
    which = ", ".join(str(n) for n in gradient_numbers)
    task = (
        "Work the backward pass of the worked example in numbers, from the output layer back; then the "
        f"values of your answers to exercises {which}, and those parameters after one step of gradient descent, "
        f"$\\theta \\leftarrow \\theta - \\alpha\\, \\partial {latex(LOSS)} / \\partial \\theta$ "
        f"with $\\alpha = {latex(lr)}$."
    )
    return Exercise(
        number,
        "numbers",
        f"Exercise {number}: the backward pass in numbers",
        task,
        "Each vector is one of those in the four equations.",
        rows,
    )


def matrix_symbol(name: str, shape: tuple[int, ...]) -> MatrixSymbol:
    return MatrixSymbol(name, shape[0], shape[1] if len(shape) == 2 else 1)
