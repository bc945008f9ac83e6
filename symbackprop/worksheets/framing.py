"""What page 1 says before any exercise: the network in words, the notation, the chain rule
and the four equations of backpropagation (Nielsen, *Neural Networks and Deep Learning*, ch. 2).

>>> from symbackprop.models import understanding
>>> describe(understanding())
'A 2-4-4-3 network: two ReLU hidden layers, a softmax output and the cross-entropy loss'
>>> [[step.why for step in row] for row in four_equations(understanding())]
[['(BP1)'], ['(BP2)'], ['(BP3)', '(BP4)']]
"""

from __future__ import annotations

from typing import Any

from ..display import Named
from ..printing import latex
from ..spec import Network
from ..steps import Step
from ..symbols import LOSS

NIELSEN = "M. Nielsen, Neural Networks and Deep Learning, chapter 2"
_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def describe(network: Network) -> str:
    """The network in the words of a course: sizes, activations, loss, biases."""
    hidden = [layer.activation.title for layer in network.layers[:-1]]
    if not hidden:
        parts = ["no hidden layer"]
    elif len(set(hidden)) == 1:
        count = len(hidden)
        parts = [f"{_COUNTS.get(count, str(count))} {hidden[0]} hidden layer{'s' if count > 1 else ''}"]
    else:
        parts = ["hidden layers " + ", ".join(hidden)]
    output = network.output_activation.title
    article = "an" if output[0] in "aeiou" else "a"
    parts.append(f"{article} {output} output")
    text = f"A {'-'.join(map(str, network.sizes))} network: {', '.join(parts[:-1])}, {parts[-1]} and the {network.loss.title} loss"
    text = text if network.bias else text + ", without biases"
    return text + (f", with L2 regularisation of strength {network.l2:g}" if network.l2 else "")


def _named(tex: str, words: str) -> Named:
    return Named(tex, words, 1, 1)


def chain_rule() -> str:
    """The chain rule in one paragraph (words with $math$)."""
    loss = latex(LOSS)
    return (
        f"The chain rule: when ${loss}$ depends on $\\theta$ through $u$, "
        f"$\\partial {loss}/\\partial \\theta = (\\partial {loss}/\\partial u)\\,(\\partial u/\\partial \\theta)$; "
        "along a longer path, one factor per step; when there are several paths, add one such "
        "product per path."
    )


def four_equations(network: Network) -> tuple[tuple[Step, ...], ...]:
    """BP1–BP4 as this network needs them (softmax: the Jacobian; no biases: no BP3), in rows."""
    loss = latex(LOSS)
    grad = rf"\nabla_{{a}} {loss}"
    output = network.output_activation
    if output.elementwise:
        bp1 = rf"{grad} \odot \sigma'\left(z^{{(L)}}\right)"
    else:
        bp1 = rf"J^{{\top}} {grad}"
        if network.loss.kind == "cross_entropy":
            bp1 += r" = a^{(L)} - y"
    steps = [
        Step(_named(r"\delta^{(L)}", "δ⁽ᴸ⁾"), (_named(bp1, ""),), "(BP1)"),
        Step(
            _named(r"\delta^{(l)}", "δ⁽ˡ⁾"),
            (_named(r"\left(\left(W^{(l+1)}\right)^{\top} \delta^{(l+1)}\right) \odot \sigma'\left(z^{(l)}\right)", ""),),
            "(BP2)",
        ),
    ]
    if network.bias:
        steps.append(Step(_named(rf"\frac{{\partial {loss}}}{{\partial b^{{(l)}}_{{j}}}}", ""),
                          (_named(r"\delta^{(l)}_{j}", ""),), "(BP3)"))
    bp4 = r"a^{(l-1)}_{k}\, \delta^{(l)}_{j}" + (r" + \lambda w^{(l)}_{jk}" if network.l2 else "")
    steps.append(Step(_named(rf"\frac{{\partial {loss}}}{{\partial w^{{(l)}}_{{jk}}}}", ""),
                      (_named(bp4, ""),), "(BP4)"))
    return ((steps[0],), (steps[1],), tuple(steps[2:]))


def equations_note(network: Network) -> str:
    """What the box's symbols mean for this network."""
    note = (
        "BP2 runs from $l = L-1$ down to 1; $\\sigma$ is each layer's own activation and $\\odot$ "
        f"multiplies entry by entry. From {NIELSEN}."
    )
    if network.l2:
        note += (" With L2 regularisation the loss gains $(\\lambda/2) \\sum w^2$, which no $z$ depends on: "
                 "the $\\delta$'s are unchanged, and BP4 gains its derivative $\\lambda w$ (biases are not penalised).")
    if not network.output_activation.elementwise:
        note = (
            "Here J is the softmax's Jacobian, $J_{ij} = \\partial a_i / \\partial z_j = a_i([i = j] - a_j)$; "
            + note
        )
    return note


def notation(network: Network) -> tuple[tuple[str, str], ...]:
    """(math, words) rows: the symbols of the sheet, stated once, for every layer l."""
    loss = latex(LOSS)
    sizes = network.sizes
    k = 2 if sizes[0] >= 2 else 1
    z = "W^{(l)} a^{(l-1)} + b^{(l)}" if network.bias else "W^{(l)} a^{(l-1)}"
    rows: list[tuple[str, str]] = [
        ("$x = a^{(0)}$, $y$", f"the input ({sizes[0]} numbers) and the target ({sizes[-1]}), as columns"),
        ("$L$", f"the number of layers, here {network.depth}; layer 0 is the input; indices start at 1"),
        ("$W^{(l)}$", "the weights of layer $l$: $w^{(l)}_{jk}$ joins unit $k$ of layer $l-1$ to unit $j$ of "
                      f"layer $l$, so $w^{{(1)}}_{{1{k}}}$ joins unit {k} of layer 0 to unit 1 of layer 1"),
        (f"$z^{{(l)}} = {z}$", "the weighted inputs of layer $l$" + (", $b^{(l)}$ its biases" if network.bias else "")),
        ("$a^{(l)} = \\sigma(z^{(l)})$", "the activations of layer $l$: " + activations(network)),
        (f"${loss}$", f"the loss of one sample, {network.loss.title}: ${network.loss.latex_form}$"
         + (f", plus the L2 term $(\\lambda/2) \\sum_{{l,j,k}} (w^{{(l)}}_{{jk}})^2$ with $\\lambda = {network.l2:g}$"
            if network.l2 else "")),
        (f"$\\delta^{{(l)}} = \\partial {loss} / \\partial z^{{(l)}}$", "the error of layer $l$"),
    ]
    if any(layer.activation.kind in ("relu", "softmax") for layer in network.layers):
        rows.append(("$[P]$", "1 when $P$ is true, 0 when it is false (an Iverson bracket)"))
    return tuple(rows)


def activations(network: Network) -> str:
    """``sigmoid in layers 1–2`` / ``ReLU in layers 1–2, softmax in layer 3``."""
    runs: list[list[Any]] = []
    for index, layer in enumerate(network.layers, start=1):
        title = layer.activation.title
        if runs and runs[-1][0] == title:
            runs[-1][2] = index
        else:
            runs.append([title, index, index])
    parts = []
    for title, start, end in runs:
        where = f"layer {start}" if start == end else f"layers {start}–{end}"
        parts.append(f"{title} in {where}")
    return ", ".join(parts)
