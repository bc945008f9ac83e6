"""The textbook gradient of a parameter as a formula tree, with optional mistakes.

The four backpropagation equations written out for one network::

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
from typing import Any

import sympy

from ..activations import S, T
from ..losses import A, N, Y
from ..spec import Network
from .nodes import BinOp, Call, Name, Node, Num, Transpose
from .points import as_written


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
    transposed: bool = False  # a⁽ˡ⁻¹⁾ (δ⁽ˡ⁾)ᵀ instead of δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ
    scale: Fraction = Fraction(1)


def _layer_name(stem: str, layer: int) -> Name:
    return Name("x") if stem == "a" and layer == 0 else Name(f"{stem}{layer}")


def _times(left: Node, right: Node) -> Node:
    return BinOp("*", left, right)


def delta_tree(network: Network, layer: int, m: Mutation) -> Node:
    """δ⁽ˡᵃʸᵉʳ⁾ written out down from the output."""
    L = network.depth
    if layer == L:
        a, y = _layer_name("a", L), Name("y")
        g = Call("dloss", (a, y))
        out = network.output_activation
        if not out.elementwise:
            one_minus_a = BinOp("-", Num(Fraction(1)), a)
            if m.softmax_elementwise:
                return _times(_times(g, a), one_minus_a)
            if m.extra_output_derivative:
                return _times(_times(BinOp("-", a, y), a), one_minus_a)
            if network.loss.name == "cross_entropy":
                return BinOp("-", a, y)
            return _times(a, BinOp("-", g, Call("sum", (_times(a, g),))))
        return _with_derivative(g, network, L, m)
    W = _layer_name("W", layer + 1)
    back = BinOp(
        "@", W if m.untransposed == layer + 1 else Transpose(W), delta_tree(network, layer + 1, m)
    )
    return _with_derivative(back, network, layer, m)


def _with_derivative(node: Node, network: Network, layer: int, m: Mutation) -> Node:
    if m.drop_derivative == layer:
        return node
    if m.derivative_of_a == layer:
        factor: Node = Call(f"act{layer}'", (_layer_name("a", layer),))
    elif m.activation_for_derivative == layer:
        factor = Call(f"act{layer}", (_layer_name("z", layer),))
    elif m.output_form_on_z == layer:
        factor = Call(f"act{layer}'s", (_layer_name("z", layer),))
    else:
        factor = Call(f"act{layer}'", (_layer_name("z", layer),))
    return _times(node, factor)


def gradient_tree(network: Network, wrt: str, m: Mutation = Mutation()) -> Node:
    """∂L/∂(wrt) as a tree over x, y, W, b, z, a and the functions of :func:`functions`."""
    kind, layer = wrt[0], int(wrt[1:])
    delta = delta_tree(network, layer, m)
    if kind == "b":
        tree = delta
    else:
        prev = _layer_name("a", layer - 1 if m.previous is None else m.previous)
        tree = BinOp("@", prev, Transpose(delta)) if m.transposed else BinOp("@", delta, Transpose(prev))
    if m.scale != 1:
        tree = BinOp("*", Num(m.scale), tree)
    return tree


def functions(network: Network) -> dict[str, Callable[..., Any]]:
    """Numeric (mpmath) forms of the reference's own functions for this network."""
    out: dict[str, Callable[..., Any]] = {}
    n = network.sizes[-1]
    out["dloss"] = sympy.lambdify((A, Y), as_written(network.loss.term_derivative.subs(N, n)), "mpmath")
    for layer, spec in enumerate(network.layers, start=1):
        act = spec.activation
        if not act.elementwise:
            continue
        out[f"act{layer}"] = sympy.lambdify(T, as_written(act.expr), "mpmath")
        out[f"act{layer}'"] = sympy.lambdify(T, as_written(act.derivative), "mpmath")
        if act.derivative_of_output is not None:
            out[f"act{layer}'s"] = sympy.lambdify(S, as_written(act.derivative_of_output), "mpmath")
    return out


def shape_table(network: Network) -> dict[str, tuple[int, ...]]:
    """Shapes of the names a reference tree uses."""
    from .context import names_for

    return {k: v for k, v in names_for(network).shapes.items() if v != ()}
