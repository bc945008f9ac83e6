"""The symbolic engine: the plan's rules evaluated entry by entry, by SymPy or SymEngine.

z, a and δ stay symbols and each δ⁽ˡ⁾ is written in the δ's of the layer
above, so the work is linear in the number of parameters:

* forward:  z⁽ˡ⁾ⱼ = Σₖ w⁽ˡ⁾ⱼₖ a⁽ˡ⁻¹⁾ₖ + b⁽ˡ⁾ⱼ,  a⁽ˡ⁾ⱼ = σ(z⁽ˡ⁾ⱼ)
* output:   δ⁽ᴸ⁾ⱼ = ∂L/∂a⁽ᴸ⁾ⱼ · σ'(z⁽ᴸ⁾ⱼ)   (softmax: Σᵢ ∂L/∂aᵢ · aᵢ(δᵢⱼ − aⱼ))
* hidden:   δ⁽ˡ⁾ⱼ = (Σᵢ w⁽ˡ⁺¹⁾ᵢⱼ δ⁽ˡ⁺¹⁾ᵢ) · σ'(z⁽ˡ⁾ⱼ)
* weights:  ∂L/∂w⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ,  ∂L/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ

Those rules are the plan's (:mod:`symbackprop.backprop`); this module only
evaluates them.  Only what is nonlinear was differentiated by SymPy — the
activation and the loss term, once each on a generic symbol; z = W a + b has
known derivatives.  Two back ends share one :class:`Evaluator`:

* SymPy, for :class:`Symbolic` — the readable engine behind a Derivation,
  whose matrices the printers and the verifier read;
* SymEngine (a C++ core, when installed), for :func:`scalar_gradients`, which
  builds all 235,146 gradients of 784-256-128-10 in about a second.

>>> from symbackprop import Network
>>> net = Network.from_spec({"layers": [2, 2, 1], "activation": "sigmoid"})
>>> grads = scalar_gradients(net, backend="sympy")
>>> grads["W2"], grads["b2"]
([[a1_1*delta2_1, a1_2*delta2_1]], [[delta2_1]])
>>> grads["delta2"]
[[a2_1*(1 - a2_1)*(a2_1 - y1)]]
>>> grads["delta1"][0]
[a1_1*delta2_1*w2_11*(1 - a1_1)]
>>> Symbolic(Network.from_spec({"layers": [1, 1], "activation": "sigmoid"})).gradient("W1")
Matrix([[a1_1*x1*(1 - a1_1)*(a1_1 - y1)]])
"""

from __future__ import annotations

import bisect
import gc
import importlib.util
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sympy
from sympy.core.basic import _cmp_name
from sympy.core.mul import Mul
from sympy.polys.domains import EXRAW
from sympy.polys.matrices import DomainMatrix

from .activations import S, T
from .backprop import Plan, plan
from .errors import UnknownParameterError
from .losses import A, N, Y
from .options import choose
from .spec import Network
from .symbols import MATRIX_PARAMETERS, Name, NetworkSymbols, Wrt, network_symbols, real_symbol
from .tensor import (
    Activate,
    Add,
    Hadamard,
    LossGradient,
    LossValue,
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

FORMS = ("delta", "intermediate", "expanded")
BACKENDS = ("auto", "symengine", "sympy")

Entries = list[list[Any]]


# -- the two back ends ----------------------------------------------------------


def has_symengine() -> bool:
    """True when the SymEngine package can be imported."""
    return importlib.util.find_spec("symengine") is not None


def resolve_backend(backend: str) -> str:
    """``"auto"`` becomes ``"symengine"`` when it is installed, else ``"sympy"``."""
    choose(backend, BACKENDS, "backend")
    if backend == "auto":
        return "symengine" if has_symengine() else "sympy"
    if backend == "symengine" and not has_symengine():
        raise ValueError("backend 'symengine' was asked for but SymEngine is not installed")
    return backend


def without_heaviside(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite Heaviside(t, h) as a Piecewise, which SymEngine understands.

    SymEngine has no Heaviside; the value at 0 (``h``, 0 for ReLU) is kept.
    """

    def piecewise(arg, h0=None):
        at_zero = sympy.Rational(1, 2) if h0 is None else h0
        return sympy.Piecewise((1, arg > 0), (at_zero, sympy.Eq(arg, 0)), (0, True))

    if not expr.has(sympy.Heaviside):
        return expr
    return expr.replace(sympy.Heaviside, piecewise)


@dataclass(frozen=True)
class Kit:
    """How one back end makes symbols, sums, products and expressions from SymPy's generic ones."""

    name: str
    symbol: Callable[[str], Any]
    add: Callable[[Sequence[Any]], Any]
    convert: Callable[[sympy.Expr], Any]
    substitute: Callable[[Any, dict], Any]
    multiply: Callable[[Any, Any], Any] = operator.mul
    # u times each of vs, and each of us times each of vs
    row: Callable[[Any, Sequence[Any]], list[Any]] = lambda u, vs: [u * v for v in vs]
    outer: Callable[[Sequence[Any], Sequence[Any]], list[list[Any]]] = lambda us, vs: [[u * v for v in vs] for u in us]


def times_symbols(u: sympy.Expr, vs: Sequence[sympy.Expr]) -> list[sympy.Expr]:
    """[u·v for v in vs], each built as SymPy's Mul would build it, without its general flattening.

    The products of backpropagation are of an expression and a symbol: the
    outer product ∂L/∂W⁽¹⁾ = δ⁽¹⁾ xᵀ makes 200,704 of them at 784-256-128-10,
    and SymPy's ``u * v`` spends most of its time finding out that nothing
    combines.  When v is a real symbol that is not already a factor of u,
    u·v is u's factors with v put in its sorted place, which is what Mul
    makes.  Mul sorts factors by class, and symbols of one kind by name
    (:meth:`sympy.core.basic.Basic.compare`), so that place is found from
    u's factors once and from v's name alone.
    """
    if not all(type(v) is sympy.Symbol and v._assumptions0 == _REAL for v in vs):
        return [u * v for v in vs]
    return _times_real_symbols(u, vs, [v.name for v in vs])


def outer_products(us: Sequence[sympy.Expr], vs: Sequence[sympy.Expr]) -> list[list[sympy.Expr]]:
    """[[u·v for v in vs] for u in us], the symbols vs looked at once (see :func:`times_symbols`)."""
    if not all(type(v) is sympy.Symbol and v._assumptions0 == _REAL for v in vs):
        return [[u * v for v in vs] for u in us]
    names = [v.name for v in vs]
    return [_times_real_symbols(u, vs, names) for u in us]


def _times_real_symbols(u: sympy.Expr, vs: Sequence[sympy.Symbol], names: list[str]) -> list[sympy.Expr]:
    if not u.is_commutative or u.is_Number:
        return [u * v for v in vs]
    factors = u.args if u.is_Mul else (u,)
    start = 1 if factors[0].is_Number else 0
    rest = factors[start:]
    symbols = [f for f in rest if type(f) is sympy.Symbol]
    if any(f._assumptions0 != _REAL for f in symbols):
        return [u * v for v in vs]
    # Factors of classes that sort before symbols come first, then the symbols by name.
    before = start + sum(1 for f in rest if type(f) is not sympy.Symbol and _cmp_name(type(f), sympy.Symbol) < 0)
    own = [f.name for f in symbols]
    combines = {f.base if f.is_Pow else f for f in factors}.intersection(vs)
    make = Mul._from_args
    if not combines and bisect.bisect(own, min(names)) == bisect.bisect(own, max(names)):
        # Every v goes to the same place (the common case: x's after δ's and a's).
        head, tail = factors[: before + bisect.bisect(own, names[0])], factors[before + bisect.bisect(own, names[0]) :]
        return [make(head + (v,) + tail, True) for v in vs]
    cuts: dict[int, tuple[tuple, tuple]] = {}
    out = []
    for v, name in zip(vs, names, strict=True):
        if v in combines:
            out.append(u * v)
            continue
        place = before + bisect.bisect(own, name) if own else before
        if place not in cuts:
            cuts[place] = (factors[:place], factors[place:])
        head, tail = cuts[place]
        out.append(make(head + (v,) + tail, True))
    return out


# What a real symbol's content holds besides its name (SymPy compares symbols by both).
_REAL = real_symbol("_")._assumptions0


def times_symbol(u: sympy.Expr, v: sympy.Expr) -> sympy.Expr:
    """u·v for an expression and a symbol, in either order (see :func:`times_symbols`)."""
    if type(u) is sympy.Symbol and type(v) is sympy.Symbol:
        # Two real symbols: sorted by name (the sum (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ makes many).
        if u == v or u._assumptions0 != _REAL or v._assumptions0 != _REAL:
            return u * v
        return Mul._from_args((u, v) if u.name < v.name else (v, u), is_commutative=True)
    return times_symbols(v, [u])[0] if u.is_Symbol else times_symbols(u, [v])[0]


SYMPY = Kit(
    "sympy",
    real_symbol,
    lambda terms: sympy.Add(*terms),
    lambda expr: expr,
    lambda expr, mapping: expr.xreplace(mapping),
    times_symbol,
    times_symbols,
    outer_products,
)


def symengine_kit() -> Kit:
    import symengine

    def convert(expr: sympy.Expr):
        # Generic symbols (t, s, A, Y) carry SymPy assumptions; by name is enough here.
        return symengine.sympify(without_heaviside(expr))

    return Kit(
        "symengine",
        symengine.Symbol,
        lambda terms: symengine.Add(*terms),
        convert,
        lambda expr, mapping: expr.xreplace(mapping) if mapping else expr,
    )


# -- evaluating tensor expressions entry by entry ---------------------------------


class Evaluator(Visitor):
    """The entries (rows of scalars) of tensor expressions, in one back end's expressions.

    Quantities are symbols (``w2_12``, ``delta1_3``) made on first use, unless
    ``known`` gives their entries — which is how the forward pass is expanded.
    """

    def __init__(self, kit: Kit, known: dict[Name, Entries] | None = None):
        self.kit = kit
        self.known: dict[Name, Entries] = dict(known or {})
        self._generic: dict[Any, Any] = {}

    def generic(self, expr: sympy.Expr) -> Any:
        """A generic SymPy expression converted to the back end once."""
        if expr not in self._generic:
            self._generic[expr] = self.kit.convert(expr)
        return self._generic[expr]

    def apply(self, expr: sympy.Expr, mapping: dict[sympy.Symbol, Any]) -> Any:
        """``expr`` with each generic symbol replaced, in the back end's expressions."""
        converted = self.generic(expr)
        used = {self.generic(symbol): value for symbol, value in mapping.items() if expr.has(symbol)}
        return self.kit.substitute(converted, used) if used else converted

    def _visit_Quantity(self, node: Quantity) -> Entries:
        if node.name not in self.known:
            symbol = self.kit.symbol
            if not node.is_matrix:  # an image or a kernel: nested lists, one level per axis
                import numpy  # only list-form networks need it; a verdict on an MLP loads no NumPy

                cells = numpy.empty(node.shape, dtype=object)
                for index in numpy.ndindex(node.shape):
                    cells[index] = symbol(node.name.entry(*(i + 1 for i in index)))
                self.known[node.name] = cells.tolist()
                return self.known[node.name]
            # A matrix that is not a weight (a sequence x of T steps) names its entries by row and column.
            two = node.cols > 1 and node.name.stem not in MATRIX_PARAMETERS
            self.known[node.name] = [
                [symbol(node.name.entry(i, j) if two else node.name.cell(i, j)) for j in range(1, node.cols + 1)]
                for i in range(1, node.rows + 1)
            ]
        return self.known[node.name]

    def _visit_Op(self, node: Op) -> Entries:
        """A layer's operation, on arrays of this back end's expressions (see :meth:`Op.symbolic`)."""
        import numpy

        arrays = []
        for arg in node.args:
            array = _object_array(self(arg), arg.shape)
            if len(arg.shape) == 2 and arg.shape[1] == 1 and not (_is_parameter(arg) and arg.name.stem in MATRIX_PARAMETERS):
                array = array[:, 0]  # a column (per-sample, or a bias) is a vector in the batch forms
            arrays.append(array)
        out = numpy.asarray(node.symbolic(*arrays), dtype=object).reshape(node.shape)
        return out.tolist()

    def _visit_Transpose(self, node: Transpose) -> Entries:
        return [list(column) for column in zip(*self(node.arg), strict=True)]

    def _visit_MatMul(self, node: MatMul) -> Entries:
        left, right = self(node.left), self(node.right)
        if len(right) == 1:  # an outer product: one term per entry
            return self.kit.outer([row[0] for row in left], right[0])
        # Entry (i, j) is Σₖ left[i][k]·right[k][j]; the products of one right[k][j] with
        # the whole column k of left are made together (one row of products at a time).
        add, products_with = self.kit.add, self.kit.row
        columns_of_left = list(zip(*left, strict=True))
        out = []
        for j in range(len(right[0])):
            products = [products_with(right[k][j], columns_of_left[k]) for k in range(len(right))]
            out.append([add([products[k][i] for k in range(len(right))]) for i in range(len(left))])
        return [list(row) for row in zip(*out, strict=True)]

    def _entrywise(self, node: Any, op: Callable[[Any, Any], Any]) -> Entries:
        return _zip_map(self(node.left), self(node.right), op)

    def _visit_Add(self, node: Add) -> Entries:
        return self._entrywise(node, operator.add)

    def _visit_Sub(self, node: Sub) -> Entries:
        return self._entrywise(node, operator.sub)

    def _visit_Hadamard(self, node: Hadamard) -> Entries:
        return self._entrywise(node, operator.mul)

    def _visit_Activate(self, node: Activate) -> Entries:
        if node.activation.elementwise:
            return _map(self(node.arg), lambda z_j: self.apply(node.activation.expr, {T: z_j}))
        z = [row[0] for row in self(node.arg)]
        exps = [self.apply(sympy.exp(T), {T: z_j}) for z_j in z]
        total = self.kit.add(exps)
        return [[e / total] for e in exps]

    def _visit_Slope(self, node: Slope) -> Entries:
        act = node.activation
        if act.derivative_of_output is not None:  # σ' written in a = σ(z), as textbooks do
            generic, symbol, values = act.derivative_of_output, S, self(node.a)
        else:
            generic, symbol, values = act.derivative, T, self(node.z)
        return _map(values, lambda value: self.apply(generic, {symbol: value}))

    def _loss_term(self, term: sympy.Expr, node: LossValue | LossGradient) -> list[Any]:
        a, y = self(node.a), self(node.y)
        term = term.xreplace({N: sympy.Integer(len(a))})
        return [self.apply(term, {A: a_j[0], Y: y_j[0]}) for a_j, y_j in zip(a, y, strict=True)]

    def _visit_LossValue(self, node: LossValue) -> Entries:
        return [[self.kit.add(self._loss_term(node.loss.term, node))]]

    def _visit_LossGradient(self, node: LossGradient) -> Entries:
        return [[g] for g in self._loss_term(node.loss.term_derivative, node)]

    def _visit_SoftmaxVJP(self, node: SoftmaxVJP) -> Entries:
        a = [row[0] for row in self(node.a)]
        g = [row[0] for row in self(node.upstream)]
        n = len(a)
        # Σᵢ gᵢ ∂aᵢ/∂zⱼ with the softmax Jacobian ∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ).
        return [
            [self.kit.add([g[i] * a[i] * ((1 if i == j else 0) - a[j]) for i in range(n)])]
            for j in range(n)
        ]


def _flat(array: Any) -> list[Any]:
    """The entries of a SymPy matrix or array, row-major."""
    return list(sympy.Array(array).reshape(len(array)) if isinstance(array, sympy.NDimArray) else array)


def _map(entries: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` of every entry of nested lists (a column, a matrix or an image), keeping the nesting."""
    if isinstance(entries, list):
        return [_map(item, fn) for item in entries]
    return fn(entries)


def _zip_map(left: Any, right: Any, fn: Callable[[Any, Any], Any]) -> Any:
    """``fn`` of the entries of two nested lists of one shape, pairwise."""
    if isinstance(left, list):
        return [_zip_map(u, v, fn) for u, v in zip(left, right, strict=True)]
    return fn(left, right)


def _object_array(entries: Entries, shape: tuple[int, ...]) -> Any:
    import numpy

    out = numpy.empty(shape, dtype=object)
    flat = numpy.array(entries, dtype=object).reshape(-1)
    for position, index in enumerate(numpy.ndindex(shape)):
        out[index] = flat[position]
    return out


def _is_parameter(node: Tensor) -> bool:
    return isinstance(node, Quantity) and node.name.is_parameter


@contextmanager
def _without_gc() -> Iterator[None]:
    """Python's cycle collector paused while a few hundred thousand expressions are made.

    Expressions are trees, never cycles, but each batch of new objects makes
    the collector walk every object alive: at 784-256-128-10 that is two
    thirds of the time ∂L/∂W⁽¹⁾ takes.  It runs again afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _matrix(entries: Entries) -> sympy.ImmutableMatrix:
    if entries and isinstance(entries[0], list) and entries[0] and isinstance(entries[0][0], list):
        return sympy.ImmutableDenseNDimArray(entries)  # an image or a kernel
    return sympy.ImmutableMatrix(entries)


def _mutable(entries: Entries) -> sympy.Matrix:
    """A Matrix of SymPy expressions, made straight from its sparse domain form.

    ``sympy.Matrix(entries)`` checks each of ∂L/∂W⁽¹⁾'s 200,704 entries on the
    way in, which costs four times as long as building the entries did.
    """
    rep = DomainMatrix(entries, (len(entries), len(entries[0])), EXRAW).to_sparse()
    return sympy.MutableDenseMatrix._fromrep(rep)


# -- the SymPy engine of a Derivation ---------------------------------------------


@dataclass(frozen=True)
class Symbolic:
    """Every gradient of a network's loss, derived by the plan's chain rule in SymPy.

    Immutable: properties are computed on first use and cached, and nothing
    they return is changed afterwards.  Scalar symbols are created only when a
    scalar quantity is asked for, so the matrix level of a large network costs
    next to nothing.
    """

    network: Network

    @cached_property
    def plan(self) -> Plan:
        return plan(self.network)

    @cached_property
    def symbols(self) -> NetworkSymbols:
        """Scalar symbols x, y and per-layer W, b, z, a, δ."""
        return network_symbols(self.network.sizes, self.network.bias)

    @cached_property
    def _evaluator(self) -> Evaluator:
        # Symbols are made as the rules ask for them: ∂L/∂W⁽³⁾ never makes the w⁽¹⁾ⱼₖ.
        return Evaluator(SYMPY)

    def evaluate(self, rule: Tensor) -> sympy.ImmutableMatrix:
        """A tensor expression of the plan as a SymPy matrix in this network's symbols."""
        return _matrix(self._evaluator(rule))

    # -- forward pass ---------------------------------------------------------

    @cached_property
    def pre_activations(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾ entry by entry, in the symbols of a⁽ˡ⁻¹⁾."""
        return tuple(self.evaluate(entry.forward[0].rule) for entry in self.plan.layers)

    @cached_property
    def loss(self) -> sympy.Expr:
        """The per-sample loss in the output activations a⁽ᴸ⁾ and targets y."""
        return self.evaluate(self.plan.loss)[0, 0]

    @cached_property
    def loss_gradient(self) -> sympy.ImmutableMatrix:
        """∇_a L = (∂L/∂a⁽ᴸ⁾ⱼ)ⱼ, from the loss term SymPy differentiated."""
        return self.evaluate(self.plan.loss_gradient)

    def activation_derivative(self, layer: int, unit: int) -> sympy.Expr:
        """σ'(z⁽ˡ⁾ⱼ) of an elementwise layer, in terms of a⁽ˡ⁾ⱼ where that form exists."""
        entry = self.plan.layers[layer - 1]
        return self.evaluate(Slope(entry.activation, entry.z, entry.a))[unit, 0]

    @cached_property
    def forward_values(self) -> dict[sympy.Symbol, sympy.Expr]:
        """z⁽ˡ⁾ⱼ and a⁽ˡ⁾ⱼ fully expanded in x and the parameters (grows with depth)."""
        syms = self.symbols
        known = {Name("x"): syms.x.tolist()}
        for entry in self.plan.layers:
            for quantity in (entry.W, entry.b):
                if quantity is not None:
                    known[quantity.name] = self._evaluator(quantity)
        expand = Evaluator(SYMPY, known)
        values: dict[sympy.Symbol, sympy.Expr] = {}
        for entry in self.plan.layers:
            for assignment in entry.forward:
                expanded = expand(assignment.rule)
                expand.known[assignment.target.name] = expanded
                symbols = self._evaluator(assignment.target)
                values.update(
                    (s[0], v[0]) for s, v in zip(symbols, expanded, strict=True)
                )
        return values

    def expanded_loss(self) -> sympy.Expr:
        """The loss fully expanded in x, y and the parameters (exponential in depth)."""
        if not self.network.is_mlp:
            return self.loss.xreplace(self._forward_inlined)
        return self.loss.xreplace(self.forward_values)

    # -- the δ recursion ------------------------------------------------------

    @property
    def softmax_cross_entropy(self) -> bool:
        """True when δ⁽ᴸ⁾ simplifies to a − y (softmax output with cross_entropy)."""
        return self.plan.output_error.shortcut is not None

    @property
    def output_identity(self) -> bool:
        """True when δ⁽ᴸ⁾ is a − y: softmax with cross-entropy, sigmoid with binary cross-entropy."""
        return self.plan.output_error.identity is not None

    @cached_property
    def deltas(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """δ⁽ˡ⁾ for l = 1..L, each in terms of the δ⁽ˡ⁺¹⁾ symbols (shared, never inlined)."""
        return tuple(self.evaluate(self.plan.error_rule(layer)) for layer in range(1, self.network.depth + 1))

    @property
    def deltas_intermediate(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """δ⁽ˡ⁾ with the δ's above substituted: in terms of a, z, y and the weights."""
        return tuple(self.delta_intermediate(layer) for layer in range(1, self.network.depth + 1))

    def delta_intermediate(self, layer: int) -> sympy.ImmutableMatrix:
        """δ⁽ˡᵃʸᵉʳ⁾ with the δ's above substituted, made once and only for the layers asked for."""
        if layer not in self._written_out:
            if layer < self.network.depth:
                self.delta_intermediate(layer + 1)  # δ⁽ˡ⁺¹⁾ written out first
            entries = self._inlined(self.plan.error_rule(layer))
            self._inlined.known[self.plan.layers[layer - 1].delta.name] = entries
            self._written_out[layer] = _matrix(entries)
        return self._written_out[layer]

    @cached_property
    def _inlined(self) -> Evaluator:
        """Evaluates rules with each δ given by its written-out entries (never substituted afterwards)."""
        return Evaluator(SYMPY)

    @cached_property
    def _written_out(self) -> dict[int, sympy.ImmutableMatrix]:
        return {}

    # -- gradients --------------------------------------------------------------

    def parameters(self) -> tuple[str, ...]:
        return self.network.parameter_names()

    def wrt(self, text: str) -> Wrt:
        """``W2`` or ``W2[1,2]`` read and checked against this network's parameters."""
        return Wrt.read(text, self.network.parameter_shapes())

    def gradient(self, name: str, form: str = "intermediate") -> sympy.Matrix:
        """∂L/∂θ as a SymPy Matrix with the shape of θ (b is a column).

        ``form`` is ``"delta"`` (δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ with δ as symbols),
        ``"intermediate"`` (δ's substituted; in a, z, y and the weights) or
        ``"expanded"`` (in x, y and the parameters only).  Each gradient is
        built once and kept; every call returns a new Matrix.
        """
        choose(form, FORMS, "form")
        wrt = self.wrt(name)
        if wrt.entry is not None:
            raise UnknownParameterError(f"unknown parameter {name!r}; this network has {', '.join(self.parameters())}")
        key = (wrt.name, form)
        if key not in self._gradients:
            with _without_gc():
                self._gradients[key] = self._gradient(wrt, form)
        grad = self._gradients[key]
        return grad.copy() if isinstance(grad, sympy.MatrixBase) else grad

    @cached_property
    def _gradients(self) -> dict[tuple[str, str], Any]:
        return {}

    def _gradient(self, wrt: Wrt, form: str) -> Any:
        rule = self.plan.gradient_rule(wrt.parameter)
        if not self.network.is_mlp:
            grad = self.evaluate(rule)
            if form != "delta":
                grad = grad.xreplace(self._errors_inlined)
            if form == "expanded":
                grad = grad.xreplace(self._forward_inlined)
            return grad if isinstance(grad, sympy.NDimArray) else sympy.Matrix(grad)
        if form == "delta":
            return _mutable(self._evaluator(rule))
        # The rule evaluated with δ⁽ˡ⁾ given by its intermediate form, not substituted afterwards.
        self.delta_intermediate(wrt.layer)
        grad = _mutable(self._inlined(rule))
        if form == "expanded":
            grad = grad.xreplace(self.forward_values)
        return grad

    @cached_property
    def _errors_inlined(self) -> dict[Any, Any]:
        """Every δ entry of a list-form network in terms of a, z, y and the parameters."""
        values: dict[Any, Any] = {}
        for layer in range(self.plan.depth, self.plan.lowest_trained - 1, -1):
            entry = self.plan.layers[layer - 1]
            rule = self.evaluate(self.plan.error_rule(layer)).xreplace(values)
            symbols = self.evaluate(entry.delta)
            values.update(zip(_flat(symbols), _flat(rule), strict=True))
        return values

    @cached_property
    def _forward_inlined(self) -> dict[Any, Any]:
        """Every z and a entry of a list-form network in terms of x and the parameters."""
        values: dict[Any, Any] = {}
        for entry in self.plan.layers:
            for assignment in entry.forward:
                rule = self.evaluate(assignment.rule).xreplace(values)
                values.update(zip(_flat(self.evaluate(assignment.target)), _flat(rule), strict=True))
        return values

    def gradients(self, form: str = "intermediate") -> dict[str, sympy.Matrix]:
        """Every gradient, keyed by parameter name."""
        return {name: self.gradient(name, form) for name in self.parameters()}

    def scalar_gradients(
        self, backend: str = "auto", as_sympy: bool = False
    ) -> dict[str, list[list[Any]]]:
        """Every scalar ∂L/∂θ in δ form, with the δ recursion (see :func:`scalar_gradients`)."""
        return scalar_gradients(self.network, backend, as_sympy=as_sympy)


# -- every scalar gradient of a large network, in bulk ------------------------------


def scalar_gradients(
    network: Network, backend: str = "auto", as_sympy: bool = False
) -> dict[str, list[list[Any]]]:
    """Every scalar ∂L/∂θ in δ form, and the δ definitions, as nested lists.

    The result maps each parameter name (``W1``, ``b1``, …) to its rows
    (W⁽ˡ⁾ is nₗ rows of nₗ₋₁ entries; b⁽ˡ⁾ is a column: nₗ rows of one entry)
    and ``"delta<l>"`` to the column of δ⁽ˡ⁾ⱼ definitions, each written in the
    symbols δ⁽ˡ⁺¹⁾, w⁽ˡ⁺¹⁾, a⁽ˡ⁾, z⁽ˡ⁾ and y.  Nothing is inlined, so the work
    and the output are linear in the number of parameters (inlining reaches
    billions of operations at 784-256-128-10).  With the SymEngine backend the
    entries are SymEngine objects (``sympy.sympify`` reads them);
    ``as_sympy=True`` converts them to SymPy with the real symbols that
    ``Derivation`` uses.
    """
    chosen = resolve_backend(backend)
    with _without_gc():
        return _scalar_gradients(network, backend, chosen, as_sympy)


def _scalar_gradients(network: Network, backend: str, chosen: str, as_sympy: bool) -> dict[str, list[list[Any]]]:
    if chosen == "symengine":
        try:
            result = _build(network, symengine_kit())
        except Exception:
            # A custom expression SymEngine cannot read: with "auto", SymPy does the job.
            if backend != "auto":
                raise
            chosen, result = "sympy", _build(network, SYMPY)
    else:
        result = _build(network, SYMPY)
    if as_sympy and chosen != "sympy":
        result = to_sympy(result)
    return result


def _build(network: Network, kit: Kit) -> dict[str, list[list[Any]]]:
    the_plan = plan(network)
    evaluate = Evaluator(kit)
    result: dict[str, list[list[Any]]] = {}
    for entry in the_plan.layers:
        for assignment in the_plan.gradients(entry):
            result[str(assignment.target.name)] = evaluate(assignment.rule)
    # δ⁽ᴸ⁾ first: the recursion needs W⁽²⁾…W⁽ᴸ⁾ only, so W⁽¹⁾, the largest, is never made.
    for layer in range(1, the_plan.depth + 1):
        result[str(the_plan.layers[layer - 1].delta.name)] = evaluate(the_plan.error_rule(layer))
    return result


def to_sympy(result: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
    """Convert every entry to SymPy, with real symbols as ``Derivation`` makes them."""
    realise: dict[sympy.Symbol, sympy.Symbol] = {}

    def convert(entry: Any) -> sympy.Expr:
        expr = sympy.sympify(entry)
        for symbol in expr.free_symbols:
            if symbol not in realise:
                realise[symbol] = real_symbol(symbol.name)
        return expr.xreplace(realise)

    return {key: [[convert(entry) for entry in row] for row in rows] for key, rows in result.items()}
