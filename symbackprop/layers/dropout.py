"""``dropout``: inverted dropout, each entry kept with probability 1 − p and scaled by 1/(1 − p).

``{"type": "dropout", "p": 0.5}`` on a vector, an image or a sequence; no
parameters.  The mask m holds 0 (dropped, with probability p) or 1/(1 − p)
for every entry of every sample::

    a = m ⊙ x,   backwards   ∂L/∂x = m ⊙ δ

so the expected output is x itself, and a network run without dropout (for a
prediction) needs no rescaling.  The mask is drawn from a seed: the compiled
functions take ``seed`` (0 unless given; None switches dropout off), and the
same seed gives the same mask, so it stays fixed while a gradient is computed
or checked; training draws a new seed for every step.

>>> import numpy
>>> _dropout_mask(numpy.zeros((2, 3)), 0.5, 0, 1)
array([[2., 2., 2.],
       [2., 0., 0.]])
>>> _dropout_mask(numpy.zeros((1, 2)), 0.5, None, 1)
array([[1., 1.]])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..display import Formula
from ..symbols import activation, mask
from ..tensor import Assignment, Op, Quantity, Tensor, quantity
from .base import VERIFY, WORKSHEET, IndexRule, Layer, Reader, Rules, Shape, layer_quantities


def _dropout_mask(A, p, seed, layer):
    """The mask for the batch A: 1/(1 − p) where an entry is kept, 0 where it is dropped.

    Drawn from (seed, layer), so each dropout layer has its own mask and the same seed
    gives the same masks; seed None gives ones (no dropout, as for a prediction).
    """
    import numpy

    if seed is None:
        return numpy.ones(A.shape, dtype=A.dtype)
    kept = numpy.random.default_rng((seed, layer)).random(A.shape) >= p
    return kept * numpy.asarray(1 / (1 - p), dtype=A.dtype)


def _given_mask(A, masks, name):
    """An export's mask ``name`` for the batch A, from the masks its caller drew; None: no dropout.

    PyTorch's Model draws them with torch's random numbers, JAX's loss_function from a key.
    """
    if masks is None:
        return 1  # a = 1 · x: no dropout
    if tuple(masks[name].shape) != tuple(A.shape):
        raise ValueError(f"dropout mask {name} has shape {tuple(masks[name].shape)}, expected {tuple(A.shape)}")
    return masks[name]


@dataclass(frozen=True)
class Mask(Op):
    """m: the dropout mask of one layer, drawn from the seed (one entry per entry of x)."""

    x: Tensor
    p: float
    layer: int
    target: Quantity

    helpers = (_dropout_mask,)
    torch_helpers = jax_helpers = (_given_mask,)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x,)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.target.shape

    def compute(self, X: Any, seed: int | None = 0) -> Any:
        return _dropout_mask(X, self.p, seed, self.layer)

    def symbolic(self, X: Any) -> Any:
        """The mask's own symbols: it is drawn, not computed from x."""
        import numpy

        out = numpy.empty(X.shape, dtype=object)
        for index in numpy.ndindex(X.shape):
            out[index] = self.target.name.symbol(*(i + 1 for i in index))
        return out

    def sample(self, draw: Any) -> tuple[Any, ...]:
        from fractions import Fraction

        kept = 1 / (1 - Fraction(str(self.p)))  # 1/(1 − p) as written: p = 0.3 gives 10/7
        return tuple(Fraction(0) if draw() < self.p else kept for _ in range(math.prod(self.shape)))

    def numpy(self, args: list[str]) -> str:
        return f"_dropout_mask({args[0]}, {self.p!r}, seed, {self.layer})"

    def torch(self, args: list[str]) -> str:
        return f"_given_mask({args[0]}, masks, {self.target.name.array!r})"

    jax = torch

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return ()  # x gives the mask its shape only: none of its values are read

    def display(self, args: list[Any]) -> Any:
        """Drawn from the seed: printed without x, which it does not depend on."""
        return Formula(rf"\operatorname{{mask}}_{{p = {self.p:g}}}\left(\mathrm{{seed}}\right)", f"mask_p={self.p:g}(seed)")

    def show(self, args: list[str]) -> str:
        return f"mask({args[0]}, p={self.p:g})"


@dataclass(frozen=True)
class Dropout(Layer):
    """Inverted dropout with probability ``p`` of dropping each entry."""

    shape: tuple[int, ...]
    p: float

    kind: ClassVar[str] = "dropout"
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})
    keys: ClassVar[tuple[str, ...]] = ("type", "p")
    stochastic: ClassVar[bool] = True

    @property
    def in_shape(self) -> Shape:
        return self.shape

    @property
    def out_shape(self) -> Shape:
        return self.shape

    def describe(self) -> str:
        return f"dropout({self.p:g})"

    def to_spec(self) -> dict[str, Any]:
        return {"type": "dropout", "p": self.p}

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> Dropout | None:
        p = raw.get("p")
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p < 1:
            reader.problem(f"'p' must be a probability of dropping an entry, at least 0 and below 1, got {p!r}")
            return None
        return cls(tuple(in_shape), float(p)) if in_shape is not None else None

    def rules(self, index: int, prev: Quantity) -> DropoutRules:
        q = layer_quantities(index, self.out_shape, with_activation=False)
        return DropoutRules(index=index, layer=self, prev=prev, a=q["a"], delta=q["delta"], mask=quantity(mask(index), self.shape))

    def index_rule(self, index: int) -> IndexRule:
        names = ("j",) if len(self.shape) == 1 else ("t", "j") if len(self.shape) == 2 else ("c", "i", "j")
        indices = tuple(sympy.Symbol(name, integer=True, positive=True) for name in names)
        x = activation(index - 1).indexed()
        m = mask(index).indexed()
        return IndexRule(
            output=activation(index).indexed(),
            indices=indices,
            ranges=self.shape,
            expr=m[indices] * x[indices],
            inputs=((x, self.shape, names),),
            textbook={"a": r"$\delta$ through the same mask: $m \odot \delta$"},
            note=rf"the mask $m$ is $0$ with probability $p = {self.p:g}$, else $1/(1 - p)$; drawn from the seed",
        )


@dataclass(frozen=True)
class DropoutRules(Rules):
    """Layer l, a dropout: a = m ⊙ a_prev, and ∂L/∂a_prev = m ⊙ δ backwards."""

    mask: Quantity

    @property
    def forward(self) -> tuple[Assignment, ...]:
        p = self.layer.p
        return (
            Assignment(
                self.mask, Mask(self.prev, p, self.index, self.mask),
                note=rf"layer {self.index}: drawn from the seed, independent of $a^{{({self.index - 1})}}$: "
                r"each entry $0$ with probability $p$, else $1/(1 - p)$",
            ),
            Assignment(self.a, self.mask * self.prev, note="inverted dropout"),
        )

    @property
    def input_gradient(self) -> Tensor:
        return self.mask * self.delta
