"""The backpropagation plan: every rule of the chain rule, written once, as data.

:func:`plan` turns a network into a :class:`Plan`: for each layer an entry
holding its forward rule and its local backward rules, and for the output the
loss and the output error.  The rules are tensor expressions
(:mod:`symbackprop.tensor`) for one sample, in the column-vector convention::

    forward   z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = σ(z⁽ˡ⁾)
    BP1       δ⁽ᴸ⁾ = ∇ₐL ⊙ σ'(z⁽ᴸ⁾)        (softmax: Jᵀ ∇ₐL; with cross-entropy a − y)
    BP2       δ⁽ˡ⁾ = ((W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾) ⊙ σ'(z⁽ˡ⁾)
    BP3, BP4  ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾,   ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ

Each layer states what its own operation does backwards — how the error of
its output becomes the error δ of its pre-activation (:meth:`DenseRules.backward`),
what that error sends to the layer below (:attr:`DenseRules.input_gradient`:
(W⁽ˡ⁾)ᵀ δ⁽ˡ⁾) and what it gives each parameter (:attr:`DenseRules.gradients`).
BP1 and BP2 are the same backward rule fed from above by the loss or by the
next layer.  Every back end reads these rules and nothing else: the symbolic
engine (:mod:`symbackprop.symbolic`), the printed derivations
(:mod:`symbackprop.chain`), the NumPy code generator
(:mod:`symbackprop.numeric.codegen`) and the verifier's reference formulas
(:mod:`symbackprop.verification.reference`).  docs/architecture.md tells how a
new kind of layer joins.

>>> from symbackprop import models
>>> p = plan(models.two_two_two())
>>> print(p.error_rule(1))
(W2.T @ delta2) * sigmoid'(z1)
>>> print(p.error_rule(2), p.gradient_rule("W1"), sep="; ")
grad_a half_sse(a2, y) * sigmoid'(z2); delta1 @ x.T
>>> print(plan(models.understanding()).error_rule(3))
a3 - y
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy

from .activations import Activation
from .losses import PROBABILITY
from .losses import A as GENERIC_A
from .losses import Y as GENERIC_Y
from .spec import Dense, Network
from .symbols import INPUT, TARGET, Name, activation, bias, error, parameter, pre_activation, weight
from .tensor import Activate, LossGradient, LossValue, Quantity, Slope, SoftmaxVJP, Tensor

# The textbook names of the four equations, for the printed derivations.
OUTPUT_ERROR, HIDDEN_ERROR, BIAS_GRADIENT, WEIGHT_GRADIENT = "BP1", "BP2", "BP3", "BP4"


@dataclass(frozen=True)
class Assignment:
    """``target = rule``: one quantity defined by a tensor expression."""

    target: Quantity
    rule: Tensor
    equation: str = ""

    def __str__(self) -> str:
        return f"{self.target.name} = {self.rule}"


@dataclass(frozen=True)
class DenseRules:
    """Layer l of an MLP: z = W a_prev + b, a = σ(z), and what each does backwards."""

    index: int
    layer: Dense
    prev: Quantity  # a⁽ˡ⁻¹⁾ (x for the first layer)
    W: Quantity
    b: Quantity | None
    z: Quantity
    a: Quantity
    delta: Quantity

    @property
    def activation(self) -> Activation:
        return self.layer.activation

    @property
    def forward(self) -> tuple[Assignment, ...]:
        """z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, then a⁽ˡ⁾ = σ(z⁽ˡ⁾)."""
        weighted = self.W @ self.prev
        z = weighted + self.b if self.b is not None else weighted
        return (Assignment(self.z, z), Assignment(self.a, Activate(self.activation, self.z)))

    def backward(self, upstream: Tensor) -> Tensor:
        """δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾ from ``upstream`` = ∂L/∂a⁽ˡ⁾: the activation's vector-Jacobian product.

        Elementwise: upstream ⊙ σ'(z), the factor left out where σ' = 1;
        softmax: Jᵀ upstream.
        """
        if not self.activation.elementwise:
            return SoftmaxVJP(self.a, upstream)
        slope = Slope(self.activation, self.z, self.a)
        return upstream if slope.is_one else upstream * slope

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


@dataclass(frozen=True)
class OutputError:
    """δ⁽ᴸ⁾: the output layer's backward rule applied to ∇ₐL, and its shortcut when one holds.

    ``rule`` is the chain rule as written (Jᵀ ∇ₐL for a softmax output);
    ``shortcut`` is what it simplifies to for a softmax output with
    cross-entropy: a − y, because a ⊙ ∂ℓ/∂a = −y (SymPy checks this on the
    loss term) and the targets are probability vectors.  ``value`` is the
    form to compute with.
    """

    rule: Tensor
    shortcut: Tensor | None = None

    @property
    def value(self) -> Tensor:
        return self.shortcut if self.shortcut is not None else self.rule


@dataclass(frozen=True)
class Plan:
    """The backpropagation plan of one network: layer entries, the loss and the output error."""

    network: Network
    x: Quantity
    y: Quantity
    layers: tuple[DenseRules, ...]
    loss: LossValue
    loss_gradient: LossGradient
    output_error: OutputError

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def output(self) -> DenseRules:
        return self.layers[-1]

    def error_rule(self, layer: int) -> Tensor:
        """δ⁽ˡᵃʸᵉʳ⁾ in terms of δ⁽ˡᵃʸᵉʳ⁺¹⁾ (BP2), or of a⁽ᴸ⁾ and y for the output (BP1)."""
        if layer == self.depth:
            return self.output_error.value
        return self.layers[layer - 1].backward(self.layers[layer].input_gradient)

    def error_equation(self, layer: int) -> str:
        return OUTPUT_ERROR if layer == self.depth else HIDDEN_ERROR

    def gradient_assignment(self, name: str | Name) -> Assignment:
        """The rule for ∂L/∂(a parameter such as ``W2``), in the δ of its layer."""
        which = parameter(name) if isinstance(name, str) else name
        if which.layer is not None and 1 <= which.layer <= self.depth:
            for assignment in self.layers[which.layer - 1].gradients:
                if assignment.target.name == which:
                    return assignment
        raise KeyError(str(name))

    def gradient_rule(self, name: str | Name) -> Tensor:
        return self.gradient_assignment(name).rule


def softmax_cross_entropy(network: Network) -> bool:
    """True when δ⁽ᴸ⁾ = Jᵀ ∇ₐL simplifies to a − y.

    That holds for a softmax output when a ⊙ ∂ℓ/∂a = −y — SymPy decides it on
    the loss term — and the targets sum to 1 (probability vectors, as for
    cross_entropy): then Σᵢ gᵢ aᵢ(δᵢⱼ − aⱼ) = −yⱼ + aⱼ Σᵢ yᵢ = aⱼ − yⱼ.
    """
    if network.output_activation.elementwise or network.loss.targets != PROBABILITY:
        return False
    product = sympy.cancel(GENERIC_A * network.loss.term_derivative)
    return sympy.simplify(product + GENERIC_Y) == 0


@lru_cache(maxsize=64)
def plan(network: Network) -> Plan:
    """The plan of ``network``, made once per network."""
    sizes = network.sizes
    x = Quantity(INPUT, sizes[0])
    y = Quantity(TARGET, sizes[-1])
    entries = []
    prev = x
    for index, layer in enumerate(network.layers, start=1):
        n, m = layer.units, layer.inputs
        entry = DenseRules(
            index=index,
            layer=layer,
            prev=prev,
            W=Quantity(weight(index), n, m),
            b=Quantity(bias(index), n) if layer.bias else None,
            z=Quantity(pre_activation(index), n),
            a=Quantity(activation(index), n),
            delta=Quantity(error(index), n),
        )
        entries.append(entry)
        prev = entry.a
    out = entries[-1]
    gradient = LossGradient(network.loss, out.a, y)
    shortcut = out.a - y if softmax_cross_entropy(network) else None
    return Plan(
        network=network,
        x=x,
        y=y,
        layers=tuple(entries),
        loss=LossValue(network.loss, out.a, y),
        loss_gradient=gradient,
        output_error=OutputError(out.backward(gradient), shortcut),
    )
