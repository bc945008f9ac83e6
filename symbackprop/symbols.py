"""The one naming convention: Python names and LaTeX forms of every quantity.

Layers are numbered 1..L and layer 0 is the input, so a0 is x.  Indices in
names and printed math are 1-based, as in the textbooks.  A scalar name joins
its indices without a separator while every index has one digit (``w2_12``)
and with underscores otherwise (``w2_1_12``), so names stay short for the
small networks people read and unambiguous for large ones.

>>> scalar_name("w", 2, 1, 2)
'w2_12'
>>> scalar_name("w", 1, 3, 10)
'w1_3_10'
>>> latex_name("w2_12"), latex_name("delta3_1"), latex_name("x2")
('w^{(2)}_{12}', '\\\\delta^{(3)}_{1}', 'x_{2}')
>>> latex_name("W2"), latex_name("delta1")
('W^{(2)}', '\\\\delta^{(1)}')
>>> parse_name("w1_3_10")
('w', 1, (3, 10))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import sympy

# Families of per-layer quantities: Python stem -> (LaTeX stem, Unicode stem).
LAYER_STEMS = {
    "w": ("w", "w"),
    "b": ("b", "b"),
    "z": ("z", "z"),
    "a": ("a", "a"),
    "delta": (r"\delta", "δ"),
}
MATRIX_STEMS = {
    "W": ("W", "W"),
    "b": ("b", "b"),
    "z": ("z", "z"),
    "a": ("a", "a"),
    "delta": (r"\delta", "δ"),
}
SAMPLE_STEMS = {"x": "x", "y": "y"}

_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

_LAYER_SCALAR = re.compile(r"^(w|b|z|a|delta)(\d+)_(\d+(?:_\d+)*)$")
_MATRIX = re.compile(r"^(W|b|z|a|delta)(\d+)$")
_SAMPLE = re.compile(r"^(x|y)(\d+)$")


def scalar_name(stem: str, layer: int | None, *indices: int) -> str:
    """Python name of one scalar entry (1-based indices)."""
    if all(i < 10 for i in indices):
        joined = "".join(str(i) for i in indices)
    else:
        joined = "_".join(str(i) for i in indices)
    if layer is None:
        return f"{stem}{joined}"
    return f"{stem}{layer}_{joined}"


def matrix_name(stem: str, layer: int) -> str:
    """Python name of a layer's matrix or vector, e.g. ``W2``, ``delta1``."""
    return f"{stem}{layer}"


def parse_name(name: str) -> tuple[str, int | None, tuple[int, ...]]:
    """Split a scalar name into (stem, layer, indices); layer is None for x, y.

    Weights have two indices: a run of single digits (``w2_12``) is read one
    index per digit.  Every other stem has one index, however many digits
    (``b1_12`` is unit 12).

    >>> parse_name("w2_12"), parse_name("b1_12"), parse_name("delta3_10")
    (('w', 2, (1, 2)), ('b', 1, (12,)), ('delta', 3, (10,)))
    """
    m = _LAYER_SCALAR.match(name)
    if m:
        stem, layer, rest = m.group(1), int(m.group(2)), m.group(3)
        if stem != "w":
            if "_" in rest:
                raise ValueError(f"{name!r} is not a symbackprop scalar name")
            return stem, layer, (int(rest),)
        parts = rest.split("_") if "_" in rest else list(rest)
        if len(parts) != 2:
            raise ValueError(f"{name!r} is not a symbackprop scalar name")
        return stem, layer, tuple(int(p) for p in parts)
    m = _SAMPLE.match(name)
    if m:
        return m.group(1), None, (int(m.group(2)),)
    raise ValueError(f"{name!r} is not a symbackprop scalar name")


@cache
def latex_name(name: str) -> str:
    """LaTeX form of a scalar or matrix-level name; other names unchanged."""
    m = _MATRIX.match(name)
    if m:
        stem, layer = m.groups()
        return f"{MATRIX_STEMS[stem][0]}^{{({layer})}}"
    try:
        stem, layer, indices = parse_name(name)
    except ValueError:
        return name
    if layer is None:
        return f"{stem}_{{{indices[0]}}}"
    sep = "" if all(i < 10 for i in indices) else ","
    sub = sep.join(str(i) for i in indices)
    return f"{LAYER_STEMS[stem][0]}^{{({layer})}}_{{{sub}}}"


@cache
def unicode_name(name: str) -> str:
    """Plain-text form with Unicode super- and subscripts: ``w⁽²⁾₁₂``."""
    m = _MATRIX.match(name)
    if m:
        stem, layer = m.groups()
        return MATRIX_STEMS[stem][1] + f"({layer})".translate(_SUPERSCRIPT_DIGITS).replace(
            "(", "⁽"
        ).replace(")", "⁾")
    try:
        stem, layer, indices = parse_name(name)
    except ValueError:
        return name
    sep = "" if all(i < 10 for i in indices) else ","
    sub = sep.join(str(i) for i in indices).translate(_SUBSCRIPT_DIGITS)
    if layer is None:
        return stem + sub
    sup = "⁽" + str(layer).translate(_SUPERSCRIPT_DIGITS) + "⁾"
    return LAYER_STEMS[stem][1] + sup + sub


def real_symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol for a name; every quantity here is real."""
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True)
class LayerSymbols:
    """Scalar symbols of one layer l = 1..L, as SymPy matrices."""

    index: int
    W: sympy.ImmutableMatrix  # (n_l, n_{l-1})
    b: sympy.ImmutableMatrix | None  # (n_l, 1), None without bias
    z: sympy.ImmutableMatrix  # (n_l, 1)
    a: sympy.ImmutableMatrix  # (n_l, 1)
    delta: sympy.ImmutableMatrix  # (n_l, 1)


@dataclass(frozen=True)
class NetworkSymbols:
    """All scalar symbols of a network: x, y and per-layer W, b, z, a, δ."""

    x: sympy.ImmutableMatrix
    y: sympy.ImmutableMatrix
    layers: tuple[LayerSymbols, ...]

    def activations(self, layer: int) -> sympy.ImmutableMatrix:
        """a⁽ˡ⁾ as a column; a⁽⁰⁾ is x."""
        return self.x if layer == 0 else self.layers[layer - 1].a

    def parameter(self, name: str) -> sympy.ImmutableMatrix:
        """The symbol matrix of a parameter such as ``W2`` or ``b1``."""
        m = _MATRIX.match(name)
        if m and m.group(1) in ("W", "b"):
            layer = int(m.group(2))
            if 1 <= layer <= len(self.layers):
                value = getattr(self.layers[layer - 1], m.group(1))
                if value is not None:
                    return value
        raise KeyError(name)


def column(stem: str, layer: int | None, size: int) -> sympy.ImmutableMatrix:
    """A column of scalar symbols, e.g. a⁽¹⁾ = (a1_1, …, a1_n)ᵀ."""
    return sympy.ImmutableMatrix(
        size, 1, [real_symbol(scalar_name(stem, layer, j)) for j in range(1, size + 1)]
    )


def network_symbols(sizes: tuple[int, ...], bias: bool) -> NetworkSymbols:
    """Symbols for a network with layer sizes ``(n0, n1, …, nL)``."""
    layers = []
    for layer in range(1, len(sizes)):
        rows, cols = sizes[layer], sizes[layer - 1]
        W = sympy.ImmutableMatrix(
            rows,
            cols,
            [
                real_symbol(scalar_name("w", layer, j, k))
                for j in range(1, rows + 1)
                for k in range(1, cols + 1)
            ],
        )
        layers.append(
            LayerSymbols(
                index=layer,
                W=W,
                b=column("b", layer, rows) if bias else None,
                z=column("z", layer, rows),
                a=column("a", layer, rows),
                delta=column("delta", layer, rows),
            )
        )
    return NetworkSymbols(
        x=column("x", None, sizes[0]), y=column("y", None, sizes[-1]), layers=tuple(layers)
    )


_WRT = re.compile(r"^\s*([Wb])(\d+)\s*(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*$")


def parse_wrt(text: str) -> tuple[str, tuple[int, ...] | None]:
    """Split ``W2[1,2]`` into ``("W2", (1, 2))``; ``b1[3]`` and plain ``W2`` work too.

    Indices are 1-based as printed.  Raises ValueError for anything else.

    >>> parse_wrt("W2[1,2]"), parse_wrt("b1"), parse_wrt("b1[3]")
    (('W2', (1, 2)), ('b1', None), ('b1', (3,)))
    """
    m = _WRT.match(text)
    if not m:
        raise ValueError(
            f"cannot read the parameter {text!r}; expected a name such as W2 or b1, "
            "optionally with a 1-based entry such as W2[1,2] or b1[3]"
        )
    kind, layer, row, col = m.groups()
    name = f"{kind}{layer}"
    if row is None:
        return name, None
    return name, (int(row),) if col is None else (int(row), int(col))
