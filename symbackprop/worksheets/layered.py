"""Worksheets for the layers beyond the MLP: a convolution, a recurrent layer, batch norm,
layer norm, dropout.

A sheet features one layer — the first ``conv2d``, ``rnn``, ``batchnorm``,
``layernorm`` or ``dropout`` of the network — and asks for its gradients and
those of the dense layers next to it that the course asks about (the weights
under a normalisation; the weights on both sides of a dropout mask): each in
words of the course (the kernel gradient as a correlation, backpropagation
through time, the paths through μ and σ², the mask on the way back), then in
numbers at a worked example.  The key is the layer's derivation as SymPy made
it (the section ``derive`` prints), the answer in the textbook's form, and the
numbers.  With ``l2`` every weight's answer gains λW.

The worked example is the verifier's: x, y and the parameters whole tenths
drawn from the seed (:func:`~symbackprop.verification.points.example`), every
quantity the plan's rules evaluated in 40 digits — a batch of three samples
for batch norm, one column each; a dropout mask is drawn with them and printed
as given.  Before a sheet is written its numbers are
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
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
from sympy import ImmutableMatrix, MatrixSymbol

from ..derive import Derivation
from ..display import Formula, Numeral, Partial
from ..errors import DataError, SymbackpropError, UnsupportedError
from ..layer_sections import index_sections
from ..layers.base import shape_text
from ..spec import Network
from ..steps import Section, Step
from ..symbols import (
    GRADIENT_STEMS,
    LOSS,
    Name,
    activation_gradient,
    bias,
    error,
    gradient_name,
    normalised,
    parameter,
    scale,
    weight,
)
from .check import TOLERANCE, Check
from .exercises import Exercise, Room
from .key import Solution

MAX_PARAMETERS = 40  # a sheet worked by hand: the small instances of a course
FEATURED = ("conv2d", "rnn", "batchnorm", "layernorm", "dropout")


@dataclass(frozen=True)
class Kind:
    """What a sheet says about one kind of layer: the title, the notation, and for each
    parameter (by stem, or by the role of a dense layer next to it: ``below``, ``below bias``,
    ``above``) the task and the answer in LaTeX, which :func:`symbackprop.verify` judges before
    the sheet is written.  Templates name ``<l>`` the layer, ``<input>`` its input, ``<b>`` the
    layer below and ``<b_input_T>`` its input transposed, ``<a>`` the layer above, ``<n>`` the features,
    ``<slope>`` the derivative of the activation below (``\\odot f'(z)``), ``<p>``, ``<keep>`` = 1/(1 − p)."""

    title: str
    notation: tuple[tuple[str, str], ...]
    tasks: dict[str, str]
    answers: dict[str, str]
    numbers: str  # what the numbers exercise asks for, in words
    around: tuple[str, ...] = ()  # the roles of the neighbours asked about, in the exercises' order


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
                 "layer's input with $\\delta^{(<l>)}$. Is the kernel flipped?<windows>",
            "b": "Derive $\\partial \\mathcal{L}/\\partial b^{(<l>)}$: the bias is added at every position.",
        },
        {"W": r"<read_delta> \star <read_input>", "b": r"\sum_i \sum_j \delta^{(<l>)}_{ij}"},
        "$\\delta^{(<l>)}$<read_numbers> and the gradients of the kernel and the bias",
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
                     r" - \hat{x}^{(<l>)} \odot \sum_n \delta^{(<l>)}_n \odot \hat{x}^{(<l>)}_n\right) <b_input_T>",
        },
        "$\\delta^{(<l>)}$, $\\partial \\mathcal{L}/\\partial a^{(<b>)}$ (the error below the three paths) and the gradients",
        ("below",),
    ),
    "layernorm": Kind(
        "Backpropagation through layer norm",
        (
            (r"$\mu,\ \sigma^2$", "the mean and the (biased) variance of the $<n>$ features of one sample: numbers, "
                                 "one pair per sample (batch norm has one pair per feature)"),
            (r"$\sigma$", "$\\sqrt{\\sigma^2 + \\epsilon}$, $\\epsilon = 10^{-5}$"),
            (r"$\hat{x}$", "the sample normalised: $\\hat{x}_j = (x_j - \\mu)/\\sigma$ for each feature $j$"),
            (r"$\gamma,\ \beta$", "the learned scale and shift, one of each per feature"),
            (r"$\delta^{(<l>)}$", "$\\partial \\mathcal{L}/\\partial z^{(<l>)}$, where $z^{(<l>)} = \\gamma \\odot \\hat{x} + \\beta$"),
        ),
        {
            "gamma": "Derive $\\partial \\mathcal{L}/\\partial \\gamma^{(<l>)}$: $\\gamma_j$ scales feature $j$ of the sample.",
            "beta": "Derive $\\partial \\mathcal{L}/\\partial \\beta^{(<l>)}$.",
            "below": "Each feature $x_j$ reaches the loss through its own $\\hat{x}_j$ and through $\\mu$ and "
                     "$\\sigma^2$, which the $<n>$ features of the sample share. Derive $\\partial \\mathcal{L}/\\partial x_j$ "
                     "through the three paths (with $g = \\gamma \\odot \\delta^{(<l>)}$), then "
                     "$\\partial \\mathcal{L}/\\partial W^{(<b>)}$. Over what does each sum run, here and in batch norm?",
        },
        {
            "gamma": r"\delta^{(<l>)} \odot \hat{x}^{(<l>)}",
            "beta": r"\delta^{(<l>)}",
            "below": r"\frac{1}{<n> \sigma^{(<l>)}}\left(<n>\, \gamma^{(<l>)} \odot \delta^{(<l>)} - \sum_{j} \gamma^{(<l>)}_j \delta^{(<l>)}_j"
                     r" - \hat{x}^{(<l>)} \sum_{j} \gamma^{(<l>)}_j \delta^{(<l>)}_j \hat{x}^{(<l>)}_j\right) <b_input_T>",
        },
        "$\\delta^{(<l>)}$, $g = \\gamma \\odot \\delta^{(<l>)}$ and its sums $\\sum_j g_j$ and $\\sum_j g_j \\hat{x}_j$, "
        "$\\partial \\mathcal{L}/\\partial a^{(<b>)}$ and the gradients",
        ("below",),
    ),
    "dropout": Kind(
        "Backpropagation through dropout",
        (
            (r"$p$", "the probability that an entry is dropped: $p = <p>$"),
            (r"$m^{(<l>)}$", "the mask, drawn from the seed and given with the numbers: each entry $0$ (dropped) or "
                             "$1/(1 - p) = <keep>$ (kept, and scaled so that the expected $a^{(<l>)}$ is $a^{(<b>)}$: "
                             "inverted dropout); it stays fixed while the gradient is computed"),
            (r"$a^{(<l>)}$", "$m^{(<l>)} \\odot a^{(<b>)}$: what layer $<a>$ reads"),
        ),
        {
            "above": "Layer $<a>$ reads the dropped activations $a^{(<l>)} = m^{(<l>)} \\odot a^{(<b>)}$. Derive "
                     "$\\partial \\mathcal{L}/\\partial W^{(<a>)}$ with $m^{(<l>)}$ and $a^{(<b>)}$: which of its columns are zero?",
            "below": "On the way back the error passes the same mask. Derive $\\partial \\mathcal{L}/\\partial a^{(<b>)}$, "
                     "then $\\partial \\mathcal{L}/\\partial W^{(<b>)}$. Why does the factor $1/(1 - p)$ appear on the way back too?",
            "below bias": "Derive $\\partial \\mathcal{L}/\\partial b^{(<b>)}$: what is it for a unit that was dropped?",
        },
        {
            "above": r"\delta^{(<a>)} (m^{(<l>)} \odot a^{(<b>)})^T",
            "below": r"\left(m^{(<l>)} \odot (W^{(<a>)})^T \delta^{(<a>)}<slope>\right) <b_input_T>",
            "below bias": r"m^{(<l>)} \odot (W^{(<a>)})^T \delta^{(<a>)}<slope>",
        },
        "$\\delta^{(<a>)}$, $\\partial \\mathcal{L}/\\partial a^{(<b>)}$ (the error after the mask), "
        "$\\delta^{(<b>)}$ and the gradients",
        ("above", "below", "below bias"),
    ),
}

# f'(z) of a dense layer below dropout, as the verifier reads it; an activation not here gets no exercise.
SLOPES = {
    "identity": "",
    "sigmoid": r" \odot \sigma'(z^{(<b>)})",
    "tanh": r" \odot \tanh'(z^{(<b>)})",
    "relu": r" \odot \mathbb{1}[z^{(<b>)} > 0]",
}
# Batch norm of an image: the same three paths, each channel's statistics over N·H·W entries.
KINDS["batchnorm image"] = Kind(
    "Backpropagation through batch norm of an image",
    (
        (r"$\mu_B,\ \sigma_B^2$", "the mean and the (biased) variance of each channel over the $N$ samples and "
                                 "all $H \\cdot W$ positions: $M = N H W$ entries"),
        (r"$\hat{x}_i$", "entry $i$ of a channel normalised: $(x_i - \\mu_B)/\\sqrt{\\sigma_B^2 + \\epsilon}$, "
                         "$\\epsilon = 10^{-5}$; $i$ runs over the samples and the positions"),
        (r"$\gamma,\ \beta$", "the learned scale and shift, one of each per channel"),
        (r"$\delta_i$", "$\\partial \\mathcal{L}/\\partial z_i$ of the batch loss (the mean of the samples' losses)"),
    ),
    {
        "gamma": "Derive $\\partial \\mathcal{L}/\\partial \\gamma^{(<l>)}$: $\\gamma$ scales its channel in every "
                 "sample and at every position. Over how many entries is the sum?",
        "beta": "Derive $\\partial \\mathcal{L}/\\partial \\beta^{(<l>)}$.",
        "below": "Each entry $x_i$ reaches the loss through its own $\\hat{x}_i$ and through its channel's "
                 "$\\mu_B$ and $\\sigma_B^2$. Derive $\\partial \\mathcal{L}/\\partial x_i$ through the three paths "
                 "(what is the count now?), then $\\partial \\mathcal{L}/\\partial W^{(<b>)}$ of the $1 \\times 1$ "
                 "convolution, which multiplies its input by the matrix $W^{(<b>)}$ at every sample and position.",
    },
    {
        "gamma": r"\sum_{i=1}^{N H W} \delta^{(<l>)}_i \odot \hat{x}^{(<l>)}_i",
        "beta": r"\sum_{i=1}^{N H W} \delta^{(<l>)}_i",
        "below": r"\frac{\gamma^{(<l>)}}{N H W \sigma_B}\left(N H W \delta^{(<l>)} - \sum_i \delta^{(<l>)}_i"
                 r" - \hat{x}^{(<l>)} \odot \sum_i \delta^{(<l>)}_i \odot \hat{x}^{(<l>)}_i\right) <b_input_T>",
    },
    "$\\delta^{(<l>)}$, $\\partial \\mathcal{L}/\\partial a^{(<b>)}$ (the error below the three paths) and the gradients",
    ("below",),
)


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
    """The 1-based index of the layer a sheet features, or None (an MLP's sheet is the usual one);
    a 1×1 convolution right below a batch norm is that batch norm's, as a dense layer is."""
    first = next((k for k, layer in enumerate(network.layers, 1) if layer.kind in FEATURED), None)
    if first is not None and first < network.depth and network.layers[first].kind == "batchnorm":
        return first + 1 if _dense_below(network, first + 1) == first else first
    return first


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
    kind = KINDS["batchnorm image" if layer.kind == "batchnorm" and layer.image else layer.kind]
    if layer.kind == "conv2d" and any((n + 2 * layer.padding - layer.kernel) % layer.stride for n in layer.in_shape[-2:]):
        raise UnsupportedError(
            f"the windows of {layer.describe()} leave out the last rows or columns of its {shape_text(layer.in_shape)} input, "
            "so a worksheet has no answer for its kernel's gradient; choose a size where (n + 2·padding − kernel) "
            "is a multiple of the stride"
        )
    d = Derivation(network)
    if network.stochastic and batch_size(d.plan) > 1:
        raise UnsupportedError("a worksheet draws one dropout mask for one sample, but batch norm needs a batch")
    if any(k.kind == "dropout" and (k is network.layers[-1] or network.layers[i].kind != "dense")
           for i, k in enumerate(network.layers, 1)):
        raise UnsupportedError("a worksheet folds a dropout mask into the dense layer after it, so each dropout needs one")
    point = example(d, seed)
    values, labels = dict(point.values), {}
    extra = _feature_sums(values, l) if layer.kind == "layernorm" else _windows(values, layer, l) if layer.kind == "conv2d" else {}
    for key, (label, grid) in extra.items():
        values[key], labels[key] = grid, label
    sections = index_sections(d, None)

    def number(v: Any) -> Numeral:
        return Numeral.rounded(float(v), digits)

    positions = _image_positions(d)

    def shown(name: str, exact: bool = False) -> tuple[Step, ...]:
        """The value's step — on a batch of images one per sample, a row per channel (the formula's
        matrix is the samples side by side, too wide for the page)."""
        grid = values[name]
        make = (lambda v: Numeral.exact(float(v))) if exact else number
        if name in drawn:  # a dropout mask: 0 or 1/(1 - p), given, so written exactly
            keep = kept(network.layers[Name.parse(name).layer - 1].p)
            make = lambda v: Numeral(keep if v else "0", float(v))  # noqa: E731
        per = positions.get(name, grid.cols)
        steps = []
        for first in range(0, grid.cols, per):
            matrix = ImmutableMatrix([[make(grid[i, j]) for j in range(first, first + per)] for i in range(grid.rows)])
            label = labels.get(name) or _label(name, grid) if per == grid.cols else _sample_label(name, first // per + 1, grid.rows, per)
            steps.append(Step(label, (matrix,)))
        return tuple(steps)

    drawn = set(point.inputs(network.parameter_names())) - {"x", "y", *network.parameter_names()}
    given = tuple(step for name in point.inputs(network.parameter_names())  # then a drawn dropout mask
                  for step in shown(name, exact=name in ("x", "y", *network.parameter_names())))
    forward = [step for name in _forward_names(d) if name in values and name not in drawn for step in shown(name)]

    def derived(layer_number: int) -> Section:
        """The backward section ``derive`` prints for a layer, its reasons cut to fit beside the steps."""
        section = next(s for s in sections if s.title.startswith(f"Layer {layer_number} "))
        title = f"Derived by SymPy, layer {layer_number} ({network.layers[layer_number - 1].kind})"
        return Section(title, tuple(replace(step, why=_short(step.why)) for step in section.steps), section.intro)
    forward.append(Step(LOSS, (number(point.loss),), network.loss.title))

    context = _context(network, l)
    wrts = [str(p.name) for p in d.plan.layers[l - 1].parameters]
    answers: dict[str, str] = {}
    tasks: dict[str, str] = {}
    for wrt in wrts:
        stem = parameter(wrt).stem
        tasks[wrt] = _fill(kind.tasks[stem], context)
        answers[wrt] = _fill(kind.answers[stem], context)
    # The key derives the featured layer at its first exercise; the layer above, at the exercise about it.
    derivations = {wrt: (derived(l),) for wrt in wrts[:1]}
    for role in kind.around:
        wrt = _neighbour(network, l, role, context)
        if wrt is not None:
            if role == "above":
                derivations[wrt] = (derived(l + 1),)
            elif not derivations.keys() - {str(weight(l + 1))}:
                derivations[wrt] = (derived(l), derived(l - 1)) if layer.kind == "dropout" else (derived(l),)
            tasks[wrt] = _fill(kind.tasks[role], context)
            answers[wrt] = _fill(kind.answers[role], context)
            wrts.append(wrt)
    if not wrts:
        raise UnsupportedError(
            f"a worksheet of {layer.describe()} asks about the dense layers on both sides of it, "
            f"and {network.describe()} has none there"
        )
    if network.l2:
        for wrt in wrts:
            if parameter(wrt).stem in ("W", "U"):
                tasks[wrt] += L2_TASK
                answers[wrt] += rf" + \lambda {Name.parse(wrt).latex}"

    exercises: list[Exercise] = []
    keys: list[Solution] = []
    for n, wrt in enumerate(wrts, start=1):
        gradient = Partial(LOSS, _symbol(wrt, values[wrt]))
        ex = Exercise(n, "layer gradient", f"Exercise {n}: $\\partial \\mathcal{{L}}/\\partial {Name.parse(wrt).latex}$",
                      tasks[wrt], room=(Room(gradient, lines=6),), parameter=wrt)
        answer = Step(gradient, (Formula(answers[wrt], answers[wrt]),), "")
        keys.append(Solution(ex, (*derivations.get(wrt, ()), Section("The answer", (answer,))), answer=answer.rhs[0],
                             value=values[str(gradient_name(parameter(wrt)))]))
        exercises.append(ex)
    numbers = [*_in_between(layer.kind, l, context), *(str(gradient_name(parameter(w))) for w in wrts)]
    numbers = [name for name in numbers if name in values]
    room = tuple(Room(labels.get(name) or _label(name, values[name]), entries=values[name].size) for name in numbers)
    n = len(exercises) + 1
    ex = Exercise(n, "numbers", f"Exercise {n}: the worked example in numbers",
                  "At the worked example, compute " + _fill(kind.numbers, context) + ".", room=room)
    exercises.append(ex)
    keys.append(Solution(ex, (Section("The numbers", tuple(step for name in numbers for step in shown(name))),)))

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
        notation=tuple((_fill(m, context), _fill(w, context)) for m, w in kind.notation) + _windows_notation(layer) + (
            ((r"$\lambda$", f"the L2 strength, ${network.l2:g}$: the loss gains $(\\lambda/2) \\sum w^2$ over the "
                             "entries of every weight matrix, not the biases"),) if network.l2 else ()),
        forward_rules=tuple(replace(step, why=_short(step.why, marks=("; ",))) for step in sections[0].steps),
        given=given,
        forward=tuple(forward),
        exercises=tuple(exercises),
        solutions=tuple(keys) if solutions else (),
        check=check,
        samples=samples,
    )


L2_TASK = " The loss includes the L2 term $(\\lambda/2) \\sum w^2$ over the weights (not the biases)."


def _context(network: Network, l: int) -> dict[str, Any]:  # noqa: E741 - the layer's number
    """What the templates of the sheet of layer ``l`` name: the layer, its input, its neighbours, its size."""
    layer = network.layers[l - 1]
    below_input = _input(max(l - 1, 1))
    context: dict[str, Any] = {"l": l, "input": _input(l), "b": l - 1, "a": l + 1,
                               "b_input_T": "x^T" if below_input == "x" else f"({below_input})^T"}
    if layer.kind == "layernorm":
        context["n"] = layer.features
    if layer.kind == "conv2d":  # a stride spreads δ out (dilate), a padding pads the input
        s, p = layer.stride, layer.padding
        context["read_delta"] = rf"\operatorname{{dilate}}_{{{s}}}(\delta^{{({l})}})" if s > 1 else rf"\delta^{{({l})}}"
        context["read_input"] = rf"\operatorname{{pad}}_{{{p}}}({_input(l)})" if p else _input(l)
        context["windows"] = (
            (f" The windows start {s} apart" if s > 1 else " The input is padded") +
            (f" over the input padded by {p}" if s > 1 and p else f" by {p}" if p else "") +
            ": which entries of the input does $W_{uv}$ meet?"
        ) if s > 1 or p else ""
        context["read_numbers"] = f", ${context['read_delta']}$" if s > 1 else ""
    if layer.kind == "dropout":
        context["p"] = f"{layer.p:g}"
        context["keep"] = kept(layer.p)
    if l > 1 and network.layers[l - 2].kind == "dense":
        context["slope"] = _fill(SLOPES.get(network.layers[l - 2].activation.kind, "?"), context)
    return context


def _windows_notation(layer: Any) -> tuple[tuple[str, str], ...]:
    """What a convolution with a stride or a padding adds to the notation."""
    if layer.kind != "conv2d" or (layer.stride == 1 and layer.padding == 0):
        return ()
    s, p = layer.stride, layer.padding
    rows = [(f"stride {s}, padding {p}",
             f"$z_{{ij}} = b + \\sum_{{u,v}} W_{{uv}} \\operatorname{{pad}}_{{{p}}}(A)_{{{s}(i-1)+u,\\,{s}(j-1)+v}}$: "
             f"window $(i, j)$ starts at row ${s}(i-1)+1$ and column ${s}(j-1)+1$ of the padded input")]
    if p:
        rows.append((r"$\operatorname{pad}_p(A)$", "$A$ inside $p$ rows and columns of zeros on every side"))
    if s > 1:
        rows.append((r"$\operatorname{dilate}_s(D)$", "$D$ with $s - 1$ rows and columns of zeros between its entries: "
                     "each entry of $D$ where its window starts"))
    return tuple(rows)


def _neighbour(network: Network, l: int, role: str, context: dict[str, Any]) -> str | None:  # noqa: E741
    """The parameter an exercise of ``role`` asks about (``below``: W of the dense layer under
    layer l, ``below bias`` its b, ``above``: W of the dense layer over it), or None where there
    is no such layer, or its gradient has no answer template here."""
    if role == "above":
        above = network.layers[l] if l < network.depth else None
        return str(weight(l + 1)) if above is not None and above.kind == "dense" and _dense_below(network, l, True) else None
    below = _dense_below(network, l, any_activation=network.layers[l - 1].kind == "dropout")
    if below is None or (network.layers[l - 1].kind == "dropout" and (l == network.depth or network.layers[l].kind != "dense")):
        return None
    if role == "below":
        return str(weight(below))
    return str(bias(below)) if network.layers[below - 1].bias else None


def _in_between(kind: str, l: int, context: dict[str, Any]) -> list[str]:  # noqa: E741
    """The numbers of the backward pass the numbers exercise asks for before the gradients
    (the forward pass's, μ and x̂ among them, are given on both copies)."""
    below = str(activation_gradient(l - 1))
    if kind == "batchnorm":
        return [str(error(l)), below]
    if kind == "layernorm":
        return [str(error(l)), *FEATURE_SUMS, below]
    if kind == "dropout":
        return [str(error(l + 1)), below, str(error(l - 1))]
    return [str(error(l)), *WINDOWS]


FEATURE_SUMS = ("g", "sum g", "sum g xhat")
WINDOWS = ("dilated delta",)


def _windows(values: dict[str, Any], layer: Any, l: int) -> dict[str, tuple[Formula, Any]]:  # noqa: E741
    """δ spread out to the stride, which the kernel's correlation reads when the convolution
    has a stride, as the sheet labels it (the padded input is the given one with zeros around)."""
    from ..verification.images import dilate

    if layer.stride == 1:
        return {}
    s = layer.stride
    label = rf"\operatorname{{dilate}}_{{{s}}}(\delta^{{({l})}})"
    return {"dilated delta": (Formula(label, f"dilate_{s}(δ⁽{l}⁾)"), dilate(values[str(error(l))], s))}


def _feature_sums(values: dict[str, Any], l: int) -> dict[str, tuple[Formula, Any]]:  # noqa: E741
    """g = γ ⊙ δ and its two sums over the sample's features, which layer norm's ∂L/∂x reads:
    the sheet's label and value of each, by :data:`FEATURE_SUMS` name."""
    from ..verification.grid import Grid

    gamma, delta, xhat = (values[str(n)].flat for n in (scale(l), error(l), normalised(l)))
    g = [c * d for c, d in zip(gamma, delta, strict=True)]
    names = (scale(l), error(l), normalised(l))
    (gamma_latex, delta_latex, xhat_latex), (gamma_text, delta_text, xhat_text) = (
        [n.latex for n in names], [n.text for n in names])
    return dict(zip(FEATURE_SUMS, (
        (Formula(rf"g = {gamma_latex} \odot {delta_latex}", f"g = {gamma_text} ⊙ {delta_text}"), Grid(len(g), 1, tuple(g))),
        (Formula(r"\sum_j g_j", "Σⱼ gⱼ"), Grid(1, 1, (mpmath.fsum(g),))),
        (Formula(rf"\sum_j g_j {xhat_latex}_j", f"Σⱼ gⱼ {xhat_text}ⱼ"),
         Grid(1, 1, (mpmath.fsum(a * b for a, b in zip(g, xhat, strict=True)),))),
    ), strict=True))


def _fill(template: str, context: dict[str, Any]) -> str:
    """A template with ``<l>`` (the layer), ``<input>`` (its input), ``<b>`` (the layer below) filled in."""
    for key, value in context.items():
        template = template.replace(f"<{key}>", str(value))
    return template


def _short(why: str, most: int = 64, marks: tuple[str, ...] = (": ", "; ", ", ")) -> str:
    """A reason short enough for the line beside its step: its first clause, or less;
    a bracket the cut would leave open goes with what it opened.

    >>> _short("the identity's derivative is 1 (from the next layer, or from the loss)")
    "the identity's derivative is 1"
    >>> _short("chain rule: a long explanation that goes on and on past the width of the line")
    'chain rule'
    """
    for mark in marks:
        if len(why) > most and mark in why:
            why = why.split(mark)[0]
            if why.count("(") > why.count(")"):
                why = why[: why.rindex("(")].rstrip()
    return why


def _label(name: str, grid: Any) -> Any:
    """What a value is written as: W^{(1)}, or ∂L/∂W^{(1)} for a gradient (dW1)."""
    which = Name.parse(name) if name not in ("x", "y") else None
    if which is not None and which.stem in GRADIENT_STEMS:
        return Partial(LOSS, _symbol(str(Name(GRADIENT_STEMS[which.stem], which.layer)), grid))
    return _symbol(name, grid)


def _sample_label(name: str, sample: int, rows: int, cols: int) -> MatrixSymbol:
    """Sample ``sample``'s part of a quantity of a batch of images: x (sample 1)."""
    which = Name.parse(name) if name not in ("x", "y") else None
    if which is not None and which.stem in GRADIENT_STEMS:  # ∂L/∂a⁽¹⁾, as _label writes it whole
        stem = rf"\frac{{\partial \mathcal{{L}}}}{{\partial {Name(GRADIENT_STEMS[which.stem], which.layer).latex}}}"
    else:
        stem = name if which is None else which.latex
    return MatrixSymbol(rf"{stem}\ \text{{(sample {sample})}}", rows, cols)


def _image_positions(d: Derivation) -> dict[str, int]:
    """The quantities that are images, on a sheet of a batch of them, and the columns of one
    sample in their matrix (H·W); empty on a sheet of one sample or of vectors."""
    from ..verification.values import batch_size

    if batch_size(d.plan) < 2:
        return {}
    quantities = [d.plan.x, *(q for entry in d.plan.layers for q in (*(s.target for s in entry.forward), entry.z, entry.a, entry.delta) if q is not None)]
    out = {str(q.name): q.shape[1] * q.shape[2] for q in quantities if len(q.shape) == 3}
    out.update({str(activation_gradient(e.index)): e.a.shape[1] * e.a.shape[2] for e in d.plan.layers if len(e.a.shape) == 3})
    return out


def _symbol(name: str, grid: Any) -> MatrixSymbol:
    return MatrixSymbol(Name.parse(name).latex if name not in ("x", "y") else name, grid.rows, grid.cols)


def _input(layer: int) -> str:
    return "x" if layer == 1 else f"a^{{({layer - 1})}}"


def _dense_below(network: Network, layer: int, any_activation: bool = False) -> int | None:
    """The dense layer right below ``layer``, when it has no activation (so that ∂L/∂W of it is
    ∂L/∂x of a normalisation times its input) or, with ``any_activation``, one whose derivative
    an answer can write (:data:`SLOPES`); below a normalisation, a 1×1 convolution without an
    activation too, a dense layer at every sample and position of an image."""
    if layer < 2:
        return None
    below = network.layers[layer - 2]
    allowed = SLOPES if any_activation else ("identity",)
    act = "identity" if below.activation is None else below.activation.kind
    pointwise = below.kind == "conv2d" and (below.kernel, below.stride, below.padding) == (1, 1, 0) and not any_activation
    return layer - 1 if act in allowed and (below.kind == "dense" or pointwise) else None


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
    from ..gradient_check import TINY, central_differences, gradcheck
    from ..verification import verify

    shapes = network.parameter_shapes()
    inputs = point.inputs(network.parameter_names())
    params = {k: np.array(inputs[k], dtype=float).reshape(shapes[k]) for k in network.parameter_names()}
    X = np.array(inputs["x"], dtype=float).reshape(samples, *network.input_shape)
    Y = np.array(inputs["y"], dtype=float).reshape(samples, network.output_size)
    exact = {k: np.array([float(v) for v in point.values[f"d{k}"].flat]).reshape(shapes[k]) for k in shapes}
    masks = {k: np.array(v, dtype=float).reshape(-1) for k, v in inputs.items() if k not in ("x", "y", *shapes)}
    f = network.compile()
    if masks:  # the sheet's own masks, folded into the weights after them, with the compiled draw off
        folded = _fold(masks, params)
        loss, grads = f(folded, X, Y, seed=None)
        lam = network.l2  # the folded weights' L2 term is not the sheet's: take it out, put the sheet's in
        data = {k: g - lam * folded[k] if k in _after(masks) else g for k, g in grads.items()}
        grads = {k: g + lam * params[k] if k in _after(masks) else g for k, g in _fold(masks, data).items()}

        def unfolded_loss(p: dict[str, np.ndarray]) -> float:
            q = _fold(masks, p)
            return f.loss(q, X, Y, seed=None) + lam / 2 * sum(float((p[k] ** 2 - q[k] ** 2).sum()) for k in _after(masks))

        numeric = central_differences(unfolded_loss, params)
        tiny = TINY * max(1.0, abs(float(loss)))  # as gradcheck: a true 0 is not judged on rounding noise
        errors = {(k, i): abs(exact[k][i] - numeric[k][i]) / max(abs(exact[k][i]), abs(numeric[k][i]), tiny)
                  for k in shapes for i in np.ndindex(shapes[k])}
        (name, index), fd_error = max(errors.items(), key=lambda item: item[1])
        fd_where, entries, kinks = f"{name}[{','.join(str(i + 1) for i in index)}]", len(errors), 0
    else:
        loss, grads = f(params, X, Y)
        report = gradcheck(f, params, X, Y, gradient=lambda p, x, y: (float(point.loss), exact), tolerance=TOLERANCE)
        worst = max(report.rows, key=lambda row: row.max_relative_error)
        fd_error, entries, kinks = float(worst.max_relative_error), sum(r.checked for r in report.rows), report.kinks
        fd_where = f"{worst.name}[{','.join(map(str, worst.where))}]" if worst.where else worst.name
    # Relative to each entry, or to the largest for an entry near 0: a bias under batch norm has a
    # gradient of exactly 0, which float64 computes as rounding noise of the other entries' size.
    floor = max(1e-12, 1e-4 * max(float(np.max(np.abs(g))) for g in exact.values()))
    key_error = max(float(np.max(np.abs(grads[k] - exact[k]) / np.maximum(np.abs(exact[k]), floor))) for k in shapes)
    check = Check(fd_error, fd_where, key_error, entries, kinks)
    wrong = [w for w in wrts if not verify(network, w, answers[w], syntax="latex", points=4).correct]
    if not check.passed or wrong:
        raise SymbackpropError(
            f"the solution key disagrees (finite differences {check.fd_error:.2e} at {check.fd_where}, "
            f"compiled {check.key_error:.2e}, answers judged wrong: {', '.join(wrong) or 'none'}); "
            "this is a bug in symbackprop, please report it"
        )
    return check



def kept(p: float) -> str:
    """A kept entry of a dropout mask, 1/(1 − p), written exactly: a short decimal, or a fraction.

    The sheet says its given numbers are exact, so 1/(1 − 0.3) is not rounded to 1.429.

    >>> kept(0.5), kept(0.2), kept(0.3), kept(0.9)
    ('2', '1.25', '10/7', '10')
    """
    keep = 1 / (1 - Fraction(repr(float(p))))
    denominator = keep.denominator
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    if denominator == 1 and len(f"{float(keep):.12g}") <= 8:  # a decimal that ends within a few digits
        return f"{float(keep):.12g}"
    return f"{keep.numerator}/{keep.denominator}"


def _fold(masks: dict[str, np.ndarray], params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weights after each dropout layer with its mask folded in: z = W (m ⊙ a) = (W diag m) a.
    (∂L/∂W of the weights as they are is the folded weights' gradient folded the same way.)"""
    out = dict(params)
    for name, m in masks.items():
        after = str(weight(Name.parse(name).layer + 1))
        out[after] = params[after] * m[None, :]
    return out


def _after(masks: dict[str, np.ndarray]) -> set[str]:
    """The weights a mask is folded into."""
    return {str(weight(Name.parse(name).layer + 1)) for name in masks}
