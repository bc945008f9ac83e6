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

import itertools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..activations import DEFAULT_LEAKY_SLOPE
from ..backprop import plan
from ..layers.normalise_ops import EPSILON
from ..spec import Network
from ..symbols import (
    GRADIENT_STEMS,
    INPUT,
    NOTATION,
    TARGET,
    Name,
    activation,
    activation_gradient,
    bias,
    deviation,
    error,
    mask,
    parse_name,
    pre_activation,
    recurrent_weight,
    scalar_name,
    variance,
    weight,
)
from ..tensor import Op
from .grid import batch_view_shape, batch_wide_view_shape, view_shape
from .values import batch_size

Shape = tuple[int, ...]

# The gradients of parameters a derivation may name (dW2, dU1, db1, dgamma2, dbeta2).
PARAMETER_GRADIENTS = tuple(stem for stem in GRADIENT_STEMS if stem != "dA")
# The batch size N, and the ε of a normalisation (1e-5, as written).
BATCH_NAME, EPSILON_NAME = "N", "eps"
# The sizes a formula may name: N, and the height and width of the images batch norm normalises.
SIZE_NAMES = (BATCH_NAME, "H", "W")
# What a formula may call the L2 strength λ (Ng's course writes lambd, CS231n reg).
STRENGTH_NAMES = ("lam", "lambd", "lmbda", "reg")
# Ng's number of samples, as in 1/m: the samples a formula is judged on (one, or a batch norm's N).
SAMPLES = "m"

# A name a derivation may assign, and the quantity it stands for.
_CANONICAL = {**{stem: stem for stem in ("delta", "z", "a", *GRADIENT_STEMS)}, **NOTATION}
_STEP = re.compile(r"^([A-Za-z]+\d*)_(\d+)$")
_QUANTITY = re.compile(r"^(" + "|".join(sorted(_CANONICAL, key=len, reverse=True)) + r")(\d+|L)$")


@dataclass(frozen=True)
class NameTable:
    """Canonical names -> shapes; scalar names -> (matrix name, row, col), 0-based.

    ``depth`` is L; ``activations`` the kind and leaky ReLU slope of each layer's
    activation (what Ng's g⁽ˡ⁾ means); ``slopes`` the leaky ReLU slopes of the network's layers
    (what ``leaky_relu_prime(z)`` means when no slope is written).
    """

    shapes: dict[str, Shape]
    lookup: dict[str, tuple[str, int, int]]
    aliases: dict[str, str] = field(default_factory=dict)
    matrix_names: tuple[str, ...] = ()
    depth: int = 1
    bias: bool = True
    slopes: tuple[Fraction, ...] = ()
    hidden: dict[str, Shape] = field(default_factory=dict)
    constants: dict[str, Fraction] = field(default_factory=dict)
    images: tuple[Shape, ...] = ()  # the shapes of the network's one-channel images, as matrices
    # quantities whose row t is step t (x of an RNN, its h, z, δ) — or, in a batch, whose column i is sample i
    sequences: frozenset[str] = frozenset()
    samples: int = 1  # the batch a formula is judged on (more than one for batch norm)
    activations: tuple[tuple[str, Fraction | None], ...] = ()

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

    def step(self, name: str) -> tuple[str, int] | None:
        """Step t of a sequence as Python writes it, ``x_3`` or ``h1_3`` (row t of x or h⁽¹⁾, as
        LaTeX's x_t): the sequence and the 0-based step, or None."""
        m = _STEP.match(name)
        if m is None or self.samples > 1:
            return None
        sequence = self.resolve(m.group(1))
        t = int(m.group(2))
        if sequence not in self.sequences or not 1 <= t <= self.shapes[sequence][0]:
            return None
        return sequence, t - 1

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
        """The shape of what a derivation's line names: ∂L/∂W⁽ˡ⁾ that of W⁽ˡ⁾, δ⁽ˡ⁾ its own…"""
        stem, layer = split(quantity)
        own = str(Name(GRADIENT_STEMS[stem] if stem in PARAMETER_GRADIENTS else stem, layer))
        return self.shapes[own] if own in self.shapes else self.shapes[str(Name("delta", layer))]

    def unseen(self, name: str) -> str | None:
        """Why a name of this network cannot appear in a formula (an array of more than two
        axes, such as a kernel of several channels), or None."""
        canonical = self.aliases.get(name, name)
        if canonical not in self.hidden:
            return None
        shape = "×".join(map(str, self.hidden[canonical]))
        if self.samples > 1 and len(self.hidden[canonical]) == 4:
            return (
                f"{canonical} has shape {shape}: on a batch of images a formula sees each channel as one row, every "
                "sample's positions in turn, where a kernel larger than 1×1, whose gradient sums a correlation "
                "per sample, cannot be written"
            )
        return (
            f"{canonical} has shape {shape}: a formula sees an image of one channel as a matrix and a kernel "
            "of one input and one output channel as a k×k matrix, but not arrays of more axes"
        )

    def sample_count(self, name: str) -> Fraction | None:
        """Ng's m, the number of samples a formula is judged on, when ``name`` is m and the
        network has no dropout mask m; otherwise None."""
        if name != SAMPLES or any(str(mask(layer)) in self.shapes for layer in range(1, self.depth + 1)):
            return None
        return Fraction(self.samples)

    def units(self, layer: int) -> int:
        """How many units layer ``layer`` has (layer 0 is the input)."""
        return self.shapes[str(INPUT if layer == 0 else pre_activation(layer))][0]

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
    """The names a formula may use on ``network``, read from its plan: each layer's parameters,
    what its forward rules define (z where the layer has an activation, a, an RNN's states h,
    a dropout mask m), δ and ∂L/∂a, in the shapes a formula sees
    (:func:`~symbackprop.verification.grid.view_shape`)."""
    the_plan = plan(network)
    samples = batch_size(the_plan)
    L = network.depth
    x, y, output = str(INPUT), str(TARGET), str(activation(L))
    quantities: dict[str, Shape] = {x: the_plan.x.shape, y: the_plan.y.shape}
    batch_wide = set(network.parameter_names())  # one value for the whole batch
    aliases = {"a0": x, "A0": x, "X": x, "Y": y, "yhat": output, "AL": output, "dAL": str(activation_gradient(L))}
    for entry in the_plan.layers:
        for parameter in entry.parameters:
            quantities[str(parameter.name)] = parameter.shape
        for quantity in (*(step.target for step in entry.forward), entry.z, entry.a, entry.delta):
            if quantity is not None:  # what the forward rules define (h, a mask m, …), z, a and δ
                quantities[str(quantity.name)] = quantity.shape
        for step in entry.forward:
            per_batch = isinstance(step.rule, Op) and step.rule.per_batch  # batch norm's μ and σ
            if per_batch:
                batch_wide.add(str(step.target.name))
            if step.target.name.stem == deviation(1).stem:  # σ², from σ = √(σ² + ε)
                quantities[str(variance(entry.index))] = step.target.shape
                if per_batch:
                    batch_wide.add(str(variance(entry.index)))
        quantities[str(activation_gradient(entry.index))] = entry.a.shape
        layer = entry.index
        aliases.update(
            {str(Name(theirs, layer)): str(Name(ours, layer)) for theirs, ours in NOTATION.items()
             if str(Name(ours, layer)) in quantities}
        )
    shapes: dict[str, Shape] = {}
    hidden: dict[str, Shape] = {}
    for name, shape in quantities.items():
        # A batch: column k of each per-sample quantity is sample k (an image: sample and position).
        if samples == 1:
            seen = view_shape(shape)
        elif name in batch_wide:  # a kernel of k > 1 sums a correlation per sample: no matrix writes it
            seen = batch_wide_view_shape(shape) if len(shape) < 4 or shape[2:] == (1, 1) else None
        else:
            seen = batch_view_shape(shape, samples)
        if seen is None:
            hidden[name] = shape
        else:
            shapes[name] = seen
    matrix_names = tuple(shapes) + ("a0",)
    lookup: dict[str, tuple[str, int, int]] = {}
    parameters = set(network.parameter_names())
    sequences = frozenset(
        name for name, shape in quantities.items() if len(shape) == 2 and shape[1] > 1 and name not in parameters
    )
    for name, shape in quantities.items():
        if name.startswith("dA") or name in hidden or (samples > 1 and name not in batch_wide):
            continue  # a batch's matrices are named whole
        cols = shapes[name][1]
        which = Name.parse(name)
        for k, where in enumerate(itertools.product(*(range(1, n + 1) for n in shape))):
            # An entry of a sequence is (step, unit), as the engine names it: h1_21.
            entry = which.entry(*where) if name in sequences else which.cell(*where)
            lookup[entry] = (name, *divmod(k, cols))
    for name in lookup:
        shapes[name] = ()
    for j in range(count(the_plan.x.shape) if len(the_plan.x.shape) == 2 and the_plan.x.shape[1] == 1 else 0):
        aliases[scalar_name("a", 0, j + 1)] = scalar_name("x", None, j + 1)
    slopes = tuple(
        Fraction(str(spec.activation.slope))
        for spec in network.layers
        if spec.activation is not None and spec.activation.slope is not None
    )
    constants = {name: Fraction(str(network.l2)) for name in STRENGTH_NAMES} if network.l2 else {}
    if samples > 1:
        constants[BATCH_NAME] = Fraction(samples)
        sizes = {spec.shape[1:] for spec in network.layers if spec.kind == "batchnorm" and len(spec.shape) == 3}
        if len(sizes) == 1:  # the positions of each channel, N·H·W entries to a statistic
            constants.update(zip(SIZE_NAMES[1:], map(Fraction, sizes.pop()), strict=True))
    if any(str(Name(deviation(1).stem, layer)) in quantities for layer in range(1, L + 1)):
        constants[EPSILON_NAME] = Fraction(str(EPSILON))
    normalised_layers = [layer for layer in range(1, L + 1) if str(variance(layer)) in quantities]
    if len(normalised_layers) == 1:  # CS231n's dout, and dy: the error of the one batch norm layer
        aliases.update({"dy": str(error(normalised_layers[0])), "dout": str(error(normalised_layers[0]))})
    recurrent_layers = [layer for layer in range(1, L + 1) if str(recurrent_weight(layer)) in quantities]
    if len(recurrent_layers) == 1:  # min-char-rnn's names for the one recurrent layer: Wxh, Whh, bh
        layer = recurrent_layers[0]
        aliases.update({"Wxh": str(weight(layer)), "Whh": str(recurrent_weight(layer)), "bh": str(bias(layer))})
        # … and Why, by for the layer that reads its last state (the output layer of min-char-rnn)
        aliases.update({alias: str(name) for alias, name in (("Why", weight(layer + 1)), ("by", bias(layer + 1)))
                        if str(name) in quantities})
    images = tuple(sorted({shapes[name] for name, shape in quantities.items() if len(shape) == 3 and name in shapes}))
    activations = tuple(
        ("", None) if spec.activation is None
        else (spec.activation.kind, None if spec.activation.slope is None else Fraction(str(spec.activation.slope)))
        for spec in network.layers
    )
    if samples > 1:  # in a batch the one-index entries are samples: x_i, column i of X
        sequences = frozenset(name for name in quantities if name in shapes and name not in batch_wide)
    return NameTable(
        shapes, lookup, aliases, matrix_names, L, network.bias, slopes, hidden, constants, images, sequences, samples,
        activations,
    )


def count(shape: Shape) -> int:
    return math.prod(shape)
