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
its output becomes the error δ of its pre-activation (``backward``), what that
error sends to the layer below (``input_gradient``: (W⁽ˡ⁾)ᵀ δ⁽ˡ⁾ for a dense
layer) and what it gives each parameter (``gradients``).  BP1 and BP2 are the
same backward rule fed from above by the loss or by the next layer.  The
entries of each kind of layer live in :mod:`symbackprop.layers` (dense,
conv2d, pooling, flatten, …); the L2 penalty adds its term to the loss and λW
to each weight's gradient (:mod:`symbackprop.layers.l2`).  Every back end reads these rules and nothing else: the symbolic
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

from .activations import S as ACTIVATION_OUTPUT
from .layers.base import Rules
from .layers.dense import BIAS_GRADIENT, WEIGHT_GRADIENT, DenseRules
from .layers.l2 import L2Penalty, WeightDecay
from .losses import PROBABILITY
from .losses import A as GENERIC_A
from .losses import Y as GENERIC_Y
from .spec import Network
from .symbols import INPUT, TARGET, Name, parameter
from .tensor import Add, Assignment, LossGradient, LossValue, Op, Quantity, Tensor, quantity

__all__ = [
    "BIAS_GRADIENT",
    "HIDDEN_ERROR",
    "OUTPUT_ERROR",
    "WEIGHT_GRADIENT",
    "Assignment",
    "DenseRules",
    "OutputError",
    "Plan",
    "plan",
    "softmax_cross_entropy",
]

# The textbook names of the four equations, for the printed derivations.
OUTPUT_ERROR, HIDDEN_ERROR = "BP1", "BP2"


@dataclass(frozen=True)
class OutputError:
    """δ⁽ᴸ⁾: the output layer's backward rule applied to ∇ₐL, and what it simplifies to.

    ``rule`` is the chain rule as written (Jᵀ ∇ₐL for a softmax output);
    ``shortcut`` is what it simplifies to for a softmax output with
    cross-entropy: a − y, because a ⊙ ∂ℓ/∂a = −y (SymPy checks this on the
    loss term) and the targets are probability vectors.  ``value`` is the
    form to compute with.  ``identity`` is the a − y a person is taught, for
    the softmax shortcut and for a sigmoid output with binary cross-entropy
    (∂ℓ/∂a · σ' = a − y for any targets): printed, while the rule as written
    stays what the back ends compute and what the verifier's diagnoses alter.
    """

    rule: Tensor
    shortcut: Tensor | None = None
    identity: Tensor | None = None

    @property
    def value(self) -> Tensor:
        return self.shortcut if self.shortcut is not None else self.rule


@dataclass(frozen=True)
class Plan:
    """The backpropagation plan of one network: layer entries, the loss and the output error.

    ``penalty`` is the L2 term (None without one); ``loss`` is the per-sample
    loss with the penalty added (see :mod:`symbackprop.layers.l2`).
    """

    network: Network
    x: Quantity
    y: Quantity
    layers: tuple[Rules, ...]
    data_loss: LossValue
    loss_gradient: LossGradient
    output_error: OutputError
    penalty: L2Penalty | None = None

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def output(self) -> Rules:
        return self.layers[-1]

    @property
    def loss(self) -> Tensor:
        """The per-sample loss: Σⱼ ℓ(aⱼ, yⱼ), plus the L2 penalty when there is one."""
        return self.data_loss if self.penalty is None else Add(self.data_loss, self.penalty)

    def error_rule(self, layer: int) -> Tensor:
        """δ⁽ˡᵃʸᵉʳ⁾ in terms of δ⁽ˡᵃʸᵉʳ⁺¹⁾ (BP2), or of a⁽ᴸ⁾ and y for the output (BP1)."""
        if layer == self.depth:
            return self.output_error.value
        return self.layers[layer - 1].backward(self.layers[layer].input_gradient)

    def error_equation(self, layer: int) -> str:
        return OUTPUT_ERROR if layer == self.depth else HIDDEN_ERROR

    def gradients(self, entry: Rules) -> tuple[Assignment, ...]:
        """The rules for ∂L/∂θ of each parameter of ``entry``, the L2 term λW added to each weight."""
        if self.penalty is None:
            return entry.gradients
        penalised = {w.name for w in self.penalty.weights}
        out = []
        for g in entry.gradients:
            if g.target.name in penalised:
                g = Assignment(g.target, Add(g.rule, WeightDecay(self.penalty.strength, g.target)), g.equation, r"L2: $+ \lambda W$")
            out.append(g)
        return tuple(out)

    def gradient_assignment(self, name: str | Name) -> Assignment:
        """The rule for ∂L/∂(a parameter such as ``W2``), in the δ of its layer."""
        which = parameter(name) if isinstance(name, str) else name
        if which.layer is not None and 1 <= which.layer <= self.depth:
            for assignment in self.gradients(self.layers[which.layer - 1]):
                if assignment.target.name == which:
                    return assignment
        raise KeyError(str(name))

    def gradient_rule(self, name: str | Name) -> Tensor:
        return self.gradient_assignment(name).rule

    @property
    def per_batch_rules(self) -> tuple[Op, ...]:
        """The forward rules that read the whole batch (batch norm's μ and σ)."""
        return tuple(
            step.rule for entry in self.layers for step in entry.forward if isinstance(step.rule, Op) and step.rule.per_batch
        )

    @property
    def couples_samples(self) -> bool:
        """True when a forward rule reads the whole batch: a sample's δ then depends on the others,
        and a parameter's gradient is the sum of the samples' terms."""
        return bool(self.per_batch_rules)

    @property
    def lowest_trained(self) -> int:
        """The first layer with parameters: below it no error is needed."""
        return next((e.index for e in self.layers if e.parameters), self.depth)


def softmax_cross_entropy(network: Network) -> bool:
    """True when δ⁽ᴸ⁾ = Jᵀ ∇ₐL simplifies to a − y.

    That holds for a softmax output when a ⊙ ∂ℓ/∂a = −y — SymPy decides it on
    the loss term — and the targets sum to 1 (probability vectors, as for
    cross_entropy): then Σᵢ gᵢ aᵢ(δᵢⱼ − aⱼ) = −yⱼ + aⱼ Σᵢ yᵢ = aⱼ − yⱼ.
    """
    output = network.output_activation
    if output is None or output.elementwise or network.loss.targets != PROBABILITY:
        return False
    product = sympy.cancel(GENERIC_A * network.loss.term_derivative)
    return sympy.simplify(product + GENERIC_Y) == 0


def sigmoid_cross_entropy(network: Network) -> bool:
    """True when δ⁽ᴸ⁾ = ∇ₐL ⊙ σ'(z⁽ᴸ⁾) simplifies to a − y, for any targets.

    That holds when ∂ℓ/∂a · σ'(z), with σ' written in the output a, is a − y —
    SymPy decides it on the loss term: binary cross-entropy after a sigmoid,
    ((1 − y)/(1 − a) − y/a) · a(1 − a) = a − y.  An output whose σ' is 1 needs
    no identity: its rule is already ∇ₐL.
    """
    act = network.output_activation
    slope = None if act is None else act.derivative_of_output
    if act is None or not act.elementwise or slope is None or slope == 1:
        return False
    product = sympy.cancel(network.loss.term_derivative * slope.subs(ACTIVATION_OUTPUT, GENERIC_A))
    return sympy.simplify(product - (GENERIC_A - GENERIC_Y)) == 0


@lru_cache(maxsize=64)
def plan(network: Network) -> Plan:
    """The plan of ``network``, made once per network."""
    x = quantity(INPUT, network.input_shape)
    y = Quantity(TARGET, network.output_size)
    entries = []
    prev = x
    for index, layer in enumerate(network.layers, start=1):
        entry = layer.rules(index, prev)
        entries.append(entry)
        prev = entry.a
    out = entries[-1]
    gradient = LossGradient(network.loss, out.a, y)
    shortcut = out.a - y if softmax_cross_entropy(network) else None
    identity = out.a - y if shortcut is not None or sigmoid_cross_entropy(network) else None
    penalty = None
    if network.l2:
        weights = tuple(g.target for e in entries for g in e.gradients if g.target.name.stem in PENALISED)
        penalty = L2Penalty(network.l2, weights)
    return Plan(
        network=network,
        x=x,
        y=y,
        layers=tuple(entries),
        data_loss=LossValue(network.loss, out.a, y),
        loss_gradient=gradient,
        output_error=OutputError(out.backward(gradient), shortcut, identity),
        penalty=penalty,
    )


# The parameters L2 penalises: weights W (and the recurrent U), not biases, gammas or betas.
PENALISED = ("W", "U")
