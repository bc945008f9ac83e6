"""The textbook gradient of a parameter as a formula tree, with optional mistakes.

The plan's rules (:mod:`symbackprop.backprop`) written out for one network,
each δ inlined down from the output::

    δ⁽ᴸ⁾ = ∇ₐL ⊙ σ'(z⁽ᴸ⁾)          (softmax: a ⊙ (g − Σ a ⊙ g); with cross-entropy a − y)
    δ⁽ᵏ⁾ = ((W⁽ᵏ⁺¹⁾)ᵀ δ⁽ᵏ⁺¹⁾) ⊙ σ'(z⁽ᵏ⁾)
    ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,  ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾

A :class:`Mutation` switches in one classic mistake (a missing σ' factor,
W for Wᵀ, σ'(a) for σ'(z), …).  The diagnosis evaluates these mutated trees
at the same points as the typed formula; the unmutated tree is checked in
the tests against the derivation engine.

>>> from symbackprop import models
>>> from symbackprop.verification.nodes import show
>>> show(gradient_tree(models.two_two_two(), "W2"))
"dloss(a2, y) * act2'(z2) @ a1.T"
>>> show(gradient_tree(models.two_two_two(), "W2", Mutation(drop_derivative=2)))
'dloss(a2, y) @ a1.T'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy

from ..activations import S, T
from ..activations import activation as activation_named
from ..backprop import Plan, plan
from ..layers.l2 import WeightDecay
from ..losses import A, N, Y
from ..spec import Network
from ..symbols import activation, mask
from ..tensor import (
    Add,
    Hadamard,
    LossGradient,
    MatMul,
    Op,
    Quantity,
    Slope,
    SoftmaxVJP,
    Sub,
    Tensor,
    Transpose,
    Visitor,
)
from .nodes import BinOp, Call, Compare, Name, Node, Num
from .nodes import Transpose as TransposeNode
from .values import as_written, batch_size


@dataclass(frozen=True)
class Mutation:
    """One or more classic mistakes; the default is the correct gradient."""

    drop_derivative: int | None = None  # layer whose σ'(z) factor is left out
    untransposed: int | None = None  # layer whose W appears without ᵀ in the δ recursion
    derivative_of_a: int | None = None  # σ'(a⁽ᵏ⁾) instead of σ'(z⁽ᵏ⁾)
    activation_for_derivative: int | None = None  # σ(z⁽ᵏ⁾) where σ'(z⁽ᵏ⁾) belongs
    output_form_on_z: int | None = None  # a(1 − a) written with z: σ'-of-output applied to z
    previous: int | None = None  # a⁽ᵐ⁾ in place of a⁽ˡ⁻¹⁾ in ∂L/∂W⁽ˡ⁾
    softmax_elementwise: bool = False  # softmax's Jacobian taken as diagonal
    extra_output_derivative: bool = False  # softmax + cross-entropy: (a − y) ⊙ a ⊙ (1 − a)
    extra_output_slope: bool = False  # sigmoid + binary cross-entropy: (a − y) ⊙ σ'(z⁽ᴸ⁾)
    transposed: bool = False  # a⁽ˡ⁻¹⁾ (δ⁽ˡ⁾)ᵀ instead of δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ
    foreign_derivative: tuple[int, str] | None = None  # (layer, "output" | "z"): the other one of σ, tanh
    leaky_as_relu: int | None = None  # layer whose leaky ReLU is differentiated as ReLU
    loss_term_only: int | None = None  # binary cross-entropy with one of its terms: 1 (y log a) or 2
    softmax_jacobian_missing: bool = False  # δ⁽ᴸ⁾ = ∂L/∂a, without the softmax's Jacobian
    operation: tuple[Op | Quantity, str] | None = None  # an operation (or a dropout mask) and the name of its classic mistake
    l2_missing: bool = False  # the penalty's λW left out of ∂L/∂W
    l2_on_bias: bool = False  # λb added to ∂L/∂b, as if biases were penalised too
    scale: Fraction = Fraction(1)


class NoFormula(Exception):
    """The gradient takes an operation that the formula notation cannot write (several channels, a stride)."""


class Formulas:
    """What :meth:`symbackprop.tensor.Op.formula` builds a formula with.

    ``f("correlate", x, delta)`` calls a function of the formula language
    (whole numbers become numbers); ``f.scale(2, tree)``, ``f.divide(tree, 4)``;
    ``f.strength()`` is the network's L2 strength λ as written; ``f.samples`` the
    batch a formula is judged on (1, or N for batch norm, where every per-sample
    quantity is a matrix whose column k is sample k).
    """

    def __init__(self, network: Network, samples: int = 1):
        self.network, self.samples = network, samples

    def __call__(self, name: str, *args: Any) -> Node:
        return Call(name, tuple(_node(a) for a in args))

    def scale(self, number: Any, tree: Any) -> Node:
        return BinOp("*", _node(number), _node(tree))

    def divide(self, tree: Any, number: Any) -> Node:
        return BinOp("/", _node(tree), _node(number))

    def divide_by(self, tree: Any, other: Any) -> Node:
        """Entrywise division by another formula (a column divides each column of a batch)."""
        return BinOp("/", _node(tree), _node(other))

    def strength(self) -> Node:
        return Num(Fraction(str(self.network.l2)))

    def times(self, left: Any, right: Any) -> Node:
        """The entrywise product (a column against a batch matrix broadcasts)."""
        return BinOp("*", _node(left), _node(right))

    def minus(self, left: Any, right: Any) -> Node:
        return BinOp("-", _node(left), _node(right))

    def matmul(self, left: Any, right: Any) -> Node:
        return BinOp("@", _node(left), _node(right))

    def T(self, tree: Any) -> Node:  # noqa: N802 - the transpose, as in NumPy
        return TransposeNode(_node(tree))


def _node(value: Any) -> Node:
    return Num(Fraction(str(value))) if isinstance(value, int | float | Fraction) else value


class _Reference(Visitor):
    """The plan's rules as formula trees, every δ written out, with one mutation switched in."""

    def __init__(self, the_plan: Plan, m: Mutation):
        self.plan, self.m = the_plan, m
        self.samples = batch_size(the_plan)
        self.f = Formulas(the_plan.network, self.samples)
        # a batch of images, one row per channel: a per-sample operation on images has no formula there
        self.images_in_batch = self.samples > 1 and any(len(e.a.shape) > 2 for e in the_plan.layers)
        self.mistakes: list[tuple[Op | Quantity, str, str]] = []  # (operation or mask, name, message) met on the way

    def _visit_Quantity(self, node: Quantity) -> Node:
        name = node.name
        if name.stem == "delta":  # written out down from the output
            try:
                return self.error(name.layer)
            except NoFormula:
                if not self.images_in_batch:
                    raise
                return Name(str(name))  # a batch of images: δ as the formula names it, e.g. dy
        return Name(str(name))

    def error(self, layer: int) -> Node:
        """δ⁽ˡᵃʸᵉʳ⁾ as the plan gives it, or as the mutation misremembers it."""
        if layer < self.plan.depth:
            return self(self.plan.error_rule(layer))
        if self.samples > 1:  # the batch loss is the mean of the samples' losses
            return self.f.divide(self._output_error(), self.samples)
        return self._output_error()

    def _output_error(self) -> Node:
        out = self.plan.output_error
        if isinstance(out.rule, SoftmaxVJP) and self.m.softmax_jacobian_missing:
            return self(out.rule.upstream)
        if isinstance(out.rule, SoftmaxVJP) and self.m.softmax_elementwise:
            return self(out.rule)
        if out.shortcut is not None and self.m.extra_output_derivative:
            return self._diagonal(self(out.shortcut), self(self.plan.output.a))
        if self.m.extra_output_slope:
            return _times(self(out.value), Call(function_name(self.plan.depth, "derivative"), (self(self.plan.output.z),)))
        return self(out.value)

    def _diagonal(self, node: Node, a: Node) -> Node:
        """``node`` ⊙ a ⊙ (1 − a): the softmax Jacobian taken as its diagonal."""
        return _times(_times(node, a), BinOp("-", Num(Fraction(1)), a))

    def _visit_Transpose(self, node: Transpose) -> Node:
        arg = node.arg
        if isinstance(arg, Quantity) and arg.name.stem == "W" and arg.name.layer == self.m.untransposed:
            return self(arg)
        return TransposeNode(self(arg))

    def _visit_MatMul(self, node: MatMul) -> Node:
        return BinOp("@", self(node.left), self(node.right))

    def _visit_Sub(self, node: Sub) -> Node:
        return BinOp("-", self(node.left), self(node.right))

    def _visit_Add(self, node: Add) -> Node:
        if isinstance(node.right, WeightDecay) and self.m.l2_missing:
            return self(node.left)
        return BinOp("+", self(node.left), self(node.right))

    def _visit_Op(self, node: Op) -> Node:
        if self.images_in_batch and not node.channel_rows and any(len(t.shape) > 2 for t in (node, *node.args)):
            raise NoFormula(f"{type(node).__name__} has no formula on a batch of images")
        args = [self(arg) for arg in node.args]
        mistakes = node.mistakes(args, self.f)
        self.mistakes.extend((node, name, message) for name, message, _ in mistakes)
        if self.m.operation is not None and self.m.operation[0] == node:
            return next(tree for name, _, tree in mistakes if name == self.m.operation[1])
        tree = node.formula(args, self.f)
        if tree is None:
            raise NoFormula(f"{type(node).__name__} has no formula")
        return tree

    def _visit_Hadamard(self, node: Hadamard) -> Node:
        if isinstance(node.right, Slope) and _layer_of(node.right) == self.m.drop_derivative:
            return self(node.left)
        for mask_side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(mask_side, Quantity) and mask_side.name.stem == DROPOUT_MASK:
                return self._through_mask(mask_side, other)
        return _times(self(node.left), self(node.right))

    def _through_mask(self, m: Quantity, other: Tensor) -> Node:
        """m ⊙ δ through a dropout layer, or as a mistake: without m, or with its 0/1 pattern unscaled."""
        layer = m.name.layer
        self.mistakes.extend(
            (m, name, message.format(scale=_kept_scale(self.plan.network.layers[layer - 1].p))) for name, message in DROPOUT_MISTAKES
        )
        if self.m.operation == (m, "dropout-mask-forgotten"):
            return self(other)
        if self.m.operation == (m, "dropout-not-rescaled"):
            return _times(Compare(">", self(m), Num(Fraction(0))), self(other))
        return _times(self(m), self(other))

    def _visit_Slope(self, node: Slope) -> Node:
        layer, m = _layer_of(node), self.m
        z, a = self(node.z), self(node.a)
        if m.derivative_of_a == layer:
            return Call(function_name(layer, "derivative"), (a,))
        if m.activation_for_derivative == layer:
            return Call(function_name(layer, "activation"), (z,))
        if m.output_form_on_z == layer:
            return Call(function_name(layer, "derivative_of_output"), (z,))
        if m.foreign_derivative == (layer, "output"):
            return Call(function_name(layer, "foreign_derivative_of_output"), (a,))
        if m.foreign_derivative == (layer, "z"):
            return Call(function_name(layer, "foreign_derivative"), (z,))
        if m.leaky_as_relu == layer:
            return Call(STEP, (z,))
        return Call(function_name(layer, "derivative"), (z,))

    def _visit_LossGradient(self, node: LossGradient) -> Node:
        name = LOSS_DERIVATIVE if self.m.loss_term_only is None else f"{LOSS_DERIVATIVE}_term{self.m.loss_term_only}"
        return Call(name, (self(node.a), self(node.y)))

    def _visit_SoftmaxVJP(self, node: SoftmaxVJP) -> Node:
        a, g = self(node.a), self(node.upstream)
        if self.m.softmax_elementwise:
            return self._diagonal(g, a)
        # Jᵀ g = a ⊙ (g − aᵀg) for the softmax Jacobian J = diag(a) − a aᵀ.
        return _times(a, BinOp("-", g, Call("sum", (_times(a, g),))))


def _layer_of(slope: Slope) -> int:
    return slope.z.name.layer


def _times(left: Node, right: Node) -> Node:
    return BinOp("*", left, right)


def delta_tree(network: Network, layer: int, m: Mutation = Mutation()) -> Node:
    """δ⁽ˡᵃʸᵉʳ⁾ written out down from the output (raises NoFormula as :func:`gradient_tree` does)."""
    return _Reference(plan(network), m).error(layer)


def quantity_tree(network: Network, quantity: str, m: Mutation = Mutation()) -> Node:
    """∂L/∂W2 for ``"W2"``, δ⁽²⁾ for ``"delta2"``, ∂L/∂a⁽¹⁾ for ``"dA1"``: what a wrong line
    is diagnosed against."""
    return _quantity(network, quantity, m)[0]


def _quantity(network: Network, quantity: str, m: Mutation) -> tuple[Node, list[tuple[Op, str, str]]]:
    the_plan = plan(network)
    stem = quantity.rstrip("0123456789")
    if stem not in ("delta", "dA"):
        return _gradient(network, quantity, m)
    layer = int(quantity[len(stem):])
    reference = _Reference(the_plan, m)
    if stem == "delta":
        return reference.error(layer), reference.mistakes
    above = the_plan.loss_gradient if layer == the_plan.depth else the_plan.layers[layer].input_gradient
    return reference(above), reference.mistakes


def gradient_tree(network: Network, wrt: str, m: Mutation = Mutation()) -> Node:
    """∂L/∂(wrt) as a tree over x, y, W, b, z, a and the functions of :func:`functions`.

    Raises NoFormula when the gradient takes an operation the notation cannot write.
    """
    return _gradient(network, wrt, m)[0]


def operation_mistakes(network: Network, quantity: str) -> list[tuple[Op, str, str]]:
    """The classic mistakes of the layers' operations on the way to a quantity (as in
    :func:`quantity_tree`): (operation, name, message)."""
    try:
        return _quantity(network, quantity, Mutation())[1]
    except NoFormula:
        return []


def _gradient(network: Network, wrt: str, m: Mutation) -> tuple[Node, list[tuple[Op, str, str]]]:
    the_plan = plan(network)
    entry = the_plan.gradient_assignment(wrt)
    rule, decay = entry.rule, None
    if isinstance(rule, Add) and isinstance(rule.right, WeightDecay):
        rule, decay = rule.left, rule.right
    if isinstance(rule, MatMul) and (m.previous is not None or m.transposed):
        # ∂L/∂W = δ (a_prev)ᵀ, misremembered: another layer's a, or the factors swapped.
        k = entry.target.name.layer - 1 if m.previous is None else m.previous
        prev = Quantity(activation(k), network.sizes[k])
        rule = prev @ rule.left.T if m.transposed else rule.left @ prev.T
    if decay is not None:
        if rule.shape != decay.shape:  # a transposed δ aᵀ of a non-square W: no such sum
            raise NoFormula("the mistaken gradient has another shape than W")
        rule = Add(rule, decay)
    elif m.l2_on_bias and network.l2:
        rule = Add(rule, WeightDecay(network.l2, entry.target))
    reference = _Reference(the_plan, m)
    data = rule.left if isinstance(rule, Add) and isinstance(rule.right, WeightDecay) else rule
    if reference.samples > 1 and not isinstance(data, MatMul) and not (isinstance(data, Op) and data.per_batch):
        # One sample's ∂L/∂b = δ: over a batch, the sum of δ's columns (δ Aᵀ sums by itself).
        tree = reference(data)
        tree = Call("rowsum", (tree,))
        if data is not rule:
            tree = BinOp("+", tree, reference(rule.right))
    else:
        tree = reference(rule)
    if m.scale != 1:
        tree = BinOp("*", Num(m.scale), tree)
    return tree, reference.mistakes


# A dropout mask's stem, and the two mistakes made with it (the mask is 0 or 1/(1 − p)).
DROPOUT_MASK = mask(1).stem
DROPOUT_MISTAKES = (
    ("dropout-mask-forgotten",
     "the dropout mask is missing: a dropped entry (m = 0) sent nothing forward, so it gets no error "
     "back; the error goes back through the same mask, ∂L/∂x = m ⊙ δ"),
    ("dropout-not-rescaled",
     "the dropout mask without its scale: inverted dropout multiplies the kept entries by "
     "1/(1 − p) = {scale} on the way forward, so on the way back too: ∂L/∂x = m ⊙ δ with m = 0 or "
     "{scale}, not the 0/1 pattern of the kept entries"),
)



def _kept_scale(p: float) -> str:
    """1/(1 − p) for p as written: 2 for 0.5, 10/7 for 0.3."""
    return str(1 / (1 - Fraction(str(p))))


LOSS_DERIVATIVE = "dloss"
STEP = "step"  # ReLU's derivative: what a leaky ReLU's becomes when differentiated as ReLU
_FUNCTION_MARKS = {
    "activation": "", "derivative": "'", "derivative_of_output": "'s",
    "foreign_derivative": "'other", "foreign_derivative_of_output": "'other_s",
}
# The activation whose derivative is mistaken for this one's (σ and tanh, both ways).
FOREIGN = {"sigmoid": "tanh", "tanh": "sigmoid"}
# The two terms of binary cross-entropy, −y log a and −(1 − y) log(1 − a): a mistake drops one.
BCE_TERMS = (-Y * sympy.log(A), -(1 - Y) * sympy.log(1 - A))


def function_name(layer: int, form: str) -> str:
    """The reference's name for layer ``layer``'s σ (``act2``), σ'(z) (``act2'``) or σ' in a (``act2's``)."""
    return f"act{layer}{_FUNCTION_MARKS[form]}"


def functions(network: Network) -> dict[str, Callable[..., Any]]:
    """Numeric (mpmath) forms of the reference's own functions for this network."""
    # lambdify prints and compiles each function; a grader diagnoses many formulas about one network.
    return dict(_functions(network))


@lru_cache(maxsize=16)
def _functions(network: Network) -> dict[str, Callable[..., Any]]:
    out: dict[str, Callable[..., Any]] = {}
    n = network.sizes[-1]
    out[LOSS_DERIVATIVE] = sympy.lambdify((A, Y), as_written(network.loss.term_derivative.subs(N, n)), "mpmath")
    if network.loss.kind == "binary_cross_entropy":
        for k, term in enumerate(BCE_TERMS, start=1):
            out[f"{LOSS_DERIVATIVE}_term{k}"] = sympy.lambdify((A, Y), sympy.diff(term, A), "mpmath")
    out[STEP] = lambda t: 1 if t > 0 else 0
    for layer, spec in enumerate(network.layers, start=1):
        act = spec.activation
        if act is None or not act.elementwise:
            continue
        out[function_name(layer, "activation")] = sympy.lambdify(T, as_written(act.expr), "mpmath")
        out[function_name(layer, "derivative")] = sympy.lambdify(T, as_written(act.derivative), "mpmath")
        if act.derivative_of_output is not None:
            out[function_name(layer, "derivative_of_output")] = sympy.lambdify(
                S, as_written(act.derivative_of_output), "mpmath"
            )
        if act.kind in FOREIGN:
            other = activation_named(FOREIGN[act.kind])
            out[function_name(layer, "foreign_derivative")] = sympy.lambdify(T, other.derivative, "mpmath")
            out[function_name(layer, "foreign_derivative_of_output")] = sympy.lambdify(
                S, other.derivative_of_output, "mpmath"
            )
    return out


def shape_table(network: Network) -> dict[str, tuple[int, ...]]:
    """Shapes of the names a reference tree uses."""
    from .context import names_for

    return {k: v for k, v in names_for(network).shapes.items() if v != ()}
