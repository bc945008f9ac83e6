"""The one naming convention: every generated name and its LaTeX and text forms.

Layers are numbered 1..L and layer 0 is the input, so a0 is x.  Indices in
names and printed math are 1-based, as in the textbooks.  A scalar name joins
its indices without a separator while every index has one digit (``w2_12``)
and with underscores otherwise (``w2_1_12``), so names stay short for the
small networks people read and unambiguous for large ones.  A letter stands
for a generic index (``delta2_j``, printed δ⁽²⁾_j).

A quantity of a layer is a :class:`Name` (``W2``, ``delta1``, ``x``); it
knows its Python name, its printed forms, its scalar entries and the name of
its batch array in generated code.  A parameter or one entry of it, as a
person types it (``W2``, ``W2[1,2]``), is read once into a :class:`Wrt`.

>>> scalar_name("w", 2, 1, 2)
'w2_12'
>>> scalar_name("w", 1, 3, 10)
'w1_3_10'
>>> latex_name("w2_12"), latex_name("delta3_1"), latex_name("x2")
('w^{(2)}_{12}', '\\\\delta^{(3)}_{1}', 'x_{2}')
>>> latex_name("W2"), latex_name("delta1"), latex_name("delta2_j")
('W^{(2)}', '\\\\delta^{(1)}', '\\\\delta^{(2)}_{j}')
>>> parse_name("w1_3_10")
('w', 1, (3, 10))
>>> weight(2).entry(1, 2), error(3).array, activation(0), str(Wrt.parse("W2[1,2]"))
('w2_12', 'D3', Name(stem='x', layer=None), 'W2[1,2]')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import sympy

from .errors import UnknownParameterError

# Families of per-layer quantities: Python stem -> (LaTeX stem, Unicode stem).
# The quantities the layers of the list form add: an RNN's recurrent weights U and states h,
# a normalisation's scale γ and shift β, its mean μ, deviation σ = √(σ² + ε) and x̂, a dropout mask m.
_MORE_STEMS = {
    "gamma": (r"\gamma", "γ"),
    "beta": (r"\beta", "β"),
    "h": ("h", "h"),
    "mu": (r"\mu", "μ"),
    "sigma": (r"\sigma", "σ"),
    "xhat": (r"\hat{x}", "x̂"),
    "var": (r"{\sigma^{2}}", "σ²"),
    "m": ("m", "m"),
}
LAYER_STEMS = {
    "w": ("w", "w"),
    "u": ("u", "u"),
    "b": ("b", "b"),
    "z": ("z", "z"),
    "a": ("a", "a"),
    "delta": (r"\delta", "δ"),
    **_MORE_STEMS,
}
MATRIX_STEMS = {
    "W": ("W", "W"),
    "U": ("U", "U"),
    "b": ("b", "b"),
    "z": ("z", "z"),
    "a": ("a", "a"),
    "delta": (r"\delta", "δ"),
    **_MORE_STEMS,
}
SAMPLE_STEMS = {"x": "x", "y": "y"}
# Gradients as a derivation names them: dW2 is ∂L/∂W⁽²⁾, db1 is ∂L/∂b⁽¹⁾, dA2 is ∂L/∂a⁽²⁾.
GRADIENT_STEMS = {"dW": "W", "dU": "U", "db": "b", "dgamma": "gamma", "dbeta": "beta", "dA": "a"}
# Other courses' stems, read as ours: A2 is a⁽²⁾, dZ2 is δ⁽²⁾ (Andrew Ng's capitals).
NOTATION = {"A": "a", "Z": "z", "dZ": "delta", "dz": "delta", "da": "dA", "dw": "dW"}
# The parameters a network may have, by stem: weights W (and an RNN's U), biases, scales and shifts.
PARAMETER_STEMS = ("W", "U", "b", "gamma", "beta")
# Parameters whose entries have two indices (a matrix) in the MLP-style names w2_12.
MATRIX_PARAMETERS = ("W", "U")
# Batch arrays in generated code: rows are samples, so a column a⁽ˡ⁾ becomes A<l>.
ARRAY_STEMS = {
    "x": "X", "y": "Y", "z": "Z", "a": "A", "delta": "D", "W": "W", "U": "U", "b": "b",
    "gamma": "gamma", "beta": "beta", "h": "H", "mu": "MU", "sigma": "SIGMA", "xhat": "XHAT", "m": "M",
}
# Other arrays of generated code, per layer: a softmax's shifted z, its exponentials,
# their row sums and its log; the product a ⊙ ∂ℓ/∂a of a softmax output; and,
# numbered in order, the results of a layer's own operations.
ARRAY_TEMPORARIES = {"shifted": "S", "exponential": "E", "total": "T", "log": "LOGA", "product": "G", "operation": "P"}

# The loss of one sample.  Its symbol is named L, but it prints as ℒ: L is the
# number of layers (δ⁽ᴸ⁾ is the output layer's error).
LOSS = sympy.Symbol("L")
LOSS_LATEX, LOSS_TEXT = r"\mathcal{L}", "ℒ"

_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

_LAYER_STEM = "w|u|b|z|a|delta|gamma|beta|h|mu|var|sigma|xhat|m"
_MATRIX_STEM = "W|U|b|z|a|delta|gamma|beta|h|mu|var|sigma|xhat|m"
_LAYER_SCALAR = re.compile(rf"^({_LAYER_STEM})(\d+)_(\d+(?:_\d+)*)$")
_LETTER_INDEX = re.compile(rf"^({_LAYER_STEM})(\d+)_([a-z]{{1,2}})$")
_MATRIX = re.compile(rf"^({_MATRIX_STEM})(\d+)$")
_QUANTITY = re.compile(rf"^({_MATRIX_STEM}|{'|'.join(GRADIENT_STEMS)})(\d+)$")
_SAMPLE = re.compile(r"^(x|y)(\d+)$")
_SAMPLE_ARRAY = re.compile(r"^(x|y)_(\d+(?:_\d+){2,})$")
_WRT = re.compile(r"^\s*(W|U|b|gamma|beta)(\d+)\s*(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*$")


def scalar_name(stem: str, layer: int | None, *indices: int | str) -> str:
    """Python name of one scalar entry (1-based indices, or one letter index).

    An entry of an array of three or more axes (an image, a conv kernel) always
    separates its indices: ``a1_2_3_4`` is channel 2, row 3, column 4, and the
    input's ``x_1_2_3``.

    >>> scalar_name("a", 1, 2, 3, 4), scalar_name("x", None, 1, 2, 3), scalar_name("w", 1, 1, 1, 2, 2)
    ('a1_2_3_4', 'x_1_2_3', 'w1_1_1_2_2')
    """
    if len(indices) <= 2 and all(isinstance(i, int) and i < 10 for i in indices):
        joined = "".join(str(i) for i in indices)
    else:
        joined = "_".join(str(i) for i in indices)
    if layer is None:
        return f"{stem}_{joined}" if len(indices) > 2 else f"{stem}{joined}"
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
        parts = rest.split("_")
        if stem in ("w", "u") and len(parts) == 1:
            parts = list(rest)  # w2_12: one digit per index
        # A weight matrix has 2 indices, a kernel 4; a column 1, an image 3 or more.
        valid = len(parts) in (2, 4) if stem in ("w", "u") else len(parts) != 2
        if not valid:
            raise ValueError(f"{name!r} is not a symbackprop scalar name")
        return stem, layer, tuple(int(p) for p in parts)
    m = _SAMPLE.match(name)
    if m:
        return m.group(1), None, (int(m.group(2)),)
    m = _SAMPLE_ARRAY.match(name)
    if m:
        return m.group(1), None, tuple(int(p) for p in m.group(2).split("_"))
    raise ValueError(f"{name!r} is not a symbackprop scalar name")


def _superscript_layer(layer: int | str) -> str:
    return "⁽" + str(layer).translate(_SUPERSCRIPT_DIGITS) + "⁾"


@cache
def latex_name(name: str) -> str:
    """LaTeX form of a scalar or matrix-level name; other names unchanged."""
    return latex_form(name) or name


@cache
def latex_form(name: str) -> str | None:
    """LaTeX form of one of our names, or None for a name that is not ours."""
    if name == LOSS.name:
        return LOSS_LATEX
    m = _MATRIX.match(name)
    if m:
        stem, layer = m.groups()
        return f"{MATRIX_STEMS[stem][0]}^{{({layer})}}"
    m = _LETTER_INDEX.match(name)
    if m:
        stem, layer, index = m.groups()
        return f"{LAYER_STEMS[stem][0]}^{{({layer})}}_{{{index}}}"
    try:
        stem, layer, indices = parse_name(name)
    except ValueError:
        return None
    sep = "" if len(indices) <= 2 and all(i < 10 for i in indices) else ","
    sub = sep.join(str(i) for i in indices)
    if layer is None:
        return f"{stem}_{{{sub}}}"
    return f"{LAYER_STEMS[stem][0]}^{{({layer})}}_{{{sub}}}"


@cache
def unicode_name(name: str) -> str:
    """Plain-text form with Unicode super- and subscripts: ``w⁽²⁾₁₂``."""
    if name == LOSS.name:
        return LOSS_TEXT
    m = _MATRIX.match(name)
    if m:
        stem, layer = m.groups()
        return MATRIX_STEMS[stem][1] + _superscript_layer(layer)
    m = _LETTER_INDEX.match(name)
    if m:
        stem, layer, index = m.groups()
        return f"{LAYER_STEMS[stem][1]}{_superscript_layer(layer)}_{index}"
    try:
        stem, layer, indices = parse_name(name)
    except ValueError:
        return name
    sep = "" if len(indices) <= 2 and all(i < 10 for i in indices) else ","
    sub = sep.join(str(i) for i in indices).translate(_SUBSCRIPT_DIGITS)
    if layer is None:
        return stem + sub
    return LAYER_STEMS[stem][1] + _superscript_layer(layer) + sub


def real_symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol for a name; every quantity here is real."""
    return sympy.Symbol(name, real=True)


# -- typed names of the quantities of a network -------------------------------


@dataclass(frozen=True, order=True)
class Name:
    """A quantity of the network at matrix level: ``W2``, ``b1``, ``z1``, ``a1``, ``delta1``, ``x``, ``y``.

    ``layer`` is None for the sample's ``x`` and ``y``; a⁽⁰⁾ is ``x`` (see :func:`activation`).
    """

    stem: str
    layer: int | None = None

    def __str__(self) -> str:
        return self.stem if self.layer is None else matrix_name(self.stem, self.layer)

    @classmethod
    def parse(cls, text: str) -> Name:
        """``"W2"`` -> Name("W", 2), ``"delta1"``, ``"dW1"``, ``"x"``; raises ValueError for other text."""
        if text in SAMPLE_STEMS:
            return cls(text)
        m = _QUANTITY.match(text)
        if not m:
            raise ValueError(f"{text!r} is not the name of a quantity such as W2, a1 or delta3")
        return cls(m.group(1), int(m.group(2)))

    @property
    def latex(self) -> str:
        return latex_name(str(self))

    @property
    def text(self) -> str:
        """The Unicode form: ``W⁽²⁾``, ``δ⁽¹⁾``; a gradient reads ``∂L/∂W⁽²⁾``."""
        if self.stem in GRADIENT_STEMS:
            return "∂L/∂" + Name(GRADIENT_STEMS[self.stem], self.layer).text
        return unicode_name(str(self))

    @property
    def is_parameter(self) -> bool:
        return self.stem in PARAMETER_STEMS

    @property
    def array(self) -> str:
        """The batch array in generated code: ``X``, ``Z2``, ``A2``, ``D2``, ``W2``, ``b2``."""
        stem = ARRAY_STEMS[self.stem]
        return stem if self.layer is None else f"{stem}{self.layer}"

    @property
    def gradient_array(self) -> str:
        """The array that holds ∂L/∂(this parameter) in generated code: ``gW2``."""
        return f"g{self.array}"

    def entry(self, *indices: int | str) -> str:
        """The Python name of one entry (1-based): ``w2_12``, ``a1_3``, ``x4``, ``delta2_j``."""
        stem = self.stem.lower() if self.stem in MATRIX_PARAMETERS else self.stem
        if self.layer is None and isinstance(indices[0], str):
            return f"{stem}_{indices[0]}"
        return scalar_name(stem, self.layer, *indices)

    def symbol(self, *indices: int | str) -> sympy.Symbol:
        """The real SymPy symbol of one entry."""
        return real_symbol(self.entry(*indices))

    def indexed(self) -> sympy.IndexedBase:
        """The quantity as a SymPy IndexedBase, for rules in index notation: ``W2[j, k]``."""
        return sympy.IndexedBase(str(self))

    def cell(self, row: int, col: int = 1, *more: int) -> str:
        """The Python name of the entry at (row, col, …), 1-based; a column's entries have one index."""
        if more:
            return self.entry(row, col, *more)
        return self.entry(row, col) if self.stem in MATRIX_PARAMETERS else self.entry(row)


INPUT = Name("x")
TARGET = Name("y")


def weight(layer: int) -> Name:
    """W⁽ˡ⁾."""
    return Name("W", layer)


def bias(layer: int) -> Name:
    """b⁽ˡ⁾."""
    return Name("b", layer)


def pre_activation(layer: int) -> Name:
    """z⁽ˡ⁾."""
    return Name("z", layer)


def activation(layer: int) -> Name:
    """a⁽ˡ⁾; a⁽⁰⁾ is the input x."""
    return INPUT if layer == 0 else Name("a", layer)


def error(layer: int) -> Name:
    """δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾."""
    return Name("delta", layer)


def recurrent_weight(layer: int) -> Name:
    """U⁽ˡ⁾, the weights from an RNN's state to its next step."""
    return Name("U", layer)


def states(layer: int) -> Name:
    """h⁽ˡ⁾, an RNN's states over the steps."""
    return Name("h", layer)


def scale(layer: int) -> Name:
    """γ⁽ˡ⁾, a normalisation's scale."""
    return Name("gamma", layer)


def shift(layer: int) -> Name:
    """β⁽ˡ⁾, a normalisation's shift."""
    return Name("beta", layer)


def mean(layer: int) -> Name:
    """μ⁽ˡ⁾, the mean a normalisation subtracts."""
    return Name("mu", layer)


def variance(layer: int) -> Name:
    """σ²⁽ˡ⁾, the (biased) variance of a normalisation."""
    return Name("var", layer)


def deviation(layer: int) -> Name:
    """σ⁽ˡ⁾ = √(σ² + ε), what a normalisation divides by."""
    return Name("sigma", layer)


def normalised(layer: int) -> Name:
    """x̂⁽ˡ⁾ = (x − μ)/σ."""
    return Name("xhat", layer)


def mask(layer: int) -> Name:
    """m⁽ˡ⁾, a dropout layer's mask."""
    return Name("m", layer)


def activation_gradient(layer: int) -> Name:
    """∂L/∂a⁽ˡ⁾, which a derivation names dA<l>."""
    return Name("dA", layer)


def gradient_name(name: Name) -> Name:
    """The name a derivation gives ∂L/∂(name): W2 -> dW2, b1 -> db1, a1 -> dA1."""
    stem = next(d for d, stem in GRADIENT_STEMS.items() if stem == name.stem)
    return Name(stem, name.layer)


def temporary(role: str, number: int) -> str:
    """An array of generated code other than a layer's quantities, e.g. ``temporary("exponential", 3)``: E3."""
    return f"{ARRAY_TEMPORARIES[role]}{number}"


def parameter(text: str) -> Name:
    """``"W2"`` -> weight(2); raises ValueError for anything that is not a parameter name."""
    m = _MATRIX.match(text)
    if not m or m.group(1) not in PARAMETER_STEMS:
        raise ValueError(f"{text!r} is not a parameter name such as W2 or b1")
    return Name(m.group(1), int(m.group(2)))


@dataclass(frozen=True)
class Wrt:
    """What a gradient is taken with respect to: a parameter, or one entry of it.

    ``entry`` is 1-based as a person writes it (``W2[1,2]`` -> (1, 2)); a bias
    entry has one index.  Read from text once with :meth:`parse`, then checked
    against a network's parameter shapes with :meth:`within`.

    >>> Wrt.parse(" W2 [ 1 , 2 ] ").entry, Wrt.parse("b1").entry, str(Wrt.parse("b1[3]"))
    ((1, 2), None, 'b1[3]')
    >>> Wrt.parse("W2[1,2]").cell
    (0, 1)
    """

    parameter: Name
    entry: tuple[int, ...] | None = None

    def __str__(self) -> str:
        if self.entry is None:
            return str(self.parameter)
        return f"{self.parameter}[{','.join(map(str, self.entry))}]"

    @property
    def name(self) -> str:
        """The parameter's name: ``W2``."""
        return str(self.parameter)

    @property
    def kind(self) -> str:
        """The parameter's stem: ``"W"``, ``"b"`` (``"U"``, ``"gamma"``, ``"beta"`` in the list form)."""
        return self.parameter.stem

    @property
    def layer(self) -> int:
        return int(self.parameter.layer)  # type: ignore[arg-type]

    @property
    def cell(self) -> tuple[int, int] | None:
        """The entry as a 0-based (row, col) of the gradient matrix (a bias is a column)."""
        if self.entry is None:
            return None
        return (self.entry[0] - 1, self.entry[1] - 1 if len(self.entry) == 2 else 0)

    @classmethod
    def parse(cls, text: str) -> Wrt:
        """Read ``W2``, ``b1``, ``W2[1,2]`` or ``b1[3]``; raises ValueError for anything else."""
        m = _WRT.match(text) if isinstance(text, str) else None
        if not m:
            raise ValueError(
                f"cannot read the parameter {text!r}; expected a name such as W2 or b1, "
                "optionally with a 1-based entry such as W2[1,2] or b1[3]"
            )
        kind, layer, row, col = m.groups()
        name = Name(kind, int(layer))
        if row is None:
            return cls(name)
        return cls(name, (int(row),) if col is None else (int(row), int(col)))

    @classmethod
    def read(cls, text: str, shapes: Mapping[str, tuple[int, ...]]) -> Wrt:
        """Parse ``text`` and check it against a network's parameter shapes.

        Raises UnknownParameterError naming the parameters the network has, or
        the entries a parameter has.
        """
        try:
            wrt = cls.parse(text)
        except ValueError:
            wrt = None
        if wrt is None or wrt.name not in shapes:
            raise UnknownParameterError(
                f"unknown parameter {text!r}; this network has {', '.join(shapes)} "
                "(one entry: W1[2,1] or b1[2], 1-based)"
            )
        return wrt.within(shapes, text)

    def within(self, shapes: Mapping[str, tuple[int, ...]], text: str | None = None) -> Wrt:
        """This Wrt, after checking that its entry lies inside the parameter's shape."""
        if self.name not in shapes:
            raise UnknownParameterError(
                f"unknown parameter {self.name!r}; this network has {', '.join(shapes)}"
            )
        if self.entry is None:
            return self
        shape = shapes[self.name]
        shown = str(self) if text is None else text
        example = f"{self.name}[{','.join('1' * len(shape))}]"
        if len(self.entry) != len(shape):
            raise UnknownParameterError(
                f"{shown!r} is not an entry of {self.name}, which has shape {shape}; "
                f"give {len(shape)} 1-based {'indices' if len(shape) > 1 else 'index'}, e.g. {example}"
            )
        if not all(1 <= i <= n for i, n in zip(self.entry, shape, strict=True)):
            raise UnknownParameterError(
                f"{shown!r} is not an entry of {self.name}: it lies outside its shape {shape}; "
                f"entries are numbered from 1, e.g. {example}"
            )
        return self


def parse_wrt(text: str) -> tuple[str, tuple[int, ...] | None]:
    """Split ``W2[1,2]`` into ``("W2", (1, 2))``; ``b1[3]`` and plain ``W2`` work too.

    Indices are 1-based as printed.  Raises ValueError for anything else.

    >>> parse_wrt("W2[1,2]"), parse_wrt("b1"), parse_wrt("b1[3]")
    (('W2', (1, 2)), ('b1', None), ('b1', (3,)))
    """
    wrt = Wrt.parse(text)
    return wrt.name, wrt.entry


# -- the scalar symbols of a network --------------------------------------------


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
        try:
            which = parameter(name)
        except ValueError:
            raise KeyError(name) from None
        return self.matrix(which)

    def matrix(self, name: Name) -> sympy.ImmutableMatrix:
        """The symbol matrix of any quantity: x, y, W2, b1, z1, a1 (a0 is x), delta1."""
        if name.layer is None or (name.stem == "a" and name.layer == 0):
            return self.x if name.stem in ("x", "a") else self.y
        if not 1 <= name.layer <= len(self.layers):
            raise KeyError(str(name))
        value = getattr(self.layers[name.layer - 1], name.stem)
        if value is None:
            raise KeyError(str(name))
        return value


def column(name: Name, size: int) -> sympy.ImmutableMatrix:
    """A column of scalar symbols, e.g. a⁽¹⁾ = (a1_1, …, a1_n)ᵀ."""
    return sympy.ImmutableMatrix(size, 1, [name.symbol(j) for j in range(1, size + 1)])


def grid(name: Name, rows: int, cols: int) -> sympy.ImmutableMatrix:
    """A matrix of scalar symbols, e.g. W⁽²⁾ = (w2_jk)."""
    return sympy.ImmutableMatrix(
        rows, cols, [name.symbol(j, k) for j in range(1, rows + 1) for k in range(1, cols + 1)]
    )


def network_symbols(sizes: tuple[int, ...], bias: bool) -> NetworkSymbols:
    """Symbols for a network with layer sizes ``(n0, n1, …, nL)``."""
    layers = []
    for layer in range(1, len(sizes)):
        rows, cols = sizes[layer], sizes[layer - 1]
        layers.append(
            LayerSymbols(
                index=layer,
                W=grid(weight(layer), rows, cols),
                b=column(Name("b", layer), rows) if bias else None,
                z=column(pre_activation(layer), rows),
                a=column(activation(layer), rows),
                delta=column(error(layer), rows),
            )
        )
    return NetworkSymbols(
        x=column(INPUT, sizes[0]), y=column(TARGET, sizes[-1]), layers=tuple(layers)
    )
