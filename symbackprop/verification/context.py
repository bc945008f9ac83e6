"""The names a formula may use for one network, their shapes and where their values live.

Matrix-level names: ``x``, ``y``, ``W1``, ``b1``, ``z1``, ``a1`` (``a0`` is
x), ``delta1`` (the true δ⁽¹⁾) and ``yhat`` (a⁽ᴸ⁾).  Scalar names: ``x1``,
``w2_12`` (also ``w2_1_2``), ``b1_2``, ``a1_2``, ``delta2_1``…, 1-based.

>>> from symbackprop import Network
>>> ctx = names_for(Network.from_spec({"layers": [2, 3, 1], "activation": "sigmoid"}))
>>> ctx.resolve("a0"), ctx.resolve("w2_1_2"), ctx.resolve("w2_12"), ctx.resolve("W9")
('x', 'w2_12', 'w2_12', None)
>>> ctx.shapes["W2"], ctx.shapes["w2_12"], ctx.lookup["w2_12"]
((1, 3), (), ('W2', 0, 1))
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..spec import Network
from ..symbols import parse_name, scalar_name

Shape = tuple[int, ...]


@dataclass(frozen=True)
class NameTable:
    """Canonical names -> shapes; scalar names -> (matrix name, row, col), 0-based."""

    shapes: dict[str, Shape]
    lookup: dict[str, tuple[str, int, int]]
    aliases: dict[str, str] = field(default_factory=dict)
    matrix_names: tuple[str, ...] = ()

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

    @property
    def known(self) -> str:
        return ", ".join(self.matrix_names) + " and their entries such as " + self.example_entry

    @property
    def example_entry(self) -> str:
        return next((n for n in self.lookup if n.startswith("w")), "x1")


def names_for(network: Network) -> NameTable:
    sizes, L = network.sizes, network.depth
    shapes: dict[str, Shape] = {"x": (sizes[0], 1), "y": (sizes[-1], 1)}
    aliases = {"a0": "x", "yhat": f"a{L}"}
    for layer in range(1, L + 1):
        n, m = sizes[layer], sizes[layer - 1]
        shapes[f"W{layer}"] = (n, m)
        if network.bias:
            shapes[f"b{layer}"] = (n, 1)
        for stem in ("z", "a", "delta"):
            shapes[f"{stem}{layer}"] = (n, 1)
    matrix_names = tuple(shapes) + ("a0",)
    lookup: dict[str, tuple[str, int, int]] = {}
    for name, (rows, cols) in list(shapes.items()):
        for i in range(rows):
            for j in range(cols):
                lookup[_entry_name(name, i, j)] = (name, i, j)
    for name in lookup:
        shapes[name] = ()
    for j in range(sizes[0]):
        aliases[scalar_name("a", 0, j + 1)] = scalar_name("x", None, j + 1)
    return NameTable(shapes, lookup, aliases, matrix_names)


def _entry_name(matrix: str, i: int, j: int) -> str:
    if matrix in ("x", "y"):
        return scalar_name(matrix, None, i + 1)
    stem, layer = matrix.rstrip("0123456789"), int(matrix.lstrip("Wbzadelt"))
    if stem == "W":
        return scalar_name("w", layer, i + 1, j + 1)
    return scalar_name(stem, layer, i + 1)
