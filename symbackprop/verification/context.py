"""The names a formula may use for one network, their shapes and where their values live.

Matrix-level names: ``x``, ``y``, ``W1``, ``b1``, ``z1``, ``a1`` (``a0`` is
x), ``delta1`` (the true δ⁽¹⁾), ``dA1`` (the true ∂L/∂a⁽¹⁾) and ``yhat``
(a⁽ᴸ⁾).  Andrew Ng's capitals are aliases: ``X``, ``Y``, ``A1``, ``Z1``,
``AL``, ``dZ1`` (= δ⁽¹⁾), ``dA1``.  Scalar names: ``x1``, ``w2_12`` (also
``w2_1_2``), ``b1_2``, ``a1_2``, ``delta2_1``…, 1-based.

A derivation assigns names; those with a recognisable meaning (δ⁽ˡ⁾, ∂L/∂a⁽ˡ⁾,
∂L/∂W⁽ˡ⁾, ∂L/∂b⁽ˡ⁾, z⁽ˡ⁾, a⁽ˡ⁾) are checked: :meth:`NameTable.quantity`.

>>> from symbackprop import Network
>>> ctx = names_for(Network.from_spec({"layers": [2, 3, 1], "activation": "sigmoid"}))
>>> ctx.resolve("a0"), ctx.resolve("w2_1_2"), ctx.resolve("w2_12"), ctx.resolve("W9")
('x', 'w2_12', 'w2_12', None)
>>> ctx.resolve("A1"), ctx.resolve("dZ2"), ctx.resolve("AL")
('a1', 'delta2', 'a2')
>>> ctx.shapes["W2"], ctx.shapes["w2_12"], ctx.lookup["w2_12"]
((1, 3), (), ('W2', 0, 1))
>>> ctx.quantity("dW2"), ctx.quantity("dZ1"), ctx.quantity("db1"), ctx.quantity("g")
('dW2', 'delta1', 'db1', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..activations import DEFAULT_LEAKY_SLOPE
from ..spec import Network
from ..symbols import (
    INPUT,
    NOTATION,
    TARGET,
    Name,
    activation,
    activation_gradient,
    bias,
    parse_name,
    pre_activation,
    scalar_name,
    weight,
)

Shape = tuple[int, ...]

# A name a derivation may assign, and the quantity it stands for.
_CANONICAL = {**{stem: stem for stem in ("delta", "dA", "dW", "db", "z", "a")}, **NOTATION}
_QUANTITY = re.compile(r"^(" + "|".join(sorted(_CANONICAL, key=len, reverse=True)) + r")(\d+|L)$")


@dataclass(frozen=True)
class NameTable:
    """Canonical names -> shapes; scalar names -> (matrix name, row, col), 0-based.

    ``depth`` is L; ``slopes`` the leaky ReLU slopes of the network's layers
    (what ``leaky_relu_prime(z)`` means when no slope is written).
    """

    shapes: dict[str, Shape]
    lookup: dict[str, tuple[str, int, int]]
    aliases: dict[str, str] = field(default_factory=dict)
    matrix_names: tuple[str, ...] = ()
    depth: int = 1
    bias: bool = True
    slopes: tuple[Fraction, ...] = ()

    def resolve(self, name: str) -> str | None:
        """The canonical form of a name, or None when the network has no such name."""
        if name in self.shapes:
            return name
        if name in self.aliases:
            return self.aliases[name]
        try:
            stem, layer, indices = parse_name(name)
        except ValueError:
            return None
        if stem == "a" and layer == 0:
            stem, layer = "x", None
        candidate = scalar_name(stem, layer, *indices)
        return candidate if candidate in self.shapes else None

    def quantity(self, name: str) -> str | None:
        """What an assigned name stands for (``dZ2`` -> ``delta2``), or None for a local name."""
        m = _QUANTITY.match(name)
        if m is None:
            return None
        layer = self.depth if m.group(2) == "L" else int(m.group(2))
        if not 1 <= layer <= self.depth:
            return None
        return str(Name(_CANONICAL[m.group(1)], layer))

    def quantity_shape(self, quantity: str) -> Shape:
        stem, layer = split(quantity)
        if stem == "dW":
            return self.shapes[str(weight(layer))]
        return self.shapes[str(pre_activation(layer))]

    def slope(self) -> Fraction | None:
        """The one leaky ReLU slope of this network (the default where there is none), or None
        when its layers have different slopes."""
        if not self.slopes:
            return Fraction(str(DEFAULT_LEAKY_SLOPE))
        return self.slopes[0] if len(set(self.slopes)) == 1 else None

    @property
    def known(self) -> str:
        return ", ".join(self.matrix_names) + " and their entries such as " + self.example_entry

    @property
    def example_entry(self) -> str:
        return next((n for n in self.lookup if n.startswith("w")), "x1")


def split(name: str) -> tuple[str, int]:
    """``dW12`` -> ("dW", 12)."""
    which = Name.parse(name)
    return which.stem, int(which.layer)  # type: ignore[arg-type]


def describe_quantity(quantity: str) -> str:
    """How a quantity is written for people: δ⁽²⁾, ∂L/∂W⁽¹⁾, ∂L/∂a⁽¹⁾, z⁽¹⁾."""
    return Name.parse(quantity).text


def names_for(network: Network) -> NameTable:
    sizes, L = network.sizes, network.depth
    x, y, output = str(INPUT), str(TARGET), str(activation(L))
    shapes: dict[str, Shape] = {x: (sizes[0], 1), y: (sizes[-1], 1)}
    aliases = {"a0": x, "A0": x, "X": x, "Y": y, "yhat": output, "AL": output, "dAL": str(activation_gradient(L))}
    for layer in range(1, L + 1):
        n, m = sizes[layer], sizes[layer - 1]
        shapes[str(weight(layer))] = (n, m)
        if network.bias:
            shapes[str(bias(layer))] = (n, 1)
        for stem in ("z", "a", "delta", "dA"):
            shapes[str(Name(stem, layer))] = (n, 1)
        aliases.update(
            {str(Name(theirs, layer)): str(Name(ours, layer)) for theirs, ours in NOTATION.items() if str(Name(ours, layer)) in shapes}
        )
    matrix_names = tuple(shapes) + ("a0",)
    lookup: dict[str, tuple[str, int, int]] = {}
    for name, (rows, cols) in list(shapes.items()):
        if name.startswith("dA"):
            continue
        for i in range(rows):
            for j in range(cols):
                lookup[_entry_name(name, i, j)] = (name, i, j)
    for name in lookup:
        shapes[name] = ()
    for j in range(sizes[0]):
        aliases[scalar_name("a", 0, j + 1)] = scalar_name("x", None, j + 1)
    slopes = tuple(
        Fraction(str(spec.activation.slope)) for spec in network.layers if spec.activation.slope is not None
    )
    return NameTable(shapes, lookup, aliases, matrix_names, L, network.bias, slopes)


def _entry_name(matrix: str, i: int, j: int) -> str:
    return Name.parse(matrix).cell(i + 1, j + 1)
