"""``rnn``: a recurrent layer read over a sequence, many-to-one.

``{"type": "rnn", "units": u, "activation": "tanh"}`` on a sequence (T, n);
parameters W{l} (u, n), U{l} (u, u) and b{l} (u).  With h₀ = 0, for t = 1..T::

    z_t = W x_t + U h_{t−1} + b,   h_t = act(z_t),   and the layer's output is a = h_T.

Backpropagation through time: δ_t = ∂L/∂z_t, from the error ∂L/∂a that
reaches h_T and then back through U, step by step::

    δ_T = ∂L/∂a ⊙ act′(z_T),   δ_t = (Uᵀ δ_{t+1}) ⊙ act′(z_t)   (t = T−1 … 1)
    ∂L/∂W = Σ_t δ_t x_tᵀ,   ∂L/∂U = Σ_{t≥2} δ_t h_{t−1}ᵀ,   ∂L/∂b = Σ_t δ_t,   ∂L/∂x_t = Wᵀ δ_t

SymPy derives each of them from the rule for z_t written with indexed symbols
(:meth:`Rnn.index_rule`): h_{t−1} is one of its inputs, and its derivative
Σ_j U_jk δ_{t+1,j} is the recursion.  In NumPy the two loops run over the T
steps, each step one matrix product for the whole batch; the sums over t
are single matrix products.  The PyTorch and JAX exports run the same loops,
each step a new array, stacked at the end.

>>> import numpy
>>> X = numpy.ones((1, 2, 1)); W = numpy.ones((1, 1)); U = numpy.full((1, 1), 0.5); b = numpy.zeros(1)
>>> _recur(X, W, U, b, lambda t: t)[0, :, 0]  # z₁ = 1, z₂ = 1 + 0.5·1
array([1. , 1.5])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..activations import Activation
from ..activations import T as GENERIC_INPUT
from ..display import Formula
from ..steps import Step
from ..symbols import (
    LOSS_LATEX,
    Name,
    activation,
    bias,
    error,
    pre_activation,
    recurrent_weight,
    states,
    weight,
)
from ..tensor import Activate, Assignment, Op, Quantity, Slope, Tensor, quantity
from .base import (
    VERIFY,
    WORKSHEET,
    IndexDerivation,
    IndexRule,
    Layer,
    Reader,
    Rules,
    Shape,
    shape_text,
)
from .indexed import derivatives

# -- the NumPy forms (copied into the generated code; they also run on SymPy object arrays) --


def _recur(X, W, U, b, act):
    """The pre-activations z_t = W x_t + U h_{t−1} + b of every step, h_t = act(z_t), h₀ = 0.

    X is (batch, T, n); returns Z (batch, T, units).  Every step's input term
    W x_t + b is one matrix product for the whole sequence; the loop over t
    adds U h_{t−1}, which needs the step before.
    """
    Z = X @ W.T + b
    for t in range(1, X.shape[1]):
        Z[:, t] = Z[:, t] + act(Z[:, t - 1]) @ U.T
    return Z


def _through_time(G, S, U, steps):
    """Backpropagation through time: δ_T = g ⊙ σ'(z_T), δ_t = (Uᵀ δ_{t+1}) ⊙ σ'(z_t).

    G = ∂L/∂h_T (batch, units) and S = σ'(z) (batch, steps, units), or 1 for the identity;
    returns δ (batch, steps, units).
    """
    import numpy

    shape = (G.shape[0], steps, G.shape[1])
    S = numpy.broadcast_to(S, shape)  # a ReLU's slope is boolean, the identity's the number 1
    D = numpy.empty(shape, dtype=numpy.result_type(G, S, U))
    D[:, -1] = G * S[:, -1]
    for t in range(S.shape[1] - 2, -1, -1):
        D[:, t] = (D[:, t + 1] @ U) * S[:, t]
    return D


def _recur_stacked(X, W, U, b, act, stack):
    """The pre-activations z_t = W x_t + U h_{t−1} + b of every step, h_t = act(z_t), h₀ = 0.

    X is (batch, T, n); returns Z (batch, T, units).  Each z_t is a new array and
    ``stack`` (torch.stack, jnp.stack) joins them: PyTorch's autograd and vmap and
    JAX's arrays want no array written in place.
    """
    inputs = X @ W.T + b
    steps = [inputs[:, 0]]
    for t in range(1, X.shape[1]):
        steps.append(inputs[:, t] + act(steps[-1]) @ U.T)
    return stack(steps, 1)


def _through_time_stacked(G, S, U, steps, stack):
    """Backpropagation through time: δ_T = g ⊙ σ'(z_T), δ_t = (Uᵀ δ_{t+1}) ⊙ σ'(z_t).

    G = ∂L/∂h_T (batch, units) and S = σ'(z) (batch, steps, units), or the number 1
    for the identity; returns δ (batch, steps, units), each δ_t a new array joined
    by ``stack`` (torch.stack, jnp.stack).
    """

    def slope(t):
        return S[:, t] if getattr(S, "ndim", 0) == 3 else S

    deltas = [G * slope(steps - 1)]
    for t in range(steps - 2, -1, -1):
        deltas.insert(0, (deltas[0] @ U) * slope(t))
    return stack(deltas, 1)


def _over_time(D, A):
    """Σ over the batch and every step t of δ_t a_tᵀ: D (batch, T, m), A (batch, T, n) -> (m, n)."""
    return D.reshape(-1, D.shape[-1]).T @ A.reshape(-1, A.shape[-1])


# -- the operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence(Op):
    """z = [W x_t + U h_{t−1} + b]_{t=1..T} with h_t = act(z_t), h₀ = 0 (a loop over the steps)."""

    x: Quantity
    W: Quantity
    U: Quantity
    b: Quantity
    act: Activation
    shape_: tuple[int, ...]

    helpers = (_recur,)
    torch_helpers = jax_helpers = (_recur_stacked,)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x, self.W, self.U, self.b)

    @property
    def functions(self) -> tuple[Activation, ...]:
        return (self.act,)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.shape_

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.W.shape, self.x.shape)

    def compute(self, X: Any, W: Any, U: Any, b: Any, act: Any = None) -> Any:
        return _recur(X, W, U, b, act or _entrywise(self.act))

    def symbolic(self, X: Any, W: Any, U: Any, b: Any) -> Any:
        steps, units = self.shape_
        return self.compute(X.reshape(1, steps, -1), W, U.reshape(units, units), b.reshape(units))[0]

    def numpy(self, args: list[str]) -> str:
        X, W, U, b, act = args
        return f"_recur({X}, {W}, {U}, {b}, {act})"

    def torch(self, args: list[str]) -> str:
        return f"_recur_stacked({', '.join(args)}, torch.stack)"

    def jax(self, args: list[str]) -> str:
        return f"_recur_stacked({', '.join(args)}, jnp.stack)"

    def display(self, args: list[Any]) -> Any:
        x, W, U, b = args
        act = self.act
        return Formula(
            rf"\left[{{1}} {{0}}_{{t}} + {{2}} h_{{t-1}} + {{3}}\right]_{{t = 1 \ldots T}},\ h_{{t}} = {act.latex_symbol}(z_{{t}}),\ h_0 = 0",
            f"[{{1}} {{0}}_t + {{2}} h_t−1 + {{3}}]_t=1..T, h_t = {act.text_symbol}(z_t), h_0 = 0",
            x, W, U, b,
        )

    def show(self, args: list[str]) -> str:
        return f"recur({', '.join(args)})"


@dataclass(frozen=True)
class LastStep(Op):
    """a = h_T: the state after the last step, the layer's output."""

    h: Quantity

    portable = True  # indexing: the same in NumPy, PyTorch and JAX

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.h,)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.h.shape[1], 1)

    def compute(self, H: Any) -> Any:
        return H[:, -1]

    def symbolic(self, H: Any) -> Any:
        return H.reshape(self.h.shape)[-1]

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]}[:, -1]"

    def display(self, args: list[Any]) -> Any:
        return Formula("{0}_{T}", "{0}_T", *args)

    def show(self, args: list[str]) -> str:
        return f"{args[0]}[T]"


@dataclass(frozen=True)
class ThroughTime(Op):
    """δ = [δ_t]: δ_T = g ⊙ σ'(z_T), δ_t = (Uᵀ δ_{t+1}) ⊙ σ'(z_t), from g = ∂L/∂h_T."""

    upstream: Tensor
    slope: Slope
    U: Quantity

    helpers = (_through_time,)
    torch_helpers = jax_helpers = (_through_time_stacked,)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.upstream, self.slope, self.U)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.slope.shape

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.U.shape, self.slope.shape)

    def compute(self, G: Any, S: Any, U: Any) -> Any:
        return _through_time(G, S, U, self.shape[0])

    def symbolic(self, G: Any, S: Any, U: Any) -> Any:
        import numpy

        steps, units = self.shape
        S = numpy.broadcast_to(numpy.asarray(S, dtype=object), (steps, units))
        return _through_time(G.reshape(1, units), S[None], U.reshape(units, units), steps)[0]

    def numpy(self, args: list[str]) -> str:
        return f"_through_time({args[0]}, {args[1]}, {args[2]}, {self.shape[0]})"

    def torch(self, args: list[str]) -> str:
        return f"_through_time_stacked({', '.join(args)}, {self.shape[0]}, torch.stack)"

    def jax(self, args: list[str]) -> str:
        return f"_through_time_stacked({', '.join(args)}, {self.shape[0]}, jnp.stack)"

    def display(self, args: list[Any]) -> Any:
        g, slope, U = args
        return Formula(
            r"\left[\left(\left({2}\right)^{\top} \delta_{t+1}\right) \odot {1}_{t}\right]_{t < T},\ \delta_{T} = \left({0}\right) \odot {1}_{T}",
            "[({2}ᵀ δ_t+1) ⊙ {1}_t]_t<T, δ_T = ({0}) ⊙ {1}_T",
            g, slope, U,
        )

    def show(self, args: list[str]) -> str:
        return f"through_time({', '.join(args)})"

    def formula(self, args: list[Any], f: Any) -> Any:
        return f("through_time", *args)

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        return (
            ("bptt-one-step",
             "backpropagation through time stopped after one step: this has only the last step's "
             "error δ_T = ∂L/∂h_T ⊙ σ'(z_T), but W, U and b are used at every step, so every step "
             "has its error, δ_t = (Uᵀ δ_{t+1}) ⊙ σ'(z_t), and adds its own term to the sum over t: "
             "∂L/∂W = Σ_t δ_t x_tᵀ, ∂L/∂U = Σ_t δ_t h_{t−1}ᵀ, ∂L/∂b = Σ_t δ_t",
             f("last_step_only", *args)),
        )


@dataclass(frozen=True)
class OverTime(Op):
    """Σ_t δ_t a_tᵀ over the steps (and the batch): ∂L/∂W with a = x, ∂L/∂U with a = h shifted by one."""

    delta: Quantity
    a: Quantity
    shift: int  # 1 for h_{t−1}: the first step reads h₀ = 0 and adds nothing
    shape_: tuple[int, ...]

    helpers = (_over_time,)
    summed_over_batch = True
    portable = True  # _over_time uses reshape, .T and @ only

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.a)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.shape_

    def compute(self, D: Any, A: Any) -> Any:
        if self.shift:
            return _over_time(D[:, 1:], A[:, :-1])
        return _over_time(D, A)

    def symbolic(self, D: Any, A: Any) -> Any:
        return self.compute(D.reshape(1, *self.delta.shape), A.reshape(1, *self.a.shape))

    def numpy(self, args: list[str]) -> str:
        D, A = args
        return f"_over_time({D}[:, 1:], {A}[:, :-1])" if self.shift else f"_over_time({D}, {A})"

    def display(self, args: list[Any]) -> Any:
        if self.shift:
            return Formula(r"\sum_{t=2}^{T} {0}_{t} \left({1}_{t-1}\right)^{\top}", "Σ_t=2..T {0}_t {1}_t−1ᵀ", *args)
        return Formula(r"\sum_{t=1}^{T} {0}_{t} \left({1}_{t}\right)^{\top}", "Σ_t=1..T {0}_t {1}_tᵀ", *args)

    def show(self, args: list[str]) -> str:
        return f"sum_t({args[0]} {args[1]}.T)"

    def formula(self, args: list[Any], f: Any) -> Any:
        # Row t of a sequence is step t: Σ_t δ_t a_tᵀ is δᵀ A, with h_{t−1} the states one step later.
        return f.matmul(f.T(args[0]), f("lag", args[1]) if self.shift else args[1])

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        if not self.shift:
            return ()
        return (
            ("bptt-same-step-state",
             "h_t where h_{t−1} belongs: z_t reads the state of the step before, so "
             "∂L/∂U = Σ_t δ_t h_{t−1}ᵀ, with h₀ = 0",
             f.matmul(f.T(args[0]), args[1])),
        )


@dataclass(frozen=True)
class StepSum(Op):
    """∂L/∂b = Σ_t δ_t over the steps (and the batch)."""

    delta: Quantity

    summed_over_batch = True
    portable = True  # sum(axis=…): the same call in the three libraries

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta,)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.delta.shape[1], 1)

    def compute(self, D: Any) -> Any:
        return D.sum(axis=(0, 1))

    def symbolic(self, D: Any) -> Any:
        return self.compute(D.reshape(1, *self.delta.shape))

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]}.sum(axis=(0, 1))"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\sum_{t=1}^{T} {0}_{t}", "Σ_t=1..T {0}_t", *args)

    def show(self, args: list[str]) -> str:
        return f"sum_t({args[0]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        return f.T(f("colsum", args[0]))


@dataclass(frozen=True)
class InputOverTime(Op):
    """∂L/∂x_t = Wᵀ δ_t for every step."""

    delta: Quantity
    W: Quantity

    portable = True

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.W)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.delta.shape[0], self.W.shape[1])

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.W.shape, self.delta.shape)

    def compute(self, D: Any, W: Any) -> Any:
        return D @ W

    def symbolic(self, D: Any, W: Any) -> Any:
        return D.reshape(self.delta.shape) @ W

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]} @ {args[1]}"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\left[\left({1}\right)^{\top} {0}_{t}\right]_{t = 1 \ldots T}", "[{1}ᵀ {0}_t]_t=1..T", *args)

    def formula(self, args: list[Any], f: Any) -> Any:
        return f.matmul(args[0], args[1])

    def show(self, args: list[str]) -> str:
        return f"{args[0]} @ {args[1]}"


def _entrywise(act: Activation) -> Any:
    """The activation on an array, entry by entry: on SymPy expressions, or on numbers through NumPy."""
    import numpy

    on_numbers = sympy.lambdify(GENERIC_INPUT, act.expr, "numpy")

    def apply(values: Any) -> Any:
        if values.dtype == object:
            return numpy.vectorize(act, otypes=[object])(values)
        return on_numbers(values) + 0 * values  # the same shape where the activation is a constant

    return apply


# -- the layer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rnn(Layer):
    """A recurrent layer of ``units`` over a sequence (T, n); its output is the last state h_T."""

    steps: int
    inputs: int
    units: int
    activation: Activation  # type: ignore[assignment]

    kind: ClassVar[str] = "rnn"
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})
    keys: ClassVar[tuple[str, ...]] = ("type", "units", "activation")
    bias = True

    @property
    def in_shape(self) -> Shape:
        return (self.steps, self.inputs)

    @property
    def out_shape(self) -> Shape:
        return (self.units,)

    def parameter_shapes(self, index: int) -> dict[str, Shape]:
        return {
            str(weight(index)): (self.units, self.inputs),
            str(recurrent_weight(index)): (self.units, self.units),
            str(bias(index)): (self.units,),
        }

    def fans(self) -> tuple[int, int]:
        return (self.inputs + self.units, self.units)

    def describe(self) -> str:
        return f"rnn({self.units}) {self.activation.name}"

    def to_spec(self) -> dict[str, Any]:
        return {"type": "rnn", "units": self.units, "activation": self.activation.source or self.activation.name}

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> Rnn | None:
        units = reader.whole("units")
        act = reader.activation("tanh")
        if act is not None and not act.elementwise:
            reader.problem("softmax is only for a dense output layer; use tanh, relu or sigmoid here")
            return None
        if in_shape is not None and len(in_shape) != 2:
            reader.problem(
                f"reads a sequence (steps, features), but its input has shape {shape_text(in_shape)}; "
                "give 'input' as [T, n]"
            )
            return None
        if units is None or act is None or in_shape is None:
            return None
        return cls(in_shape[0], in_shape[1], units, act)

    def rules(self, index: int, prev: Quantity) -> RnnRules:
        over_time = (self.steps, self.units)
        return RnnRules(
            index=index,
            layer=self,
            prev=prev,
            W=quantity(weight(index), (self.units, self.inputs)),
            U=quantity(recurrent_weight(index), (self.units, self.units)),
            b=quantity(bias(index), (self.units,)),
            h=Quantity(states(index), 0, 0, over_time),
            a=quantity(activation(index), (self.units,)),
            delta=Quantity(error(index), 0, 0, over_time),
            z=Quantity(pre_activation(index), 0, 0, over_time),
        )

    def index_rule(self, index: int) -> IndexRule:
        """z_{t,j} = Σ_k W_jk x_{t,k} + Σ_k U_jk h_{t−1,k} + b_j, with h_{0,k} = 0 (outside its range)."""
        t, j, k = sympy.symbols("t j k", integer=True, positive=True)
        W, U, b = weight(index).indexed(), recurrent_weight(index).indexed(), bias(index).indexed()
        x = activation(index - 1).indexed()
        h = states(index).indexed()
        expr = (
            sympy.Sum(W[j, k] * x[t, k], (k, 1, self.inputs))
            + sympy.Sum(U[j, k] * h[t - 1, k], (k, 1, self.units))
            + b[j]
        )
        return IndexRule(
            output=pre_activation(index).indexed(),
            indices=(t, j),
            ranges=(self.steps, self.units),
            expr=expr,
            inputs=(
                (W, (self.units, self.inputs), ("j", "k")),
                (U, (self.units, self.units), ("j", "k")),
                (b, (self.units,), ("j",)),
                (x, (self.steps, self.inputs), ("t", "k")),
                (h, (self.steps, self.units), ("t", "k")),
            ),
            textbook={
                "W": r"$\sum_t \delta_t x_t^{\top}$",
                "U": r"$\sum_t \delta_t h_{t-1}^{\top}$, with $h_0 = 0$",
                "b": r"$\sum_t \delta_t$",
                "a": r"$W^{\top} \delta_t$ at every step",
                "h": r"$U^{\top} \delta_{t+1}$: the error of the next step, through $U$",
            },
            note=r"$h_{0} = 0$",
        )

    def index_derivation(self, index: int) -> IndexDerivation:
        rule = self.index_rule(index)
        t, j = rule.indices
        z, h = rule.output, states(index).indexed()
        a, delta = activation(index).indexed(), error(index).indexed()
        L = sympy.Symbol("L")
        act = self.activation
        from ..display import Applied, Chain, Partial

        forward = (
            Step(z[t, j], (rule.expr,), f"layer {index}: {self.describe()}, for t = 1..{self.steps}; " + r"$h_{0} = 0$"),
            Step(h[t, j], (Applied(act.latex_symbol, act.text_symbol, z[t, j]),), f"{act.title}, entry by entry"),
            Step(a[j], (h[self.steps, j],), "the output is the last state (many-to-one)"),
        )
        slope = Applied(act.latex_symbol, act.text_symbol, z[t, j], prime=True)
        found = {str(d.base.label).rstrip("0123456789"): d for d in derivatives(rule, delta)}
        through = found["h"]  # z_{t+1} reads h_t: the way back in time
        k = sympy.Symbol("k", integer=True, positive=True)
        errors = (
            Step(delta[self.steps, j], (Chain(Partial(L, a[j]), slope.xreplace({t: self.steps})),),
                 "the last step: $h_T$ is the layer's output, and " + f"{act.name} is applied entry by entry"),
            Step(Partial(z[t, j], through.local_entry), (through.local,), "differentiated by SymPy: $z_t$ reads $h_{t-1}$ through $U$"),
            Step(Partial(L, through.entry), (through.collapsed,),
                 "chain rule over every entry of z that reads $h_t$, collapsed by SymPy: only $z_{t+1}$ does, for $t < T$"),
            Step(delta[t, j], (Chain(through.collapsed.xreplace({k: j, j: sympy.Symbol("i", integer=True, positive=True)}), slope),),
                 "backpropagation through time, for $t = T-1, \\ldots, 1$: the error of the next step, back through $U$"),
        )
        backward: list[tuple[str, Step]] = []
        for stem in ("W", "U", "b", "a"):
            if stem == "a" and index == 1:
                continue  # the input needs no error
            derived = found["x" if stem == "a" else stem]
            name = "" if stem == "a" else str(Name(stem, index))
            why = "chain rule over every step, collapsed by SymPy: " + rule.textbook[stem]
            if derived.bounded:
                why += "; out-of-range terms are 0"
            backward.append((name, Step(Partial(z[t, j], derived.local_entry), (derived.local,), "differentiated by SymPy ([i = j] is 1 when i = j, else 0)")))
            backward.append((name, Step(Partial(L, derived.entry), (derived.collapsed,), why)))
        return IndexDerivation(
            forward=forward,
            backward=tuple(backward),
            output=None,
            indices=(t, j),
            note=f"$t$ numbers the {self.steps} steps of the sequence; $\\delta_t = \\partial {LOSS_LATEX} / \\partial z_t$.",
            errors=errors,
        )


@dataclass(frozen=True)
class RnnRules(Rules):
    """Layer l, a recurrent layer: z and h over the steps, a = h_T, and backpropagation through time."""

    W: Quantity
    U: Quantity
    b: Quantity
    h: Quantity
    z: Quantity  # type: ignore[misc]  (last: the base class gives it a default)

    @property
    def parameters(self) -> tuple[Quantity, ...]:
        return (self.W, self.U, self.b)

    @property
    def forward(self) -> tuple[Assignment, ...]:
        act = self.activation
        return (
            Assignment(self.z, Recurrence(self.prev, self.W, self.U, self.b, act, self.z.shape), note=f"layer {self.index}: a loop over the {self.layer.steps} steps"),
            Assignment(self.h, Activate(act, self.z), note=f"{act.name}, entry by entry: the states"),
            Assignment(self.a, LastStep(self.h), note="the last state"),
        )

    def backward(self, upstream: Tensor) -> Tensor:
        """δ = [δ_t]_{t=1..T}, back through time from ``upstream`` = ∂L/∂h_T."""
        return ThroughTime(upstream, Slope(self.activation, self.z, self.h), self.U)

    @property
    def input_gradient(self) -> Tensor:
        return InputOverTime(self.delta, self.W)

    @property
    def gradients(self) -> tuple[Assignment, ...]:
        return (
            Assignment(self.W, OverTime(self.delta, self.prev, 0, self.W.shape), note=r"$\sum_t \delta_t x_t^{\top}$"),
            Assignment(self.U, OverTime(self.delta, self.h, 1, self.U.shape), note=r"$\sum_t \delta_t h_{t-1}^{\top}$, $h_0 = 0$"),
            Assignment(self.b, StepSum(self.delta), note=r"$\sum_t \delta_t$"),
        )
