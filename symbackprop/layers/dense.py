"""``dense``: a fully connected layer, z = W a_prev + b, a = σ(z).

The layer of the MLP form, and ``{"type": "dense", "units": n, "activation": …,
"bias": true}`` in the list form.  Its plan entry states the textbook
equations once::

    forward   z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = σ(z⁽ˡ⁾)
    BP1/BP2   δ⁽ˡ⁾ = (∂L/∂a⁽ˡ⁾) ⊙ σ'(z⁽ˡ⁾)   (softmax: Jᵀ ∂L/∂a⁽ˡ⁾)
    input     ∂L/∂a⁽ˡ⁻¹⁾ = (W⁽ˡ⁾)ᵀ δ⁽ˡ⁾
    BP3, BP4  ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾,   ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ

>>> from symbackprop.activations import activation
>>> layer = Dense(3, 2, activation("relu"))
>>> layer.out_shape, layer.parameter_shapes(1)
((2,), {'W1': (2, 3), 'b1': (2,)})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..activations import Activation
from ..symbols import activation as activation_name
from ..symbols import bias, pre_activation, weight
from ..tensor import Activate, Assignment, Quantity, Tensor
from .base import (
    VERIFY,
    WORKSHEET,
    IndexRule,
    Layer,
    Reader,
    Rules,
    Shape,
    activation_backward,
    layer_quantities,
    shape_text,
)

# The textbook names of the equations, for the printed derivations.
BIAS_GRADIENT, WEIGHT_GRADIENT = "BP3", "BP4"


@dataclass(frozen=True)
class Dense(Layer):
    """A fully connected layer: z = W a_prev + b, a = activation(z)."""

    inputs: int
    units: int
    activation: Activation  # type: ignore[assignment]
    bias: bool = True  # type: ignore[assignment]

    kind: ClassVar[str] = "dense"
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})
    keys: ClassVar[tuple[str, ...]] = ("type", "units", "activation", "bias")

    @property
    def in_shape(self) -> Shape:
        return (self.inputs,)

    @property
    def out_shape(self) -> Shape:
        return (self.units,)

    def parameter_shapes(self, index: int) -> dict[str, Shape]:
        shapes: dict[str, Shape] = {str(weight(index)): (self.units, self.inputs)}
        if self.bias:
            shapes[str(bias(index))] = (self.units,)
        return shapes

    def fans(self) -> tuple[int, int]:
        return (self.inputs, self.units)

    def describe(self) -> str:
        return f"dense({self.units}) {self.activation.name}"

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "dense", "units": self.units}
        out["activation"] = self.activation.source or self.activation.name
        if not self.bias:
            out["bias"] = False
        return out

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> Dense | None:
        units = reader.whole("units")
        act = reader.activation()
        with_bias = reader.flag("bias", True)
        if in_shape is not None and len(in_shape) != 1:
            reader.problem(
                f"takes a vector, but its input has shape {shape_text(in_shape)}; "
                "put a flatten layer before it"
            )
            return None
        if units is None or act is None or in_shape is None:
            return None
        return cls(in_shape[0], units, act, with_bias)

    def rules(self, index: int, prev: Quantity) -> DenseRules:
        q = layer_quantities(index, self.out_shape, with_activation=True)
        return DenseRules(
            index=index,
            layer=self,
            prev=prev,
            W=Quantity(weight(index), self.units, self.inputs),
            b=Quantity(bias(index), self.units) if self.bias else None,
            z=q["z"],
            a=q["a"],
            delta=q["delta"],
        )

    def index_rule(self, index: int) -> IndexRule:
        j, k = sympy.symbols("j k", integer=True, positive=True)
        W, a_prev = weight(index).indexed(), activation_name(index - 1).indexed()
        expr = sympy.Sum(W[j, k] * a_prev[k], (k, 1, self.inputs))
        inputs: list[tuple[Any, Shape, tuple[str, ...]]] = [
            (W, (self.units, self.inputs), ("j", "k")),
            (a_prev, (self.inputs,), ("k",)),
        ]
        if self.bias:
            b = bias(index).indexed()
            expr = expr + b[j]
            inputs.insert(1, (b, (self.units,), ("j",)))
        return IndexRule(
            output=pre_activation(index).indexed(),
            indices=(j,),
            ranges=(self.units,),
            expr=expr,
            inputs=tuple(inputs),
            textbook={
                "W": r"the outer product $\delta^{(l)} (a^{(l-1)})^{\top}$",
                "b": r"$\delta^{(l)}$ itself",
                "a": r"the transposed weights times $\delta$: $(W^{(l)})^{\top} \delta^{(l)}$",
            },
        )


@dataclass(frozen=True)
class DenseRules(Rules):
    """Layer l of an MLP: z = W a_prev + b, a = σ(z), and what each does backwards."""

    W: Quantity
    b: Quantity | None
    z: Quantity  # type: ignore[misc]

    @property
    def activation(self) -> Activation:
        return self.layer.activation

    @property
    def parameters(self) -> tuple[Quantity, ...]:
        return (self.W,) if self.b is None else (self.W, self.b)

    @property
    def forward(self) -> tuple[Assignment, ...]:
        """z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, then a⁽ˡ⁾ = σ(z⁽ˡ⁾)."""
        weighted = self.W @ self.prev
        z = weighted + self.b if self.b is not None else weighted
        act = self.activation
        why = f"{act.title}, entry by entry" if act.elementwise else "softmax"
        return (
            Assignment(self.z, z, note=f"layer {self.index}"),
            Assignment(self.a, Activate(act, self.z), note=why),
        )

    def backward(self, upstream: Tensor) -> Tensor:
        """δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾ from ``upstream`` = ∂L/∂a⁽ˡ⁾: the activation's vector-Jacobian product."""
        return activation_backward(self.activation, self.z, self.a, upstream)

    @property
    def input_gradient(self) -> Tensor:
        """∂L/∂a⁽ˡ⁻¹⁾ = (W⁽ˡ⁾)ᵀ δ⁽ˡ⁾: what this layer sends back to the one below."""
        return self.W.T @ self.delta

    @property
    def gradients(self) -> tuple[Assignment, ...]:
        """∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ (BP4) and ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾ (BP3), in parameter order."""
        out = [Assignment(self.W, self.delta @ self.prev.T, WEIGHT_GRADIENT)]
        if self.b is not None:
            out.append(Assignment(self.b, self.delta, BIAS_GRADIENT))
        return tuple(out)
