"""Naming a classic mistake: compare a wrong formula with mutations of the true gradient.

Each mutation of :mod:`~symbackprop.verification.reference` is one mistake people
make when they derive backpropagation by hand.  A wrong formula whose values
agree with a mutation at every sample point is diagnosed with that mistake;
a wrong sign or a factor 2 may come on top of a structural mistake.

>>> from symbackprop import models
>>> names = [c.name for c in catalogue(models.two_two_two(), "W1")]
>>> names[:3], "missing-derivative" in names, "missing-derivative+wrong-sign" in names
(['wrong-sign', 'factor-2', 'factor-half'], True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import sympy

from ..activations import S
from ..backprop import PENALISED, plan
from ..layers.l2 import WeightDecay
from ..printing import text as text_form
from ..spec import Network
from ..symbols import activation, bias, error, parameter, pre_activation, unicode_name, weight
from ..tensor import Add, MatMul
from .reference import Mutation, operation_mistakes


@dataclass(frozen=True)
class Diagnosis:
    """A named mistake: ``name`` is a stable key, ``message`` one sentence for people."""

    name: str
    message: str
    mutation: Mutation


# Activations people write by their own symbol; any other is σ with its layer: σ⁽²⁾.
_NAMED_KINDS = ("sigmoid", "tanh", "relu")


def _act(network: Network, layer: int) -> str:
    act = network.layers[layer - 1].activation
    return act.text_symbol if act.kind in _NAMED_KINDS else "σ" + pre_activation(layer).text[1:]


def catalogue(
    network: Network, wrt: str, entry: tuple[int, int] | None = None, index_form: bool = False
) -> list[Diagnosis]:
    """Every mistake that makes sense for ∂L/∂(wrt) (or one entry, 0-based), simplest first.

    ``wrt`` may also be ``delta2`` or ``dA2``: the mistakes of δ⁽²⁾ or ∂L/∂a⁽²⁾ (a line of a derivation).
    ``index_form``: the formula was written with index letters, so a mistake is
    told in indices (w_jk for w_kj) rather than in matrices (W for Wᵀ).
    """
    if wrt.startswith(("delta", "dA")):
        kind = wrt.rstrip("0123456789")
        layer = int(wrt[len(kind):])
    else:
        param = parameter(wrt)
        kind, layer = param.stem, param.layer
    L = network.depth
    W, z, a, delta = weight, pre_activation, activation, error
    # A layer's own mistake comes before a bare factor it may equal: with p = ½ an unscaled
    # dropout mask is half the gradient, and the mask is what the student forgot.
    operations = [
        Diagnosis(name, message, Mutation(operation=(op, name))) for op, name, message in operation_mistakes(network, wrt)
    ]
    out: list[Diagnosis] = list(operations)
    scales = _scales(network)
    out.extend(scales)
    structural: list[Diagnosis] = list(operations)
    structural.extend(_penalty_slips(network, kind, layer))
    shapes = network.parameter_shapes()
    # The MLP's mistakes in δ (aₗ₋₁)ᵀ and (W⁽ᵏ⁾)ᵀ δ⁽ᵏ⁾: for dense layers, whose W is a matrix.
    dense_rule = kind == "W" and isinstance(_data_rule(network, wrt), MatMul)
    for k in range(layer, L + 1):
        act = network.layers[k - 1].activation
        if act is None or not act.elementwise or act.kind == "identity":
            continue
        s = _act(network, k)
        structural.append(
            Diagnosis(
                "missing-derivative",
                f"the activation-derivative factor {s}'({z(k).text}) is missing",
                Mutation(drop_derivative=k),
            )
        )
    for k in range(layer + 1, L + 1):
        if len(shapes.get(str(W(k)), ())) != 2:
            continue
        if index_form:
            w = "w" + W(k).text[1:]
            text = (
                f"{w}_jk where {w}_kj belongs in the sum over k: the error flows back through the "
                f"transpose, {delta(k - 1).text}_j = Σ_k {w}_kj {delta(k).text}_k σ'({z(k - 1).text}_j)"
            )
        else:
            text = (
                f"{W(k).text} instead of ({W(k).text})ᵀ in the δ recursion: "
                f"the error flows back through the transpose, δ⁽ˡ⁾ = ((W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾) ⊙ σ'(z⁽ˡ⁾)"
            )
        structural.append(Diagnosis("untransposed-weights", text, Mutation(untransposed=k)))
    if kind == "W" and dense_rule:
        if entry is not None:
            j, k = entry[0] + 1, entry[1] + 1
            d_j, d_k = (unicode_name(delta(layer).entry(i)) for i in (j, k))
            p_j, p_k = (unicode_name(a(layer - 1).entry(i)) for i in (j, k))
            w = unicode_name(W(layer).entry(j, k))
            text = f"row and column indices swapped: this is {d_k} {p_j}, but ∂L/∂{w} = {d_j} {p_k}"
        else:
            text = (
                f"a transposed factor: this is {a(layer - 1).text} ({delta(layer).text})ᵀ, "
                f"the transpose of {delta(layer).text} ({a(layer - 1).text})ᵀ"
            )
        structural.append(Diagnosis("transposed", text, Mutation(transposed=True)))
    for k in range(layer, L + 1):
        act = network.layers[k - 1].activation
        if act is None or not act.elementwise or act.kind == "identity":
            continue
        s = _act(network, k)
        structural.append(
            Diagnosis(
                "activation-not-derivative",
                f"{s}({z(k).text}) where its derivative {s}'({z(k).text}) belongs",
                Mutation(activation_for_derivative=k),
            )
        )
        if act.has_kink:
            # For ReLU-like σ, σ'(a) = σ'(z) since a > 0 exactly when z > 0: no mistake.
            continue
        structural.append(
            Diagnosis(
                "derivative-at-a",
                f"{s}'({a(k).text}) instead of {s}'({z(k).text}): the derivative is taken "
                f"at the pre-activation z, not at the activation a = {s}(z)",
                Mutation(derivative_of_a=k),
            )
        )
        if act.derivative_of_output is not None:
            form = text_form(act.derivative_of_output.subs(S, sympy.Symbol("a")))
            structural.append(
                Diagnosis(
                    "output-form-on-z",
                    f"{s}' written as {form} but with {z(k).text} for a: that form takes the "
                    f"activation {a(k).text} = {s}({z(k).text}), not {z(k).text}",
                    Mutation(output_form_on_z=k),
                )
            )
    if kind == "W" and dense_rule:
        for m in range(0, L + 1):
            if m == layer - 1 or network.sizes[m] != network.sizes[layer - 1]:
                continue
            right, wrong = a(layer - 1).text, a(m).text
            if {m, layer - 1} == {0, 1}:
                name, text = "swapped-x-a1", f"x and {a(1).text} swapped: ∂L/∂{W(layer).text} takes {right}, not {wrong}"
            else:
                name, text = "other-layer-activation", f"another layer's activation: {wrong} in place of {right}"
            structural.append(Diagnosis(name, text, Mutation(previous=m)))
    structural.extend(_activation_mix_ups(network, layer))
    structural.extend(_loss_and_softmax_slips(network))
    if not network.output_activation.elementwise:
        structural.append(
            Diagnosis(
                "softmax-elementwise",
                "softmax treated as elementwise: its Jacobian is diag(a) − a aᵀ, "
                "not diag(a ⊙ (1 − a)), because every output depends on every z",
                Mutation(softmax_elementwise=True),
            )
        )
    if plan(network).output_error.shortcut is not None:
        out_a = a(L).text
        structural.append(
            Diagnosis(
                "softmax-extra-derivative",
                f"an extra factor {out_a}(1 − {out_a}): with softmax and cross-entropy δ⁽ᴸ⁾ = a − y "
                "already contains the softmax's derivative",
                Mutation(extra_output_derivative=True),
            )
        )
    out.extend(structural[len(operations):])
    for d in structural:
        for s in scales:
            out.append(
                Diagnosis(
                    f"{d.name}+{s.name}",
                    f"{d.message}; also, {s.message}",
                    replace(d.mutation, scale=s.mutation.scale),
                )
            )
    return out


# σ' and tanh' taken for each other: (name, whose derivative was written, how it was
# written, how the layer's own derivative reads), in the output a and in z.
_MIX_UPS = {
    "tanh": ("sigmoid-derivative-on-tanh", "the sigmoid's derivative",
             {"output": "{a}(1 − {a})", "z": "σ'({z})"}, {"output": "1 − ({a})²", "z": "1 − tanh²({z})"}),
    "sigmoid": ("tanh-derivative-on-sigmoid", "the derivative of tanh",
                {"output": "1 − ({a})²", "z": "tanh'({z})"}, {"output": "{a}(1 − {a})", "z": "σ({z})(1 − σ({z}))"}),
}


def _activation_mix_ups(network: Network, layer: int) -> list[Diagnosis]:
    """σ' and tanh' taken for each other; a leaky ReLU differentiated as a ReLU."""
    out = []
    for k in range(layer, network.depth + 1):
        act = network.layers[k - 1].activation
        if act is None:
            continue
        names = {"a": activation(k).text, "z": pre_activation(k).text}
        if act.kind in _MIX_UPS:
            name, whose, written, right = _MIX_UPS[act.kind]
            for form in ("output", "z"):
                out.append(Diagnosis(
                    name,
                    f"{written[form].format(**names)} is {whose}; layer {k} is {act.kind}, "
                    f"whose derivative is {right[form].format(**names)}",
                    Mutation(foreign_derivative=(k, form)),
                ))
        if act.kind == "leaky_relu":
            out.append(Diagnosis(
                "leaky-relu-as-relu",
                f"the leaky ReLU of layer {k} differentiated as a ReLU: its derivative is 1 for z > 0 "
                f"and the slope {act.slope:g}, not 0, for z ≤ 0",
                Mutation(leaky_as_relu=k),
            ))
    return out


def _loss_and_softmax_slips(network: Network) -> list[Diagnosis]:
    """A term of binary cross-entropy dropped; ∂L/∂a taken for δ⁽ᴸ⁾ past a softmax."""
    out = []
    a = activation(network.depth).text
    if network.loss.kind == "binary_cross_entropy" and network.output_activation.kind == "sigmoid":
        out.append(Diagnosis(
            "bce-extra-derivative",
            f"an extra factor {a}(1 − {a}): with a sigmoid output and binary cross-entropy δ⁽ᴸ⁾ = a − y "
            "already contains σ'(z), as the 1/(a(1 − a)) of ∂L/∂a cancels it",
            Mutation(extra_output_slope=True),
        ))
    if network.loss.kind == "binary_cross_entropy" and network.output_activation.elementwise:
        whole = f"∂L/∂a = −y/{a} + (1 − y)/(1 − {a})"
        kept_and_dropped = ((f"−y/{a}", "−(1 − y) log(1 − a)"), (f"(1 − y)/(1 − {a})", "−y log a"))
        for term, (kept, dropped) in enumerate(kept_and_dropped, start=1):
            out.append(Diagnosis(
                "bce-dropped-term",
                f"a term of the binary cross-entropy is missing: {whole}, and this keeps only {kept} "
                f"(the term {dropped} was dropped)",
                Mutation(loss_term_only=term),
            ))
    if not network.output_activation.elementwise:
        tail = ", which with cross-entropy gives δ⁽ᴸ⁾ = a − y" if network.loss.kind == "cross_entropy" else ""
        gradient = "−y/a" if network.loss.kind == "cross_entropy" else "∂L/∂a"
        out.append(Diagnosis(
            "softmax-jacobian-missing",
            f"the softmax's Jacobian is missing: {gradient} is ∂L/∂a⁽ᴸ⁾, and δ⁽ᴸ⁾ = ∂L/∂z⁽ᴸ⁾ "
            f"multiplies it by the Jacobian diag(a) − a aᵀ{tail}",
            Mutation(softmax_jacobian_missing=True),
        ))
    return out


def _penalty_slips(network: Network, kind: str, layer: int) -> list[Diagnosis]:
    """The L2 term left out of ∂L/∂W, or added to ∂L/∂b."""
    if not network.l2:
        return []
    if kind == "b":
        b = bias(layer).text
        return [Diagnosis(
            "l2-on-bias",
            f"λ{b} added to the bias's gradient: L2 penalises the weights W, not the biases, "
            f"so ∂L/∂{b} has no λ term",
            Mutation(l2_on_bias=True),
        )]
    if kind in PENALISED:
        w = weight(layer).text
        return [Diagnosis(
            "l2-missing",
            f"the L2 term is missing: the penalty (λ/2) Σ w² adds λ{w} to ∂L/∂{w}",
            Mutation(l2_missing=True),
        )]
    return []


def _data_rule(network: Network, wrt: str) -> object:
    """The plan's rule for ∂L/∂(wrt) without the L2 term."""
    rule = plan(network).gradient_rule(wrt)
    return rule.left if isinstance(rule, Add) and isinstance(rule.right, WeightDecay) else rule


def _scales(network: Network) -> list[Diagnosis]:
    loss = network.loss.kind
    n = network.sizes[-1]
    two = {
        "half_sse": "a factor 2 too many: with half_sse the ½ cancels the 2 from the square "
        "(this is the gradient of sse)",
        "sse": "a factor 2 too many: this is twice the gradient",
    }.get(loss, "a factor 2 too many: this is twice the gradient")
    half = {
        "sse": "a factor 2 missing: with sse, ∂/∂a (a − y)² = 2(a − y) "
        "(this is the gradient of half_sse)",
    }.get(loss, "a factor ½ too many: this is half the gradient")
    out = [
        Diagnosis("wrong-sign", "the sign is wrong: this is minus the gradient", Mutation(scale=Fraction(-1))),
        Diagnosis("factor-2", two, Mutation(scale=Fraction(2))),
        Diagnosis("factor-half", half, Mutation(scale=Fraction(1, 2))),
    ]
    if loss == "mse" and n > 2:
        out.append(
            Diagnosis(
                "mse-missing-1/n",
                f"the 1/n_L of mse is missing: this is {n} times the gradient",
                Mutation(scale=Fraction(n)),
            )
        )
        out.append(
            Diagnosis(
                "mse-as-half-sse",
                f"this is the gradient of half_sse, {n}/2 times too large: mse = (1/n_L) Σ (a − y)² "
                f"has ∂L/∂a = (2/n_L)(a − y) with n_L = {n}",
                Mutation(scale=Fraction(n, 2)),
            )
        )
        out.append(
            Diagnosis(
                "mse-extra-1/n",
                f"divided by n_L = {n} once too often",
                Mutation(scale=Fraction(1, n)),
            )
        )
    sign = out[0]
    for d in out[1:]:
        out.append(
            Diagnosis(
                f"{sign.name}+{d.name}", f"{sign.message}; also, {d.message}",
                Mutation(scale=-d.mutation.scale),
            )
        )
    return out
