"""Normalising over a set of entries, the rule batch norm and layer norm share.

Over a set S of N entries of x (batch norm: one feature across the batch,
layer norm: the features of one sample)::

    μ = (1/N) Σ_S x,   σ² = (1/N) Σ_S (x − μ)²   (biased),   x̂ = (x − μ)/√(σ² + ε),
    z = γ x̂ + β

Backwards, SymPy differentiates each node of that graph (:func:`graph_steps`)
and the chain rule through x̂, σ² and μ collapses, with x − μ = σ x̂ and
Σ_S (x − μ) = 0, to the form the textbooks print: with g = ∂L/∂x̂ = γ ⊙ δ,

    ∂L/∂x = (1/(N σ)) (N g − Σ_S g − x̂ Σ_S (g ⊙ x̂)),   σ = √(σ² + ε),

which for batch norm, where γ is one number over S, is
(γ/(N σ)) (N δ − Σ δ − x̂ Σ (δ ⊙ x̂)).  The NumPy form writes the sums as means.

>>> import numpy
>>> X = numpy.array([[1.0], [3.0]])
>>> MU = X.mean(axis=0, keepdims=True)
>>> _deviation(X, MU, 0, 0.0), _normalised_input(numpy.ones((2, 1)), (X - MU) / 1.0, numpy.ones((1, 1)), 0)
(array([[1.]]), array([[0.],
       [0.]]))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..activations import Activation
from ..display import Formula, Partial
from ..steps import Step
from ..symbols import (
    Name,
    activation,
    deviation,
    error,
    mean,
    normalised,
    pre_activation,
    real_symbol,
    scale,
    shift,
    variance,
)
from ..tensor import Activate, Assignment, Op, Quantity, Tensor, quantity
from .base import (
    VERIFY,
    IndexDerivation,
    Layer,
    Reader,
    Rules,
    Shape,
    activation_backward,
    layer_quantities,
)

EPSILON = 1e-5  # as PyTorch's BatchNorm and LayerNorm

# -- the NumPy forms (copied into the generated code; they also run on SymPy object arrays) --


def _deviation(X, MU, axes, eps):
    """σ = √(σ² + ε), σ² the biased variance of X over ``axes`` (kept as axes of length 1)."""
    return (((X - MU) ** 2).mean(axis=axes, keepdims=True) + eps) ** 0.5


def _batch_normalised_input(D, XHAT, SIGMA, GAMMA, TOTAL, MOMENT, count):
    """∂L/∂x = (γ/(Nσ)) (N δ − Σ δ − x̂ Σ δ x̂) for batch norm, with N = ``count``: the sums Σ δ
    and Σ δ x̂ are ∂L/∂β and ∂L/∂γ, computed once for both."""
    return GAMMA / (count * SIGMA) * (count * D - TOTAL - XHAT * MOMENT)


def _normalised_input(G, XHAT, SIGMA, axes):
    """∂L/∂x from G = ∂L/∂x̂: (G − mean G − x̂ mean(G ⊙ x̂)) / σ, the means over ``axes``.

    That is (1/(Nσ)) (N g − Σ g − x̂ Σ (g ⊙ x̂)) with the sums written as means.
    """
    return (G - G.mean(axis=axes, keepdims=True) - XHAT * (G * XHAT).mean(axis=axes, keepdims=True)) / SIGMA


# -- the operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Over:
    """The set a layer normalises over, as each back end needs it.

    ``axes``: the axes of a batch array (the first is the sample) the statistics
    run over; ``index`` and ``count``: how the printed sums name the entries and
    their number; ``batch``: True when the set spans samples (batch norm), so a
    statistic is one value for the batch, not one per sample; ``what``: the set
    in words; ``channels``: True when each of γ, β belongs to a channel of an image.
    """

    axes: tuple[int, ...]
    index: str
    count: str
    batch: bool
    what: str
    channels: bool = False

    @property
    def numpy_axes(self) -> str:
        return _axes(self.axes)

    @property
    def parameter_axes(self) -> tuple[int, ...]:
        """The axes ∂L/∂γ and ∂L/∂β sum over: the batch (and the positions of a channel)."""
        return self.axes if self.batch else (0,)

    def broadcast(self, name: str) -> str:
        """A parameter of one entry per channel, against an image batch: ``gamma2[:, None, None]``."""
        return f"{name}[:, None, None]" if self.channels else name


def _opaque(target: Quantity) -> Any:
    """The entries of a batch statistic as its own symbols: one sample does not determine it."""
    import numpy

    out = numpy.empty(target.shape, dtype=object)
    for index in numpy.ndindex(target.shape):
        out[index] = target.name.symbol(index[0] + 1)  # one entry per feature or channel (or one per sample)
    return out


@dataclass(frozen=True)
class Mean(Op):
    """μ = (1/N) Σ x over the set (one entry per feature for batch norm, per sample for layer norm)."""

    x: Tensor
    over: Over
    target: Quantity

    @property
    def per_batch(self) -> bool:
        return self.over.batch

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x,)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.target.shape

    def compute(self, X: Any) -> Any:
        return X.mean(axis=self.over.axes, keepdims=True)

    def symbolic(self, X: Any) -> Any:
        return _opaque(self.target) if self.over.batch else super().symbolic(X)

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]}.mean(axis={self.over.numpy_axes}, keepdims=True)"

    def display(self, args: list[Any]) -> Any:
        i = self.over.index
        return Formula(rf"\frac 1{{{self.over.count}}} \sum_{{{i}}} {{0}}_{{{i}}}", f"(1/{self.over.count}) Σ_{i} {{0}}_{i}", *args)

    def show(self, args: list[str]) -> str:
        return f"mean_{self.over.index}({args[0]})"


@dataclass(frozen=True)
class Deviation(Op):
    """σ = √(σ² + ε), σ² = (1/N) Σ (x − μ)² the biased variance over the set."""

    x: Tensor
    mu: Quantity
    over: Over
    target: Quantity

    helpers = (_deviation,)

    @property
    def per_batch(self) -> bool:
        return self.over.batch

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x, self.mu)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.target.shape

    def compute(self, X: Any, MU: Any) -> Any:
        return _deviation(X, MU, self.over.axes, EPSILON)

    def symbolic(self, X: Any, MU: Any) -> Any:
        return _opaque(self.target) if self.over.batch else super().symbolic(X, MU)

    def numpy(self, args: list[str]) -> str:
        return f"_deviation({args[0]}, {args[1]}, {self.over.numpy_axes}, {EPSILON!r})"

    def display(self, args: list[Any]) -> Any:
        i, n = self.over.index, self.over.count
        return Formula(
            rf"\sqrt{{\frac 1{{{n}}} \sum_{{{i}}} \left({{0}}_{{{i}}} - {{1}}\right)^{{2}} + \epsilon}}",
            f"√((1/{n}) Σ_{i} ({{0}}_{i} − {{1}})² + ε)",
            *args,
        )

    def show(self, args: list[str]) -> str:
        return f"std_{self.over.index}({args[0]}, {args[1]})"


@dataclass(frozen=True)
class Standardise(Op):
    """x̂ = (x − μ) / σ."""

    x: Tensor
    mu: Quantity
    sigma: Quantity

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x, self.mu, self.sigma)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.x.shape

    def compute(self, X: Any, MU: Any, SIGMA: Any) -> Any:
        return (X - MU) / SIGMA

    def numpy(self, args: list[str]) -> str:
        return f"({args[0]} - {args[1]}) / {args[2]}"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\left({0} - {1}\right) \oslash {2}", "({0} − {1}) ⊘ {2}", *args)

    def show(self, args: list[str]) -> str:
        return f"({args[0]} - {args[1]}) / {args[2]}"


@dataclass(frozen=True)
class ScaleShift(Op):
    """z = γ ⊙ x̂ + β (γ and β one entry per feature, or per channel of an image)."""

    xhat: Quantity
    gamma: Quantity
    beta: Quantity
    over: Over

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.xhat, self.gamma, self.beta)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.xhat.shape

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.gamma.shape, self.xhat.shape)

    def compute(self, XHAT: Any, GAMMA: Any, BETA: Any) -> Any:
        if self.over.channels:
            return XHAT * GAMMA[:, None, None] + BETA[:, None, None]
        return XHAT * GAMMA + BETA

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]} * {self.over.broadcast(args[1])} + {self.over.broadcast(args[2])}"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"{1} \odot {0} + {2}", "{1} ⊙ {0} + {2}", *args)

    def show(self, args: list[str]) -> str:
        return f"{args[1]} * {args[0]} + {args[2]}"


@dataclass(frozen=True)
class ScaleGradient(Op):
    """∂L/∂γ = Σ δ ⊙ x̂ over the batch (and the positions of each channel)."""

    delta: Quantity
    xhat: Quantity
    axes: tuple[int, ...]
    shape_: tuple[int, ...]

    summed_over_batch = True
    cached = True  # named once: batch norm's ∂L/∂x reads it too

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.xhat)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.shape_

    def compute(self, D: Any, XHAT: Any) -> Any:
        return (D * XHAT).sum(axis=self.axes)

    def numpy(self, args: list[str]) -> str:
        return f"({args[0]} * {args[1]}).sum(axis={_axes(self.axes)})"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\sum_{n} {0}_{n} \odot {1}_{n}", "Σ_n {0}_n ⊙ {1}_n", *args)

    def show(self, args: list[str]) -> str:
        return f"sum_n({args[0]} * {args[1]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        if len(self.delta.shape) > 2:
            return None  # an image: per channel, which a formula's matrices cannot say
        product = f.times(args[0], args[1])
        return f("rowsum", product) if f.samples > 1 else product


@dataclass(frozen=True)
class ShiftGradient(Op):
    """∂L/∂β = Σ δ over the batch (and the positions of each channel)."""

    delta: Quantity
    axes: tuple[int, ...]
    shape_: tuple[int, ...]

    summed_over_batch = True
    cached = True  # named once: batch norm's ∂L/∂x reads it too

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta,)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.shape_

    def compute(self, D: Any) -> Any:
        return D.sum(axis=self.axes)

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]}.sum(axis={_axes(self.axes)})"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\sum_{n} {0}_{n}", "Σ_n {0}_n", *args)

    def show(self, args: list[str]) -> str:
        return f"sum_n({args[0]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        if len(self.delta.shape) > 2:
            return None
        return f("rowsum", args[0]) if f.samples > 1 else args[0]


def _axes(axes: tuple[int, ...]) -> str:
    return str(axes[0]) if len(axes) == 1 else str(axes)


@dataclass(frozen=True)
class NormalisedInput(Op):
    """∂L/∂x = (1/(Nσ)) (N g − Σ g − x̂ Σ (g ⊙ x̂)) with g = γ ⊙ δ: back through x̂, σ² and μ."""

    delta: Quantity
    xhat: Quantity
    sigma: Quantity
    gamma: Quantity
    over: Over

    helpers = (_normalised_input,)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.xhat, self.sigma, self.gamma)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.xhat.shape

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.gamma.shape, self.delta.shape)

    def compute(self, D: Any, XHAT: Any, SIGMA: Any, GAMMA: Any) -> Any:
        return _normalised_input(D * GAMMA, XHAT, SIGMA, self.over.axes)

    def numpy(self, args: list[str]) -> str:
        D, XHAT, SIGMA, GAMMA = args
        return f"_normalised_input({D} * {GAMMA}, {XHAT}, {SIGMA}, {self.over.numpy_axes})"

    def display(self, args: list[Any]) -> Any:
        i, n = self.over.index, self.over.count
        return Formula(
            rf"\left(\frac 1{{{n} {{2}}}} \left({n}\, {{3}} \odot {{0}} - \sum_{{{i}}} \left({{3}} \odot {{0}}\right)_{{{i}}} - {{1}} \sum_{{{i}}} \left({{3}} \odot {{0}} \odot {{1}}\right)_{{{i}}}\right)\right)",
            f"(1/({n} {{2}}) ({n} {{3}} ⊙ {{0}} − Σ_{i} ({{3}} ⊙ {{0}})_{i} − {{1}} Σ_{i} ({{3}} ⊙ {{0}} ⊙ {{1}})_{i}))",
            *args[:4],
        )

    def show(self, args: list[str]) -> str:
        return f"normalised_input({', '.join(args)})"

    def _terms(self, args: list[Any], f: Any) -> tuple[Any, Any, Any, Any, Any]:
        """(n·g, Σ g, x̂ Σ g x̂, the denominator n·σ, g) of ∂L/∂x with g = γ ⊙ δ, n the features."""
        D, XHAT, SIGMA, GAMMA = args[:4]
        n = self.xhat.shape[0]
        g = f.times(GAMMA, D)
        return f.scale(n, g), f("sum", g), f.times(XHAT, f("sum", f.times(g, XHAT))), f.scale(n, SIGMA), g

    def formula(self, args: list[Any], f: Any) -> Any:
        if len(self.xhat.shape) > 2 or f.samples > 1:
            return None
        whole, total, moment, below, _ = self._terms(args, f)
        return f.divide_by(f.minus(f.minus(whole, total), moment), below)

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        if len(self.xhat.shape) > 2 or f.samples > 1:
            return ()
        whole, total, moment, below, g = self._terms(args, f)
        return _normalisation_mistakes(f, g, args[2], whole, total, moment, below, batch=False)


@dataclass(frozen=True)
class BatchNormalisedInput(NormalisedInput):
    """Batch norm's ∂L/∂x = (γ/(Nσ)) (N δ − Σ δ − x̂ Σ δ x̂): γ is one number over the batch, so it
    comes out of the sums, and the sums are ∂L/∂β and ∂L/∂γ (``total``, ``moment``), computed once."""

    total: ShiftGradient | None = None
    moment: ScaleGradient | None = None

    helpers = (_batch_normalised_input,)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.xhat, self.sigma, self.gamma, self.total, self.moment)  # type: ignore[return-value]

    @property
    def count(self) -> int:
        """The entries per statistic in one sample: 1 for a vector, H·W for an image."""
        return self.xhat.shape[1] * self.xhat.shape[2] if self.over.channels else 1

    def compute(self, D: Any, XHAT: Any, SIGMA: Any, GAMMA: Any, TOTAL: Any, MOMENT: Any) -> Any:
        if self.over.channels:
            GAMMA, TOTAL, MOMENT = (v[:, None, None] for v in (GAMMA, TOTAL, MOMENT))
        return _batch_normalised_input(D, XHAT, SIGMA, GAMMA, TOTAL, MOMENT, D.shape[0] * self.count)

    def symbolic(self, D: Any, XHAT: Any, SIGMA: Any, GAMMA: Any, TOTAL: Any = None, MOMENT: Any = None) -> Any:
        """One sample's entry, in the batch's size N and sums, which one sample does not determine."""
        import numpy

        count = sympy.Symbol(self.over.count, integer=True, positive=True)
        totals = numpy.empty(D.shape, dtype=object)
        moments = numpy.empty(D.shape, dtype=object)
        name, hat = self.delta.name, self.xhat.name
        for index in numpy.ndindex(D.shape):
            where = index[0] + 1  # the feature, or the channel of an image
            totals[index] = sympy.Symbol(f"sum_{name}_{where}", real=True)
            moments[index] = sympy.Symbol(f"sum_{name}_{hat}_{where}", real=True)
        scale = GAMMA[:, None, None] if self.over.channels else GAMMA
        return scale / (count * SIGMA) * (count * D - totals - XHAT * moments)

    def numpy(self, args: list[str]) -> str:
        D, XHAT, SIGMA, GAMMA, TOTAL, MOMENT = args
        count = f"{D}.shape[0]" + (f" * {self.count}" if self.count > 1 else "")
        b = self.over.broadcast
        return f"_batch_normalised_input({D}, {XHAT}, {SIGMA}, {b(GAMMA)}, {b(TOTAL)}, {b(MOMENT)}, {count})"

    def _terms(self, args: list[Any], f: Any) -> tuple[Any, Any, Any, Any, Any]:
        """(N·γδ, γ Σ δ, γ x̂ Σ δ x̂, N·σ, γδ) over a batch of N: the sums are ∂L/∂β and ∂L/∂γ."""
        D, XHAT, SIGMA, GAMMA, TOTAL, MOMENT = args
        N = f.samples
        g = f.times(GAMMA, D)
        return (f.scale(N, g), f.times(GAMMA, TOTAL), f.times(GAMMA, f.times(XHAT, MOMENT)),
                f.scale(N, SIGMA), g)

    def formula(self, args: list[Any], f: Any) -> Any:
        if self.over.channels or f.samples < 2:
            return None
        whole, total, moment, below, _ = self._terms(args, f)
        return f.divide_by(f.minus(f.minus(whole, total), moment), below)

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        if self.over.channels or f.samples < 2:
            return ()
        whole, total, moment, below, g = self._terms(args, f)
        return _normalisation_mistakes(f, g, args[2], whole, total, moment, below, batch=True)

    def display(self, args: list[Any]) -> Any:
        i, n = self.over.index, self.over.count
        return Formula(
            rf"\left(\frac{{{{3}}}}{{{n} {{2}}}} \odot \left({n} {{0}} - \sum_{{{i}}} {{0}}_{{{i}}} - {{1}} \odot \sum_{{{i}}} {{0}}_{{{i}}} \odot {{1}}_{{{i}}}\right)\right)",
            f"({{3}}/({n} {{2}}) ⊙ ({n} {{0}} − Σ_{i} {{0}}_{i} − {{1}} ⊙ Σ_{i} {{0}}_{i} ⊙ {{1}}_{i}))",
            *args[:4],
        )


def _normalisation_mistakes(
    f: Any, g: Any, sigma: Any, whole: Any, total: Any, moment: Any, below: Any, batch: bool
) -> tuple[tuple[str, str, Any], ...]:
    """The classic mistakes of ∂L/∂x through a normalisation, each in a sentence a student reads:
    its mean and variance taken as constants, or one of their two paths left out
    (∂L/∂x = (N g − Σ g − x̂ Σ (g ⊙ x̂)) / (N σ), g = γ ⊙ δ)."""
    if batch:
        kind, what = "batch norm", "the batch (x₁ … x_N)"
        right = "(γ/(Nσ)) (N δ − Σ_i δ_i − x̂ Σ_i (δ_i ⊙ x̂_i))"
        terms = {"mean": "−Σ_i δ_i", "variance": "−x̂ Σ_i (δ_i ⊙ x̂_i)"}
    else:
        kind, what = "layer norm", "the sample's N features"
        right = "(1/(Nσ)) (N g − Σ_k g_k − x̂ Σ_k g_k x̂_k) with g = γ ⊙ δ"
        terms = {"mean": "−Σ_k g_k", "variance": "−x̂ Σ_k g_k x̂_k"}
    every = f"∂L/∂x = {right}, σ = √(σ² + ε)"
    return (
        ("normalisation-without-mean-and-variance",
         f"{kind} without the paths through the mean and the variance: μ and σ² are computed from "
         f"{what}, so each x reaches the loss through them too, not only through its own x̂; {every}, "
         "not γ ⊙ δ / σ",
         f.divide_by(g, sigma)),
        ("normalisation-without-variance-path",
         f"{kind} without the path through the variance σ²: the term {terms['variance']} is missing; {every}",
         f.divide_by(f.minus(whole, total), below)),
        ("normalisation-without-mean-path",
         f"{kind} without the path through the mean μ: the term {terms['mean']} is missing; {every}",
         f.divide_by(f.minus(whole, moment), below)),
    )


# -- the kinds that normalise: what batch norm and layer norm share ---------------------------


class Normalisation(Layer):
    """A normalisation over ``over``, then z = γ ⊙ x̂ + β and an activation (batch norm, layer norm).

    Subclasses are frozen dataclasses with an ``activation`` field; they give
    ``over``, ``features`` (the entries of γ) and the shape of a statistic.
    """

    keys: ClassVar[tuple[str, ...]] = ("type", "activation")
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY})

    @property
    def over(self) -> Over:
        raise NotImplementedError

    @property
    def statistic_shape(self) -> Shape:
        raise NotImplementedError

    def parameter_shapes(self, index: int) -> dict[str, Shape]:
        return {str(scale(index)): (self.features,), str(shift(index)): (self.features,)}

    def describe(self) -> str:
        act = self.activation.name
        return self.kind + ("" if act == "identity" else f" {act}")

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.activation.kind != "identity":
            out["activation"] = self.activation.source or self.activation.name
        return out

    @staticmethod
    def read_activation(reader: Reader) -> Activation | None:
        """The layer's activation (identity unless given); softmax is refused."""
        act = reader.activation()
        if act is not None and not act.elementwise:
            reader.problem("softmax is only for a dense output layer; use relu, tanh or sigmoid here")
            return None
        return act

    def rules(self, index: int, prev: Quantity) -> NormaliseRules:
        q = layer_quantities(index, self.out_shape, with_activation=True)
        return NormaliseRules(
            index=index,
            layer=self,
            prev=prev,
            a=q["a"],
            delta=q["delta"],
            gamma=quantity(scale(index), (self.features,)),
            beta=quantity(shift(index), (self.features,)),
            mu=quantity(mean(index), self.statistic_shape),
            sigma=quantity(deviation(index), self.statistic_shape),
            xhat=quantity(normalised(index), self.in_shape),
            z=q["z"],
        )

    def graph_derivation(self, index: int, graph: Graph, note: str) -> IndexDerivation:
        """The printed derivation through the graph μ, σ², x̂ (see :class:`Graph`)."""
        parameters = graph.parameter_steps()
        return IndexDerivation(
            forward=graph.forward_steps(f"layer {index}: {self.describe()}", self.over.what),
            backward=(
                (str(scale(index)), parameters["gamma"]),
                (str(shift(index)), parameters["beta"]),
                *(("", step) for step in graph.backward_steps(self.over.what)),
            ),
            output=graph.symbols["z"],
            indices=(graph.symbols["k"], *graph.symbols["fixed"]),
            note=note,
        )


@dataclass(frozen=True)
class NormaliseRules(Rules):
    """Layer l, a normalisation: μ, σ, x̂ over its set, z = γ ⊙ x̂ + β, a = act(z)."""

    gamma: Quantity
    beta: Quantity
    mu: Quantity
    sigma: Quantity
    xhat: Quantity
    z: Quantity  # type: ignore[misc]  (last: the base class gives it a default)

    @property
    def parameters(self) -> tuple[Quantity, ...]:
        return (self.gamma, self.beta)

    @property
    def forward(self) -> tuple[Assignment, ...]:
        over, act = self.layer.over, self.activation
        return (
            Assignment(self.mu, Mean(self.prev, over, self.mu), note=f"layer {self.index}: the mean over {over.what}"),
            Assignment(self.sigma, Deviation(self.prev, self.mu, over, self.sigma), note=r"the deviation, biased variance, $\epsilon = 10^{-5}$"),
            Assignment(self.xhat, Standardise(self.prev, self.mu, self.sigma), note="normalised"),
            Assignment(self.z, ScaleShift(self.xhat, self.gamma, self.beta, over), note="scaled and shifted"),
            Assignment(self.a, Activate(act, self.z), note=f"{act.name}, entry by entry"),
        )

    def backward(self, upstream: Tensor) -> Tensor:
        return activation_backward(self.activation, self.z, self.a, upstream)

    @property
    def input_gradient(self) -> Tensor:
        over = self.layer.over
        if over.batch:
            scale, shift = (g.rule for g in self.gradients)
            return BatchNormalisedInput(self.delta, self.xhat, self.sigma, self.gamma, over, shift, scale)
        return NormalisedInput(self.delta, self.xhat, self.sigma, self.gamma, over)

    @property
    def gradients(self) -> tuple[Assignment, ...]:
        axes, shape = self.layer.over.parameter_axes, self.gamma.shape
        return (
            Assignment(self.gamma, ScaleGradient(self.delta, self.xhat, axes, shape), note=r"$\sum_n \delta_n \odot \hat{x}_n$"),
            Assignment(self.beta, ShiftGradient(self.delta, axes, shape), note=r"$\sum_n \delta_n$"),
        )


# -- the derivation through the graph μ, σ², x̂, printed step by step --------------------------


@dataclass(frozen=True)
class Graph:
    """The normalisation graph of layer ``layer`` in SymPy: its nodes, SymPy's local derivatives
    and the collapsed ∂L/∂x.

    Entries are indexed by the sum's index (``over``: n across the batch, j across the
    features) and the ``fixed`` ones (j, the feature a batch norm normalises); the set has
    ``count`` entries.  ``per_entry_scale``: γ varies over the set (layer norm).
    """

    layer: int
    over: str
    fixed: tuple[str, ...]
    count: str
    per_entry_scale: bool

    def _base(self, stem: str) -> sympy.IndexedBase:
        return Name(stem, self.layer).indexed()

    @property
    def symbols(self) -> dict[str, Any]:
        names = (self.over, self.over + "'", *self.fixed)
        k, i, *fixed = (sympy.Symbol(name, integer=True, positive=True) for name in names)

        def statistic(name: Name) -> Any:
            return name.indexed()[tuple(fixed)] if fixed else real_symbol(str(name))

        return {
            "k": k, "i": i, "fixed": tuple(fixed),
            "N": sympy.Symbol(self.count, integer=True, positive=True),
            "x": activation(self.layer - 1).indexed(),
            "xhat": normalised(self.layer).indexed(), "z": pre_activation(self.layer).indexed(),
            "delta": error(self.layer).indexed(),
            "mu": statistic(mean(self.layer)), "var": statistic(variance(self.layer)),
            "sigma": statistic(deviation(self.layer)),
            "eps": sympy.Symbol("epsilon", positive=True),
        }

    def entry(self, base: Any, at: Any) -> Any:
        return base[(at, *self.symbols["fixed"])]

    def scale(self, stem: str, at: Any) -> Any:
        """γ (or β) as the entry at ``at`` reads it: γ_j of the feature, or γ_j of the entry itself."""
        fixed = self.symbols["fixed"]
        return self._base(stem)[at] if self.per_entry_scale else self._base(stem)[fixed]

    def rules(self) -> dict[str, Any]:
        """The forward nodes: μ, σ², x̂ and z, each an expression SymPy can differentiate."""
        s = self.symbols
        k, N, x, mu = s["k"], s["N"], s["x"], s["mu"]
        xk = self.entry(x, k)
        return {
            "mu": sympy.Sum(xk, (k, 1, N)) / N,
            "var": sympy.Sum((xk - mu) ** 2, (k, 1, N)) / N,
            "xhat": (xk - mu) / sympy.sqrt(s["var"] + s["eps"]),
            "z": self.scale("gamma", k) * self.entry(s["xhat"], k) + self.scale("beta", k),
        }

    def forward_steps(self, layer: str, what: str) -> tuple[Step, ...]:
        """μ, σ², x̂ and z; ``layer`` names the layer and ``what`` the set the sums run over."""
        s, r = self.symbols, self.rules()
        k = s["k"]
        return (
            Step(s["mu"], (r["mu"],), f"{layer}: the mean over {what}"),
            Step(s["var"], (r["var"],), "the variance (biased: divided by the count)"),
            Step(self.entry(s["xhat"], k), (r["xhat"],), r"normalised; $\epsilon = 10^{-5}$ keeps the division finite"),
            Step(self.entry(s["z"], k), (r["z"],), r"scaled by $\gamma$ and shifted by $\beta$, which are learned"),
        )

    def input_gradient(self) -> dict[str, Any]:
        """Each node's local derivative (SymPy's), the chain rule through the graph, and its collapse."""
        s = self.symbols
        k, i, N, x, delta, mu, var = s["k"], s["i"], s["N"], s["x"], s["delta"], s["mu"], s["var"]
        r = self.rules()

        def upstream(at: Any) -> Any:  # ∂L/∂x̂ = γ δ, from z = γ x̂ + β
            return self.scale("gamma", at) * self.entry(delta, at)

        local = {
            "z_xhat": sympy.diff(r["z"], self.entry(s["xhat"], k)),
            "xhat_var": sympy.diff(r["xhat"], var),
            "xhat_mu": sympy.diff(r["xhat"], mu),
            "xhat_x": sympy.diff(r["xhat"], self.entry(x, k)),
            "var_x": _in_range(sympy.diff(r["var"], self.entry(x, i)).doit()),
            "var_mu": sympy.diff(r["var"], mu),
            "mu_x": _in_range(sympy.diff(r["mu"], self.entry(x, i)).doit()),
        }
        d_var = sympy.Sum(upstream(k) * local["xhat_var"], (k, 1, N))
        d_mu = sympy.Sum(upstream(k) * local["xhat_mu"], (k, 1, N))  # + ∂L/∂σ² ∂σ²/∂μ, which is 0
        chain = upstream(i) * local["xhat_x"].xreplace({k: i}) + d_var * local["var_x"] + d_mu * local["mu_x"]
        collapsed = self.hatted(chain)
        return {"local": local, "upstream": upstream(k), "d_var": d_var, "d_mu": d_mu, "chain": chain, "collapsed": collapsed}

    def hatted(self, expr: Any) -> Any:
        """``expr`` with σ² written σ² − ε (σ = √(σ² + ε)) and each x written μ + σ x̂, then expanded
        with the sums' constant factors taken out and factored: the collapsed form."""
        s = self.symbols
        positive = sympy.Symbol("sigma", positive=True)  # σ > 0, so √(σ²) = σ
        out = expr.xreplace({s["var"]: positive**2 - s["eps"]})
        out = out.replace(
            lambda node: isinstance(node, sympy.Indexed) and node.base == s["x"],
            lambda node: s["mu"] + positive * s["xhat"][node.indices],
        )
        return sympy.factor(_pull_constants(sympy.expand(out))).xreplace({positive: s["sigma"]})

    def backward_steps(self, what: str) -> tuple[Step, ...]:
        """The printed steps of ∂L/∂x through the graph; ``what`` names the set in the reasons."""
        s = self.symbols
        k, i, mu, var = s["k"], s["i"], s["mu"], s["var"]
        L = sympy.Symbol("L")
        g = self.input_gradient()
        local = g["local"]
        x_i = self.entry(s["x"], i)
        xhat_k = self.entry(s["xhat"], k)
        return (
            Step(Partial(self.entry(s["z"], k), xhat_k), (local["z_xhat"],), "differentiated by SymPy"),
            Step(Partial(L, xhat_k), (g["upstream"],), "chain rule: the error times that"),
            Step(Partial(self.entry(s["xhat"], k), var), (local["xhat_var"],), "differentiated by SymPy"),
            Step(Partial(L, var), (g["d_var"],), rf"chain rule: every $\hat{{x}}$ of {what} depends on $\sigma^2$"),
            Step(Partial(var, mu), (local["var_mu"], sympy.Integer(0)), r"differentiated by SymPy; it is 0 by the identity $\sum (x - \mu) = 0$ ($\mu$ is the mean)"),
            Step(Partial(L, mu), (g["d_mu"],), r"chain rule through $\hat{x}$ (the path through $\sigma^2$ is 0)"),
            Step(Partial(var, x_i), (local["var_x"],), "differentiated by SymPy (its Kronecker delta collapsed the sum)"),
            Step(Partial(mu, x_i), (local["mu_x"],), "differentiated by SymPy"),
            Step(Partial(L, x_i), (g["chain"],), r"chain rule through the three paths: $\hat{x}$ directly, $\sigma^2$ and $\mu$"),
            Step(Partial(L, x_i), (g["collapsed"],), r"collapsed by SymPy with the identities $\sigma = \sqrt{\sigma^2 + \epsilon}$ and $x - \mu = \sigma \hat{x}$"),
        )

    def parameter_steps(self) -> dict[str, Step]:
        """∂L/∂γ and ∂L/∂β: the chain rule over every entry z depends on, collapsed by SymPy."""
        s = self.symbols
        k, N = s["k"], s["N"]
        L = sympy.Symbol("L")
        z = self.rules()["z"]
        out = {}
        for stem in ("gamma", "beta"):
            # The entry of γ the set reads (γ_j), or a generic one (γ_j') where γ varies over the set.
            which = self.scale(stem, s["i"]) if self.per_entry_scale else self.scale(stem, k)
            chain = sympy.Sum(self.entry(s["delta"], k) * sympy.diff(z, which), (k, 1, N))
            collapsed = _in_range(chain.doit())
            if self.per_entry_scale:
                note = r"summed over the batch by the mean of the per-sample losses"
                out[stem] = Step(Partial(L, which), (chain, collapsed), "chain rule, collapsed by SymPy; " + note)
            else:
                out[stem] = Step(Partial(L, which), (chain,), "chain rule over the entries that read it, by SymPy")
        return out


def _in_range(expr: Any) -> Any:
    """Piecewise((value, i ≤ N), (0, True)) -> value: the entry lies in the set."""
    return expr.replace(lambda node: isinstance(node, sympy.Piecewise), lambda node: node.args[0][0])


def _pull_constants(expr: Any) -> Any:
    """Every factor that does not depend on a sum's index taken out of that sum."""
    return expr.replace(lambda node: isinstance(node, sympy.Sum), sympy.factor_terms)
