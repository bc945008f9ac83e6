"""What batch norm and layer norm share: a normalisation over a set, then γ ⊙ x̂ + β and an activation.

Over a set S of N entries of x (batch norm: one feature across the batch,
layer norm: the features of one sample)::

    μ = (1/N) Σ_S x,   σ² = (1/N) Σ_S (x − μ)²   (biased),   x̂ = (x − μ)/√(σ² + ε),
    z = γ x̂ + β

:class:`Normalisation` is the layer kind's base, :class:`NormaliseRules` its
entry in the plan (the nodes in :mod:`~symbackprop.layers.normalise_ops`);
the printed derivation goes through the graph μ, σ², x̂ of
:mod:`~symbackprop.layers.normalise_graph`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..activations import Activation
from ..symbols import deviation, mean, normalised, scale, shift
from ..tensor import Activate, Assignment, Quantity, Tensor, quantity
from .base import (
    VERIFY,
    WORKSHEET,
    IndexDerivation,
    Layer,
    Reader,
    Rules,
    Shape,
    activation_backward,
    layer_quantities,
)
from .normalise_graph import Graph
from .normalise_ops import (
    BatchNormalisedInput,
    Deviation,
    Mean,
    NormalisedInput,
    Over,
    ScaleGradient,
    ScaleShift,
    ShiftGradient,
    Standardise,
)

# -- the kinds that normalise: what batch norm and layer norm share ---------------------------


class Normalisation(Layer):
    """A normalisation over ``over``, then z = γ ⊙ x̂ + β and an activation (batch norm, layer norm).

    Subclasses are frozen dataclasses with an ``activation`` field; they give
    ``over``, ``features`` (the entries of γ) and the shape of a statistic.
    """

    keys: ClassVar[tuple[str, ...]] = ("type", "activation")
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})

    @property
    def over(self) -> Over:
        raise NotImplementedError

    @property
    def statistic_shape(self) -> Shape:
        raise NotImplementedError

    def parameter_shapes(self, index: int) -> dict[str, Shape]:
        return {str(scale(index)): (self.features,), str(shift(index)): (self.features,)}

    def describe(self) -> str:
        act = self.activation.name
        return self.kind + ("" if act == "identity" else f" {act}")

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.activation.kind != "identity":
            out["activation"] = self.activation.source or self.activation.name
        return out

    @staticmethod
    def read_activation(reader: Reader) -> Activation | None:
        """The layer's activation (identity unless given); softmax is refused."""
        act = reader.activation()
        if act is not None and not act.elementwise:
            reader.problem("softmax is only for a dense output layer; use relu, tanh or sigmoid here")
            return None
        return act

    def rules(self, index: int, prev: Quantity) -> NormaliseRules:
        q = layer_quantities(index, self.out_shape, with_activation=True)
        return NormaliseRules(
            index=index,
            layer=self,
            prev=prev,
            a=q["a"],
            delta=q["delta"],
            gamma=quantity(scale(index), (self.features,)),
            beta=quantity(shift(index), (self.features,)),
            mu=quantity(mean(index), self.statistic_shape),
            sigma=quantity(deviation(index), self.statistic_shape),
            xhat=quantity(normalised(index), self.in_shape),
            z=q["z"],
        )

    def graph_derivation(self, index: int, graph: Graph, note: str) -> IndexDerivation:
        """The printed derivation through the graph μ, σ², x̂ (see :class:`Graph`)."""
        parameters = graph.parameter_steps()
        return IndexDerivation(
            forward=graph.forward_steps(f"layer {index}: {self.describe()}", self.over.what),
            backward=(
                (str(scale(index)), parameters["gamma"]),
                (str(shift(index)), parameters["beta"]),
                *(("", step) for step in graph.backward_steps(self.over.what)),
            ),
            output=graph.symbols["z"],
            indices=(graph.symbols["k"], *graph.symbols["fixed"]),
            note=note,
        )


@dataclass(frozen=True)
class NormaliseRules(Rules):
    """Layer l, a normalisation: μ, σ, x̂ over its set, z = γ ⊙ x̂ + β, a = act(z)."""

    gamma: Quantity
    beta: Quantity
    mu: Quantity
    sigma: Quantity
    xhat: Quantity
    z: Quantity  # type: ignore[misc]  (last: the base class gives it a default)

    @property
    def parameters(self) -> tuple[Quantity, ...]:
        return (self.gamma, self.beta)

    @property
    def forward(self) -> tuple[Assignment, ...]:
        over, act = self.layer.over, self.activation
        return (
            Assignment(self.mu, Mean(self.prev, over, self.mu), note=f"layer {self.index}: the mean over {over.what}"),
            Assignment(self.sigma, Deviation(self.prev, self.mu, over, self.sigma), note=r"the deviation, biased variance, $\epsilon = 10^{-5}$"),
            Assignment(self.xhat, Standardise(self.prev, self.mu, self.sigma), note="normalised"),
            Assignment(self.z, ScaleShift(self.xhat, self.gamma, self.beta, over), note="scaled and shifted"),
            Assignment(self.a, Activate(act, self.z), note=f"{act.title}, entry by entry"),
        )

    def backward(self, upstream: Tensor) -> Tensor:
        return activation_backward(self.activation, self.z, self.a, upstream)

    @property
    def input_gradient(self) -> Tensor:
        over = self.layer.over
        if over.batch:
            scale, shift = (g.rule for g in self.gradients)
            return BatchNormalisedInput(self.delta, self.xhat, self.sigma, self.gamma, over, shift, scale)
        return NormalisedInput(self.delta, self.xhat, self.sigma, self.gamma, over)

    @property
    def gradients(self) -> tuple[Assignment, ...]:
        axes, shape = self.layer.over.parameter_axes, self.gamma.shape
        return (
            Assignment(self.gamma, ScaleGradient(self.delta, self.xhat, axes, shape), note=r"$\sum_n \delta_n \odot \hat{x}_n$"),
            Assignment(self.beta, ShiftGradient(self.delta, axes, shape), note=r"$\sum_n \delta_n$"),
        )
