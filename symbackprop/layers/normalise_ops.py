"""The operations of a normalisation (batch norm, layer norm), as plan nodes, and their NumPy forms.

Over a set S of N entries of x (batch norm: one feature across the batch,
layer norm: the features of one sample) the forward nodes are μ (:class:`Mean`),
σ = √(σ² + ε) (:class:`Deviation`), x̂ (:class:`Standardise`) and
z = γ ⊙ x̂ + β (:class:`ScaleShift`); backwards ∂L/∂γ and ∂L/∂β are sums
over the batch (:class:`ScaleGradient`, :class:`ShiftGradient`) and ∂L/∂x the
collapsed form :mod:`~symbackprop.layers.normalise_graph` derives, with
g = ∂L/∂x̂ = γ ⊙ δ,

    ∂L/∂x = (1/(N σ)) (N g − Σ_S g − x̂ Σ_S (g ⊙ x̂)),

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
from typing import Any

import sympy

from ..display import Formula
from ..tensor import Op, Quantity, Tensor

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

    portable = True  # mean(axis=…, keepdims=True): the same call in NumPy, PyTorch and JAX

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
    portable = True  # _deviation uses array methods and operators only

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

    portable = True

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

    portable = True

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.xhat, self.gamma, self.beta)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.xhat.shape

    elementwise_operands = (1,)

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


class BatchSum(Op):
    """Σ over the batch (and the positions of each channel) of the product of ``args``: the
    parameter gradients of a normalisation.  Subclasses give the fields ``axes``, ``shape_``."""

    channel_rows = True

    axes: tuple[int, ...]
    shape_: tuple[int, ...]

    summed_over_batch = True
    portable = True  # sum(axis=…) and operators
    cached = True  # named once: batch norm's ∂L/∂x reads it too

    @property
    def shape(self) -> tuple[int, ...]:
        return self.shape_

    @property
    def elementwise_operands(self) -> tuple[int, ...]:  # type: ignore[override]
        return tuple(range(1, len(self.args)))  # Σ_n δ_n ⊙ x̂_n

    def compute(self, *arrays: Any) -> Any:
        product = arrays[0]
        for array in arrays[1:]:
            product = product * array
        return product.sum(axis=self.axes)

    def numpy(self, args: list[str]) -> str:
        product = args[0] if len(args) == 1 else "(" + " * ".join(args) + ")"
        return f"{product}.sum(axis={_axes(self.axes)})"

    def display(self, args: list[Any]) -> Any:
        latex = r" \odot ".join(f"{{{k}}}_{{n}}" for k in range(len(args)))
        text = " ⊙ ".join(f"{{{k}}}_n" for k in range(len(args)))
        return Formula(rf"\sum_{{n}} {latex}", f"Σ_n {text}", *args)

    def show(self, args: list[str]) -> str:
        return f"sum_n({' * '.join(args)})"

    def formula(self, args: list[Any], f: Any) -> Any:
        if len(self.args[0].shape) > 2 and f.samples < 2:
            return None  # an image: per channel, which one sample's matrices cannot say
        product = args[0]
        for arg in args[1:]:
            product = f.times(product, arg)
        return f("rowsum", product) if f.samples > 1 else product


@dataclass(frozen=True)
class ScaleGradient(BatchSum):
    """∂L/∂γ = Σ δ ⊙ x̂ over the batch (and the positions of each channel)."""

    delta: Quantity
    xhat: Quantity
    axes: tuple[int, ...]
    shape_: tuple[int, ...]

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.xhat)


@dataclass(frozen=True)
class ShiftGradient(BatchSum):
    """∂L/∂β = Σ δ over the batch (and the positions of each channel)."""

    delta: Quantity
    axes: tuple[int, ...]
    shape_: tuple[int, ...]

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta,)


def _axes(axes: tuple[int, ...]) -> str:
    return str(axes[0]) if len(axes) == 1 else str(axes)


@dataclass(frozen=True)
class NormalisedInput(Op):
    """∂L/∂x = (1/(Nσ)) (N g − Σ g − x̂ Σ (g ⊙ x̂)) with g = γ ⊙ δ: back through x̂, σ² and μ."""

    channel_rows = True

    delta: Quantity
    xhat: Quantity
    sigma: Quantity
    gamma: Quantity
    over: Over

    helpers = (_normalised_input,)
    portable = True  # the helpers below use array methods and operators only

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.xhat, self.sigma, self.gamma)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.xhat.shape

    elementwise_operands = (1,)

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

    def _terms(self, args: list[Any], f: Any, count: int | None = None) -> tuple[Any, Any, Any, Any, Any]:
        """(N·γδ, γ Σ δ, γ x̂ Σ δ x̂, N·σ, γδ) over a batch of N entries per statistic (the samples,
        times H·W for an image, unless ``count`` says otherwise): the sums are ∂L/∂β and ∂L/∂γ."""
        D, XHAT, SIGMA, GAMMA, TOTAL, MOMENT = args
        N = f.samples * self.count if count is None else count
        g = f.times(GAMMA, D)
        return (f.scale(N, g), f.times(GAMMA, TOTAL), f.times(GAMMA, f.times(XHAT, MOMENT)),
                f.scale(N, SIGMA), g)

    def formula(self, args: list[Any], f: Any) -> Any:
        if f.samples < 2:
            return None
        whole, total, moment, below, _ = self._terms(args, f)
        return f.divide_by(f.minus(f.minus(whole, total), moment), below)

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        if f.samples < 2:
            return ()
        whole, total, moment, below, g = self._terms(args, f)
        found = _normalisation_mistakes(f, g, args[2], whole, total, moment, below, batch=True, image=self.over.channels)
        if not self.over.channels:
            return found
        # The statistics of a channel run over the batch and every position: N·H·W entries, not N.
        whole, total, moment, below, _ = self._terms(args, f, count=f.samples)
        return (*found, (
            "batchnorm-count-without-positions",
            f"batch norm of an image counted over the batch only: each channel's μ and σ² run over its "
            f"N·H·W = {f.samples * self.count} entries (N = {f.samples} samples times H·W = {self.count} positions), "
            "so the count in ∂L/∂x = (γ/(Mσ)) (M δ − Σ_i δ_i − x̂ Σ_i (δ_i ⊙ x̂_i)) is M = N·H·W, not N",
            f.divide_by(f.minus(f.minus(whole, total), moment), below),
        ))

    def display(self, args: list[Any]) -> Any:
        i, n = self.over.index, self.over.count
        return Formula(
            rf"\left(\frac{{{{3}}}}{{{n} {{2}}}} \odot \left({n} {{0}} - \sum_{{{i}}} {{0}}_{{{i}}} - {{1}} \odot \sum_{{{i}}} {{0}}_{{{i}}} \odot {{1}}_{{{i}}}\right)\right)",
            f"({{3}}/({n} {{2}}) ⊙ ({n} {{0}} − Σ_{i} {{0}}_{i} − {{1}} ⊙ Σ_{i} {{0}}_{i} ⊙ {{1}}_{i}))",
            *args[:4],
        )


def _normalisation_mistakes(
    f: Any, g: Any, sigma: Any, whole: Any, total: Any, moment: Any, below: Any, batch: bool, image: bool = False
) -> tuple[tuple[str, str, Any], ...]:
    """The classic mistakes of ∂L/∂x through a normalisation, each in a sentence a student reads:
    its mean and variance taken as constants, or one of their two paths left out
    (∂L/∂x = (N g − Σ g − x̂ Σ (g ⊙ x̂)) / (N σ), g = γ ⊙ δ)."""
    if batch and image:
        kind, what = "batch norm", "each channel over the batch and every position (N·H·W entries)"
        right = "(γ/(Mσ)) (M δ − Σ_i δ_i − x̂ Σ_i (δ_i ⊙ x̂_i)), M = N·H·W, the sums over the samples and positions"
        terms = {"mean": "−Σ_i δ_i", "variance": "−x̂ Σ_i (δ_i ⊙ x̂_i)"}
    elif batch:
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
