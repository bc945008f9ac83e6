"""``layernorm``: layer normalisation, each sample over its own features.

``{"type": "layernorm", "activation": …}`` on a vector of n features;
parameters gamma{l} and beta{l} of n entries each::

    μ = (1/n) Σ_j x_j,   σ² = (1/n) Σ_j (x_j − μ)²,   x̂_j = (x_j − μ)/√(σ² + ε),
    z_j = γ_j x̂_j + β_j,   a = act(z)

with ε = 1e-5 and the biased variance, as PyTorch's LayerNorm.  The graph is
batch norm's over another set (:mod:`symbackprop.layers.normalise`); here γ
varies over the set, so it stays inside the sums: with g = γ ⊙ δ and
σ = √(σ² + ε),

    ∂L/∂x = (1/(n σ)) (n g − Σ_j g_j − x̂ Σ_j g_j x̂_j),
    ∂L/∂γ = δ ⊙ x̂,   ∂L/∂β = δ   (summed over the batch).

>>> from symbackprop.activations import activation
>>> LayerNorm(4, activation("identity")).parameter_shapes(1)
{'gamma1': (4,), 'beta1': (4,)}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..activations import Activation
from ..symbols import activation, pre_activation, scale, shift
from .base import VERIFY, WORKSHEET, IndexDerivation, IndexRule, Reader, Shape, shape_text
from .normalise import Normalisation
from .normalise_graph import Graph
from .normalise_ops import EPSILON, Over

OVER_FEATURES = Over(axes=(1,), index="j", count="n", batch=False, what="the features of the sample")


@dataclass(frozen=True)
class LayerNorm(Normalisation):
    """Layer normalisation of a vector of ``features``, then an activation."""

    features: int
    activation: Activation  # type: ignore[assignment]

    kind: ClassVar[str] = "layernorm"
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})

    @property
    def in_shape(self) -> Shape:
        return (self.features,)

    @property
    def out_shape(self) -> Shape:
        return (self.features,)

    @property
    def over(self) -> Over:
        return OVER_FEATURES

    @property
    def statistic_shape(self) -> Shape:
        return (1,)  # one per sample

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> LayerNorm | None:
        act = cls.read_activation(reader)
        if in_shape is not None and len(in_shape) != 1:
            reader.problem(
                f"normalises the features of a vector, but its input has shape {shape_text(in_shape)}; "
                "put a flatten layer before it"
            )
            return None
        if in_shape is not None and in_shape[0] < 2:
            reader.problem("needs at least 2 features to normalise over (one feature normalises to 0)")
            return None
        if act is None or in_shape is None:
            return None
        return cls(in_shape[0], act)

    def index_rule(self, index: int) -> IndexRule:
        """The forward rule of one sample with its sums over the features written out (the tests
        differentiate it with SymPy); the printed derivation goes through the graph."""
        j, k = sympy.symbols("j k", integer=True, positive=True)
        x = activation(index - 1).indexed()
        gamma, beta = scale(index).indexed(), shift(index).indexed()
        n = self.features
        mean = sympy.Sum(x[k], (k, 1, n)) / n
        variance = sympy.Sum((x[k] - mean) ** 2, (k, 1, n)) / n
        expr = gamma[j] * (x[j] - mean) / sympy.sqrt(variance + sympy.Float(EPSILON)) + beta[j]
        return IndexRule(
            output=pre_activation(index).indexed(),
            indices=(j,),
            ranges=(n,),
            expr=expr,
            inputs=((gamma, (n,), ("j",)), (beta, (n,), ("j",)), (x, (n,), ("j",))),
            textbook={},
        )

    def index_derivation(self, index: int) -> IndexDerivation:
        note = f"Each sample alone; $j$ numbers its $n = {self.features}$ features."
        return self.graph_derivation(index, Graph(index, "j", (), "n", per_entry_scale=True), note)
