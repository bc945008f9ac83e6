"""The solution key, exercise by exercise, in the order of the exercises.

Each δ is derived once, in the first exercise that needs it; later exercises
refer back to it ("as in exercise 1") and write the result on one line.  A
final answer is written in chain order — the loss's derivative, then each σ'
on the way back, then the input — with the δ's expanded while that stays
short (:func:`symbackprop.chain.gradient_in_chain_order`), else in the δ form.

>>> from symbackprop.models import two_two_two
>>> from symbackprop.worksheets.model import build
>>> sheet = build(two_two_two(), seed=0)
>>> [len(s.sections) for s in sheet.solutions]
[3, 3, 3, 1, 3]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import MatMul, Transpose

from ..chain import _local, delta_steps, gradient_in_chain_order
from ..derive import Derivation
from ..display import Chain, Partial, Product, Terms, value
from ..layers.l2 import LAMBDA
from ..printing import latex
from ..steps import Section, Step
from ..symbols import LOSS
from .exercises import Exercise, entry_symbol


@dataclass(frozen=True)
class Solution:
    """The key to one exercise: its sections of steps, its final answer and its value(s).

    ``answer`` is the final formula (None for the numbers exercise) and
    ``value`` its number at the worked example (a matrix for a vectorised
    exercise, None for the numbers exercise, whose numbers are its steps).
    """

    exercise: Exercise
    sections: tuple[Section, ...]
    answer: Any = None
    value: Any = None


@dataclass
class Shown:
    """What the key has derived so far: a layer's δ in full, and single δ's."""

    layers: dict[int, int] = field(default_factory=dict)  # layer -> exercise that derived it
    units: dict[sympy.Symbol, int] = field(default_factory=dict)  # δ⁽ˡ⁾ⱼ -> exercise


def _m(expr: Any) -> str:
    return f"${latex(expr)}$"


def path_chain(d: Derivation, name: str, row: int, col: int) -> Any:
    """∂ℒ/∂θ as the chain of partial derivatives it follows — the second level of hint."""
    L = d.network.depth
    layer = int(name[1:])
    syms = d.symbols.layers[layer - 1]
    theta = entry_symbol(d, name, row, col)
    z_j, a_j = syms.z[row - 1], syms.a[row - 1]
    last = Partial(z_j, theta)
    if layer == L and d.network.output_activation.elementwise:
        return Chain(Partial(LOSS, a_j), Partial(a_j, z_j), last)
    if layer == L:
        return Chain(Terms(*[Chain(Partial(LOSS, a_i), Partial(a_i, z_j)) for a_i in syms.a]), last)
    above = d.symbols.layers[layer]
    paths = [Chain(Partial(LOSS, z_i), Partial(z_i, a_j)) for z_i in above.z]
    return Chain(Terms(*paths) if len(paths) > 1 else paths[0], Partial(a_j, z_j), last)


def _delta_result(d: Derivation, layer: int, unit: int) -> Any:
    """The last line of δ⁽ˡ⁾ⱼ's derivation (0-based unit): its δ form in chain order."""
    return delta_steps(d, layer, (unit,))[0].rhs[-1]


def _needed_deltas(d: Derivation, layer: int, row: int, shown: Shown, number: int) -> list[Step]:
    """The δ's the exercise needs that the key has not written yet, deepest last."""
    L = d.network.depth
    steps: list[Step] = []
    for m in range(L, layer - 1, -1):
        units = [row - 1] if m == layer else list(range(d.network.sizes[m]))
        for unit in units:
            symbol = d.symbols.layers[m - 1].delta[unit]
            if symbol in shown.units:
                continue
            if m in shown.layers:
                source = shown.layers[m]
                where = "above" if source == number else f"in exercise {source}"
                steps.append(Step(symbol, (_delta_result(d, m, unit),), f"as {where}, for unit {unit + 1}"))
            else:
                steps.extend(delta_steps(d, m, (unit,)))
                shown.layers[m] = number
            shown.units[symbol] = number
    return steps


def gradient_solution(d: Derivation, ex: Exercise, shown: Shown, grad_value: float) -> Solution:
    """The chain, the δ's it needs (each once on the sheet), then ∂ℒ/∂θ in chain order."""
    layer = int(ex.parameter[1:])
    theta = ex.symbol
    syms = d.symbols.layers[layer - 1]
    z_j = syms.z[ex.row - 1]
    question = Partial(LOSS, theta)
    chain = Step(question, (path_chain(d, ex.parameter, ex.row, ex.col),))
    earlier = sorted({n for s, n in shown.units.items() if n != ex.number})
    deltas = _needed_deltas(d, layer, ex.row, shown, ex.number)
    intro = "Each $\\delta$ is $\\partial " + latex(LOSS) + " / \\partial z$ of its unit."
    if earlier:
        which = " and ".join(map(str, earlier))
        intro += f" Those derived in exercise{'s' if len(earlier) > 1 else ''} {which} are used as they are."
    local = _local(d.pre_activations[layer - 1][ex.row - 1], theta)
    delta = syms.delta[ex.row - 1]
    in_delta = Chain(delta, local) if local != 1 else delta
    rhs: list[Any] = [Chain(Partial(LOSS, z_j), Partial(z_j, theta)), in_delta]
    expanded = gradient_in_chain_order(d, ex.parameter[0], layer, ex.row - 1, ex.col - 1)
    if expanded is not None and value(expanded) != value(in_delta):
        rhs.append(expanded)
    answer = rhs[-1]
    why = (
        f"{_m(theta)} enters {_m(LOSS)} only through {_m(z_j)}, and "
        f"{_m(Partial(z_j, theta))} $=$ {_m(local)}"
    )
    if ex.parameter[0] == "W" and d.plan.penalty is not None:
        # L2 adds (λ/2) w² to the loss: its derivative λw joins every form of the data term.
        chain = Step(question, (Terms(chain.rhs[0], LAMBDA * theta),))
        rhs = [Terms(form, LAMBDA * theta) for form in rhs]
        answer = rhs[-1]
        why = why.replace(f"enters {_m(LOSS)} only", "enters the data term only")
        why += r"; L2 adds $\lambda w$"
    sections = [
        Section("The chain", (chain,), "One factor per step along the path, one term per path:"),
    ]
    if deltas:
        sections.append(Section("The errors it needs", tuple(deltas), intro))
    sections.append(Section("The derivative", (Step(question, tuple(rhs), why),)))
    return Solution(ex, tuple(sections), answer, grad_value)


def vectorised_solution(d: Derivation, ex: Exercise, numbers: tuple[Step, ...], grad: Any) -> Solution:
    """∂ℒ/∂W⁽ˡ⁾ entry by entry, as δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ, with shapes, then at the example."""
    layer = int(ex.parameter[1:])
    m = d.matrix_symbols(layer)
    n, k = d.network.sizes[layer], d.network.sizes[layer - 1]
    syms = d.symbols.layers[layer - 1]
    previous = d.symbols.activations(layer - 1)
    product = MatMul(m["delta"], Transpose(m["prev"]), evaluate=False)
    l2 = d.plan.penalty is not None  # the L2 term adds λW

    def entry(j: int, c: int) -> Any:
        data = Product(syms.delta[j], previous[c])
        return Terms(data, LAMBDA * syms.W[j, c]) if l2 else data

    rhs: list[Any] = []
    if k <= 4:
        rhs.append(sympy.ImmutableMatrix(n, k, lambda j, c: Partial(LOSS, syms.W[j, c])))
        rhs.append(sympy.ImmutableMatrix(n, k, entry))
    if l2:
        product = Terms(product, MatMul(LAMBDA, m["W"], evaluate=False))
    rhs.append(product)
    steps = [Step(Partial(LOSS, m["W"]), tuple(rhs), "", ((n, 1), (1, k)), (n, k))]
    steps.extend(numbers)
    intro = (
        f"Entry $(j, k)$ is $\\delta^{{({layer})}}_j a^{{({layer - 1})}}_k$ (BP4), the $j$-th entry of "
        f"the column $\\delta^{{({layer})}}$ ({n} × 1) times the $k$-th of the row "
        f"$(a^{{({layer - 1})}})^{{\\top}}$ (1 × {k}); the product is {n} × {k}."
    ) if layer > 1 else (
        f"Entry $(j, k)$ is $\\delta^{{(1)}}_j x_k$ (BP4): the column $\\delta^{{(1)}}$ ({n} × 1) "
        f"times the row $x^{{\\top}}$ (1 × {k}); the product is {n} × {k}."
    )
    if l2:
        intro += " The L2 term adds $\\lambda w^{(" + str(layer) + ")}_{jk}$ to entry $(j, k)$: $\\lambda W^{(" + str(layer) + ")}$."
    return Solution(ex, (Section("", tuple(steps), intro),), product, grad)


def numbers_solution(ex: Exercise, backward: tuple[Step, ...], answers: tuple[Step, ...],
                     updates: tuple[Step, ...], l2: bool = False) -> Solution:
    each = "each an error times its input" + (", plus $\\lambda w$ for a weight (L2)" if l2 else "")
    return Solution(
        ex,
        (
            Section("", backward, "Each vector as a formula, with the example's numbers, and its value:"),
            Section("", answers, f"The derivatives of the exercises, {each}:"),
            Section("", updates, "One step of gradient descent for each of those parameters:"),
        ),
    )
