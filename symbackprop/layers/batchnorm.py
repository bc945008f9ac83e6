"""``batchnorm``: batch normalisation with the batch's own statistics (training mode).

``{"type": "batchnorm", "activation": …}`` on a vector (one statistic per
feature) or an image (one per channel, over the batch and every position);
parameters gamma{l} and beta{l}, one entry per feature or channel.  With N the
number of entries a statistic runs over (the batch size, times H·W for an
image)::

    μ = (1/N) Σ_n x_n,   σ² = (1/N) Σ_n (x_n − μ)²,   x̂_n = (x_n − μ)/√(σ² + ε),
    z_n = γ x̂_n + β,   a_n = act(z_n)

with ε = 1e-5 and the biased variance, as PyTorch's BatchNorm in training.
Every sample's output depends on the whole batch, so backwards SymPy goes
through the graph μ, σ², x̂ (:class:`~symbackprop.layers.normalise_graph.Graph`) and
collapses it, with σ = √(σ² + ε), to

    ∂L/∂x_n = (γ/(N σ)) (N δ_n − Σ_m δ_m − x̂_n Σ_m δ_m x̂_m),
    ∂L/∂γ = Σ_n δ_n x̂_n,   ∂L/∂β = Σ_n δ_n.

>>> from symbackprop.activations import activation
>>> layer = BatchNorm((3,), activation("relu"))
>>> layer.parameter_shapes(2), layer.describe()
({'gamma2': (3,), 'beta2': (3,)}, 'batchnorm relu')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..activations import Activation
from ..symbols import activation, pre_activation, scale, shift
from .base import IndexDerivation, IndexRule, Reader, Shape, shape_text
from .normalise import Normalisation
from .normalise_graph import Graph
from .normalise_ops import EPSILON, Over


@dataclass(frozen=True)
class BatchNorm(Normalisation):
    """Batch normalisation of a vector (per feature) or an image (per channel), then an activation."""

    shape: tuple[int, ...]
    activation: Activation  # type: ignore[assignment]

    kind: ClassVar[str] = "batchnorm"

    @property
    def in_shape(self) -> Shape:
        return self.shape

    @property
    def out_shape(self) -> Shape:
        return self.shape

    @property
    def features(self) -> int:
        """The number of statistics: features of a vector, channels of an image."""
        return self.shape[0]

    @property
    def image(self) -> bool:
        return len(self.shape) == 3

    @property
    def over(self) -> Over:
        axes = (0, 2, 3) if self.image else (0,)
        return Over(axes, index="n", count="N", batch=True, what="the batch", channels=self.image)

    @property
    def statistic_shape(self) -> Shape:
        return (self.features, 1, 1) if self.image else (self.features,)

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> BatchNorm | None:
        act = cls.read_activation(reader)
        if in_shape is not None and len(in_shape) not in (1, 3):
            reader.problem(
                f"normalises a vector (per feature) or an image (per channel), but its input has shape "
                f"{shape_text(in_shape)}"
            )
            return None
        if act is None or in_shape is None:
            return None
        return cls(tuple(in_shape), act)

    def index_rule(self, index: int, batch: int = 2) -> IndexRule:
        """The forward rule over a batch of ``batch`` samples, written out with sums over the batch
        (the tests differentiate it with SymPy); the printed derivation goes through the graph."""
        n, m = sympy.symbols("n m", integer=True, positive=True)
        x = activation(index - 1).indexed()
        gamma, beta = scale(index).indexed(), shift(index).indexed()
        if self.image:
            positions = tuple(sympy.symbols("c i j", integer=True, positive=True))
            _, h, w = self.shape
            u, v = sympy.symbols("u v", integer=True, positive=True)
            count, limits, entry = batch * h * w, ((m, 1, batch), (u, 1, h), (v, 1, w)), x[m, positions[0], u, v]
        else:
            positions = (sympy.Symbol("j", integer=True, positive=True),)
            count, limits, entry = batch, ((m, 1, batch),), x[m, positions[0]]
        mean = sympy.Sum(entry, *limits) / count
        variance = sympy.Sum((entry - mean) ** 2, *limits) / count
        channel = positions[0]
        expr = gamma[channel] * (x[(n, *positions)] - mean) / sympy.sqrt(variance + sympy.Float(EPSILON)) + beta[channel]
        names = ("n", *(str(p) for p in positions))
        return IndexRule(
            output=pre_activation(index).indexed(),
            indices=(n, *positions),
            ranges=(batch, *self.shape),
            expr=expr,
            inputs=(
                (gamma, (self.features,), (names[1],)),
                (beta, (self.features,), (names[1],)),
                (x, (batch, *self.shape), names),
            ),
            textbook={},
        )

    def index_derivation(self, index: int) -> IndexDerivation:
        note = (
            "For each channel $j$ of the image; $n$ numbers the entries of the channel, every position "
            "of every sample of the batch: $M = N \\cdot H \\cdot W$ of them for a batch of $N$."
            if self.image
            else "For each feature $j$; $n$ numbers the samples of the batch, $N$ is the batch size."
        )
        count = "M" if self.image else "N"
        return self.graph_derivation(index, Graph(index, "n", ("j",), count, per_entry_scale=False), note)
