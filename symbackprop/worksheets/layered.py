"""Worksheets for the layers beyond the MLP: a convolution, a recurrent layer, batch norm.

A sheet features one layer — the first ``conv2d``, ``rnn`` or ``batchnorm``
of the network — and asks for its gradients: each in words
of the course (the kernel gradient as a correlation, backpropagation through
time, the paths through μ and σ²), then in numbers at a worked example.  The
key is the layer's derivation as SymPy made it (the section ``derive``
prints), the answer in the textbook's form, and the numbers.

The worked example is the verifier's: x, y and the parameters whole tenths
drawn from the seed (:func:`~symbackprop.verification.points.example`), every
quantity the plan's rules evaluated in 40 digits — a batch of three samples
for batch norm, one column each.  Before a sheet is written its numbers are
checked against central finite differences and the compiled gradient, and
each answer's formula is judged by :func:`symbackprop.verify`: a key that is
wrong would teach the mistake.

>>> from symbackprop.models import small_conv
>>> sheet = build(small_conv())
>>> [e.parameter for e in sheet.exercises]
['W1', 'b1', '']
>>> sheet.check.passed
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sympy import ImmutableMatrix, MatrixSymbol

from ..derive import Derivation
from ..display import Formula, Numeral, Partial
from ..errors import DataError, SymbackpropError, UnsupportedError
from ..layer_sections import index_sections
from ..spec import Network
from ..steps import Section, Step
from ..symbols import (
    GRADIENT_STEMS,
    LOSS,
    Name,
    error,
    gradient_name,
    mean,
    normalised,
    parameter,
    variance,
    weight,
)
from .check import TOLERANCE, Check
from .exercises import Exercise, Room
from .key import Solution

MAX_PARAMETERS = 40  # a sheet worked by hand: the small instances of a course
FEATURED = ("conv2d", "rnn", "batchnorm")


@dataclass(frozen=True)
class Kind:
    """What a sheet says about one kind of layer: the title, the notation, and for each
    parameter (by stem) the task and the answer in LaTeX (``<l>`` the layer, ``<input>``
    its input, ``<b>`` the layer below), which :func:`symbackprop.verify` judges before the sheet is written."""

    title: str
    notation: tuple[tuple[str, str], ...]
    tasks: dict[str, str]
    answers: dict[str, str]
    numbers: str  # what the numbers exercise asks for, in words


KINDS = {
    "conv2d": Kind(
        "Backpropagation through a convolution",
        (
            (r"$W \star A$", "the kernel $W$ slid over $A$: $\\sum_{u,v} W_{uv} A_{i+u-1,\\,j+v-1}$ (a cross-correlation, as in PyTorch)"),
            (r"$\operatorname{rot180}(W)$", "the kernel turned by 180°; with it, $\\star_{\\mathrm{full}}$ slides over $A$ padded by zeros"),
            (r"$\delta^{(l)}$", "$\\partial \\mathcal{L}/\\partial z^{(l)}$, one entry for each entry of $z^{(l)}$"),
        ),
        {
            "W": "The kernel is used at every position of the image. Derive "
                 "$\\partial \\mathcal{L}/\\partial W^{(<l>)}_{uv}$ in index notation, then as a correlation of the "
                 "layer's input with $\\delta^{(<l>)}$. Is the kernel flipped?",
            "b": "Derive $\\partial \\mathcal{L}/\\partial b^{(<l>)}$: the bias is added at every position.",
        },
        {"W": r"\delta^{(<l>)} \star <input>", "b": r"\sum_i \sum_j \delta^{(<l>)}_{ij}"},
        "$\\delta^{(<l>)}$ and the gradients of the kernel and the bias",
    ),
    "rnn": Kind(
        "Backpropagation through time",
        (
            (r"$x_t,\ h_t$", "the input and the state at step $t$; $h_0 = 0$ and the layer's output is $h_T$"),
            (r"$W,\ U$", "the input's weights ($W_{xh}$) and the recurrent weights ($W_{hh}$), the same at every step"),
            (r"$\delta_t$", "$\\partial \\mathcal{L}/\\partial z_t$: the error of step $t$"),
        ),
        {
            "W": "$W^{(<l>)}$ is used at every step. Write the recursion of $\\delta_t$ from $t = T$ "
                 "back to $t = 1$, then $\\partial \\mathcal{L}/\\partial W^{(<l>)}$ as a sum over the steps.",
            "U": "Derive $\\partial \\mathcal{L}/\\partial U^{(<l>)}$: which state does $z_t$ read?",
            "b": "Derive $\\partial \\mathcal{L}/\\partial b^{(<l>)}$.",
        },
        {
            "W": r"\sum_{t=1}^{T} \delta^{(<l>)}_t (<input>_t)^T",
            "U": r"\sum_{t=2}^{T} \delta^{(<l>)}_t (h^{(<l>)}_{t-1})^T",
            "b": r"\sum_{t=1}^{T} \delta^{(<l>)}_t",
        },
        "$\\delta_t$ for every step (row $t$ of $\\delta^{(<l>)}$) and the gradients of $W$, $U$ and $b$",
    ),
    "batchnorm": Kind(
        "Backpropagation through batch norm",
        (
            (r"$\mu_B,\ \sigma_B^2$", "the mean and the (biased) variance of each feature over the batch of $N$ samples"),
            (r"$\hat{x}_n$", "sample $n$ normalised: $(x_n - \\mu_B)/\\sqrt{\\sigma_B^2 + \\epsilon}$, $\\epsilon = 10^{-5}$"),
            (r"$\gamma,\ \beta$", "the learned scale and shift, one of each per feature"),
            (r"$\delta_n$", "$\\partial \\mathcal{L}/\\partial z_n$ of the batch loss (the mean of the samples' losses)"),
        ),
        {
            "gamma": "Derive $\\partial \\mathcal{L}/\\partial \\gamma^{(<l>)}$: $\\gamma$ scales every sample's $\\hat{x}_n$.",
            "beta": "Derive $\\partial \\mathcal{L}/\\partial \\beta^{(<l>)}$.",
            "below": "Each $x_n$ reaches the loss through its own $\\hat{x}_n$ and through $\\mu_B$ and "
                     "$\\sigma_B^2$, which every sample of the batch shares. Derive "
                     "$\\partial \\mathcal{L}/\\partial x_n$ through the three paths, then $\\partial \\mathcal{L}/\\partial W^{(<b>)}$.",
        },
        {
            "gamma": r"\sum_{n=1}^{N} \delta^{(<l>)}_n \odot \hat{x}^{(<l>)}_n",
            "beta": r"\sum_{n=1}^{N} \delta^{(<l>)}_n",
            "below": r"\frac{\gamma^{(<l>)}}{N \sigma_B}\left(N \delta^{(<l>)} - \sum_n \delta^{(<l>)}_n"
                     r" - \hat{x}^{(<l>)} \odot \sum_n \delta^{(<l>)}_n \odot \hat{x}^{(<l>)}_n\right) (<input>)^T",
        },
        "$\\mu_B$, $\\sigma_B^2$, $\\hat{x}$, $\\delta^{(<l>)}$ and the gradients",
    ),
}


@dataclass(frozen=True)
class LayerSheet:
    """A worksheet featuring one layer; ``solutions`` is empty on a student's copy."""

    title: str
    subtitle: str
    network: Network
    featured: int  # the featured layer
    seed: int
    digits: int
    notation: tuple[tuple[str, str], ...]
    forward_rules: tuple[Step, ...]  # the forward pass in index notation
    given: tuple[Step, ...]
    forward: tuple[Step, ...]  # the worked example's forward values
    exercises: tuple[Exercise, ...]
    solutions: tuple[Solution, ...]
    check: Check
    samples: int = 1
    student: str = ""
    code: str = ""

    @property
    def has_solutions(self) -> bool:
        return bool(self.solutions)

    def student_copy(self, student: str = "", code: str = "") -> LayerSheet:
        return replace(self, solutions=(), student=student, code=code)


def featured_layer(network: Network) -> int | None:
    """The 1-based index of the layer a sheet features, or None (an MLP's sheet is the usual one)."""
    return next((k for k, layer in enumerate(network.layers, 1) if layer.kind in FEATURED), None)


def build(network: Network, seed: int = 0, solutions: bool = True, digits: int = 4) -> LayerSheet:
    """The sheet of ``network``; ``seed`` picks the worked example's numbers."""
    from ..verification.context import names_for
    from ..verification.points import example
    from ..verification.values import batch_size

    l = featured_layer(network)  # noqa: E741 - the layer's number, as the docs write it
    if l is None:
        raise DataError(f"{network.describe()} has no {', '.join(FEATURED)} layer for a layer worksheet")
    if network.parameter_count() > MAX_PARAMETERS:
        raise DataError(
            f"a worksheet is worked by hand, so it takes networks of at most {MAX_PARAMETERS} parameters; "
            f"{network.describe()} has {network.parameter_count()}"
        )
    layer = network.layers[l - 1]
    table = names_for(network)
    hidden = [table.unseen(name) for name in network.parameter_names() if table.unseen(name)]
    if hidden:  # several channels: a kernel of four axes, which the key's formulas cannot name
        raise UnsupportedError(f"a worksheet works with matrices, but {hidden[0]}")
    kind = KINDS[layer.kind]
    d = Derivation(network)
    point = example(d, seed)
    values = point.values
    sections = index_sections(d, None)
    own = next(s for s in sections if s.title.startswith(f"Layer {l} "))

    def number(v: Any) -> Numeral:
        return Numeral.rounded(float(v), digits)

    def shown(name: str, exact: bool = False) -> Step:
        grid = values[name]
        make = (lambda v: Numeral.exact(float(v))) if exact else number
        matrix = ImmutableMatrix([[make(grid[i, j]) for j in range(grid.cols)] for i in range(grid.rows)])
        return Step(_label(name, grid), (matrix,))

    inputs = ("x", "y", *network.parameter_names())
    given = tuple(shown(name, exact=True) for name in inputs)
    forward = [shown(name) for name in _forward_names(d) if name in values]
    key_steps = tuple(replace(step, why=_short(step.why)) for step in own.steps)
    forward.append(Step(LOSS, (number(point.loss),), network.loss.title))

    wrts = [str(p.name) for p in d.plan.layers[l - 1].parameters]
    answers: dict[str, str] = {}
    tasks: dict[str, str] = {}
    context = {"l": l, "input": _input(l)}
    for wrt in wrts:
        stem = parameter(wrt).stem
        tasks[wrt] = _fill(kind.tasks[stem], context)
        answers[wrt] = _fill(kind.answers[stem], context)
    below = _dense_below(network, l)
    if "below" in kind.answers and below is not None:
        context["b"] = below
        context["input"] = _input(below)
        wrt = str(weight(below))
        tasks[wrt] = _fill(kind.tasks["below"], context)
        answers[wrt] = _fill(kind.answers["below"], context)
        wrts.append(wrt)

    exercises: list[Exercise] = []
    keys: list[Solution] = []
    for n, wrt in enumerate(wrts, start=1):
        gradient = Partial(LOSS, _symbol(wrt, values[wrt]))
        ex = Exercise(n, "layer gradient", f"Exercise {n}: $\\partial \\mathcal{{L}}/\\partial {Name.parse(wrt).latex}$",
                      tasks[wrt], room=(Room(gradient, lines=6),), parameter=wrt)
        answer = Step(gradient, (Formula(answers[wrt], answers[wrt]),), "")
        steps = (Section("Derived by SymPy", key_steps, own.intro),) if n == 1 else ()
        keys.append(Solution(ex, (*steps, Section("The answer", (answer,))), answer=answer.rhs[0],
                             value=values[str(gradient_name(parameter(wrt)))]))
        exercises.append(ex)
    numbers = [str(error(l)), *(str(gradient_name(parameter(w))) for w in wrts)]
    if layer.kind == "batchnorm":
        numbers[:0] = [str(n) for n in (mean(l), variance(l), normalised(l)) if str(n) in values]
    room = tuple(Room(_label(name, values[name]), entries=values[name].size) for name in numbers)
    n = len(exercises) + 1
    ex = Exercise(n, "numbers", f"Exercise {n}: the worked example in numbers",
                  "At the worked example, compute " + _fill(kind.numbers, context) + ".", room=room)
    exercises.append(ex)
    keys.append(Solution(ex, (Section("The numbers", tuple(shown(name) for name in numbers)),)))

    samples = batch_size(d.plan)
    check = _check(network, point, samples, wrts, answers)
    subtitle = network.describe() + (f"; a batch of {samples} samples" if samples > 1 else "")
    return LayerSheet(
        title=kind.title,
        subtitle=subtitle,
        network=network,
        featured=l,
        seed=seed,
        digits=digits,
        notation=kind.notation,
        forward_rules=sections[0].steps,
        given=given,
        forward=tuple(forward),
        exercises=tuple(exercises),
        solutions=tuple(keys) if solutions else (),
        check=check,
        samples=samples,
    )


def _fill(template: str, context: dict[str, Any]) -> str:
    """A template with ``<l>`` (the layer), ``<input>`` (its input), ``<b>`` (the layer below) filled in."""
    for key, value in context.items():
        template = template.replace(f"<{key}>", str(value))
    return template


def _short(why: str, most: int = 64) -> str:
    """A reason short enough for the line beside its step: its first clause, or less;
    a bracket the cut would leave open goes with what it opened.

    >>> _short("the identity's derivative is 1 (from the next layer, or from the loss)")
    "the identity's derivative is 1"
    >>> _short("chain rule: a long explanation that goes on and on past the width of the line")
    'chain rule'
    """
    for mark in (": ", "; ", ", "):
        if len(why) > most and mark in why:
            why = why.split(mark)[0]
            if why.count("(") > why.count(")"):
                why = why[: why.rindex("(")].rstrip()
    return why


def _label(name: str, grid: Any) -> Any:
    """What a value is written as: W^{(1)}, or ∂L/∂W^{(1)} for a gradient (dW1)."""
    which = Name.parse(name) if name not in ("x", "y") else None
    if which is not None and which.stem in GRADIENT_STEMS and which.stem != "dA":
        return Partial(LOSS, _symbol(str(Name(GRADIENT_STEMS[which.stem], which.layer)), grid))
    return _symbol(name, grid)


def _symbol(name: str, grid: Any) -> MatrixSymbol:
    return MatrixSymbol(Name.parse(name).latex if name not in ("x", "y") else name, grid.rows, grid.cols)


def _input(layer: int) -> str:
    return "x" if layer == 1 else f"a^{{({layer - 1})}}"


def _dense_below(network: Network, layer: int) -> int | None:
    """The dense layer right below a normalisation, when it has no activation (so that
    ∂L/∂W of it is ∂L/∂x of the normalisation times its input)."""
    if layer < 2:
        return None
    below = network.layers[layer - 2]
    return layer - 1 if below.kind == "dense" and below.activation.kind == "identity" else None


def _forward_names(d: Derivation) -> list[str]:
    """The quantities the forward pass computes, in order: what each layer's rules define."""
    out: list[str] = []
    for entry in d.plan.layers:
        if entry.layer.kind == "flatten":
            continue  # the same numbers as the image before it, in a column
        for step in entry.forward:
            out.append(str(step.target.name))
        for quantity in (entry.z, entry.a):
            if quantity is not None and str(quantity.name) not in out:
                out.append(str(quantity.name))
    return out


def _check(network: Network, point: Any, samples: int, wrts: list[str], answers: dict[str, str]) -> Check:
    """The sheet's numbers against finite differences and the compiled gradient, its answers
    judged by verify; raise when any disagrees (a bug, not a user mistake)."""
    from ..gradient_check import gradcheck
    from ..verification import verify

    shapes = network.parameter_shapes()
    inputs = point.inputs(network.parameter_names())
    params = {k: np.array(inputs[k], dtype=float).reshape(shapes[k]) for k in network.parameter_names()}
    X = np.array(inputs["x"], dtype=float).reshape(samples, *network.input_shape)
    Y = np.array(inputs["y"], dtype=float).reshape(samples, network.output_size)
    exact = {k: np.array([float(v) for v in point.values[f"d{k}"].flat]).reshape(shapes[k]) for k in shapes}
    f = network.compile()
    loss, grads = f(params, X, Y)
    key_error = max(float(np.max(np.abs(grads[k] - exact[k]) / np.maximum(np.abs(exact[k]), 1e-12))) for k in shapes)
    report = gradcheck(f, params, X, Y, gradient=lambda p, x, y: (float(point.loss), exact), tolerance=TOLERANCE)
    worst = max(report.rows, key=lambda row: row.max_relative_error)
    where = f"{worst.name}[{','.join(map(str, worst.where))}]" if worst.where else worst.name
    check = Check(float(worst.max_relative_error), where, key_error, sum(r.checked for r in report.rows), report.kinks)
    wrong = [w for w in wrts if not verify(network, w, answers[w], syntax="latex", points=4).correct]
    if not check.passed or wrong:
        raise SymbackpropError(
            f"the solution key disagrees (finite differences {check.fd_error:.2e} at {check.fd_where}, "
            f"compiled {check.key_error:.2e}, answers judged wrong: {', '.join(wrong) or 'none'}); "
            "this is a bug in symbackprop, please report it"
        )
    return check

