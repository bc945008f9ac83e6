"""The plan's rules evaluated at one point, in mpmath arithmetic: the verifier's true values.

A formula is judged against these values, so they come from the same rules
as everything else (:mod:`symbackprop.backprop`): the forward pass, each δ,
∂L/∂a and each gradient.  Floats in the registries' expressions (a leaky
ReLU's slope 0.2) are read as the decimals they print as, exactly as a person
types them.

>>> import mpmath
>>> from symbackprop import models
>>> from symbackprop.backprop import plan
>>> p = plan(models.two_two_two())
>>> at = PlanValues({"a2": Grid.column([0.75, 0.75]), "y": Grid.column([0.01, 0.99])})
>>> [mpmath.nstr(v, 6) for v in at(p.loss_gradient).flat]
['0.74', '-0.24']
"""

from __future__ import annotations

import math
import operator
from functools import lru_cache
from typing import Any

import mpmath
import sympy

from ..activations import S, T
from ..losses import A, N, Y
from ..tensor import (
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
    Transpose,
    Visitor,
)
from .grid import Grid, zip_with


def as_written(expr: Any) -> Any:
    """``expr`` with every binary float replaced by the decimal it prints as (0.2 -> 1/5).

    >>> as_written(sympy.Float(0.2) * T)
    t/5
    """
    floats = getattr(expr, "atoms", lambda *_: set())(sympy.Float)
    return expr.xreplace({f: sympy.Rational(str(f)) for f in floats}) if floats else expr


@lru_cache(maxsize=256)
def numeric(expr: sympy.Expr, *variables: sympy.Symbol):
    """An mpmath function of ``variables`` for a registry expression, made once."""
    return sympy.lambdify(variables, as_written(expr), modules="mpmath")


@lru_cache(maxsize=256)
def operation(node: Op):
    """An mpmath function from the entries of an operation's operands to the entries of its result.

    The operation computes once on arrays of symbols — its own symbolic form,
    SymPy's derivative of a max included — and lambdify makes that a function,
    its constants read as written (λ = 0.1 is 1/10), so the result keeps 40 digits.
    """
    import numpy

    operands, variables = [], []
    for k, arg in enumerate(node.args):
        shape = arg.shape
        symbols = [sympy.Symbol(f"_op{k}_{i}", real=True) for i in range(math.prod(shape))]
        variables.extend(symbols)
        array = numpy.array(symbols, dtype=object).reshape(shape)
        if len(shape) == 2 and shape[1] == 1 and not _is_weight(arg):
            array = array[:, 0]  # a column (per-sample, or a bias) is a vector in the batch forms
        operands.append(array)
    out = numpy.asarray(node.symbolic(*operands), dtype=object).reshape(-1)
    return sympy.lambdify(variables, [as_written(v) for v in out], modules="mpmath")


def _is_weight(arg: Any) -> bool:
    return isinstance(arg, Quantity) and arg.name.is_parameter and arg.name.stem == "W"


class PlanValues(Visitor):
    """Tensor expressions of the plan evaluated on grids of mpf, given the quantities' values."""

    def __init__(self, values: dict[str, Grid]):
        self.values = values

    def _visit_Quantity(self, node: Quantity) -> Grid:
        return self.values[str(node.name)]

    def _visit_Transpose(self, node: Transpose) -> Grid:
        return self(node.arg).T

    def _visit_MatMul(self, node: MatMul) -> Grid:
        return self(node.left) @ self(node.right)

    def _visit_Add(self, node: Add) -> Grid:
        return zip_with(operator.add, self(node.left), self(node.right))

    def _visit_Sub(self, node: Sub) -> Grid:
        return zip_with(operator.sub, self(node.left), self(node.right))

    def _visit_Hadamard(self, node: Hadamard) -> Grid:
        return zip_with(operator.mul, self(node.left), self(node.right))

    def _visit_Activate(self, node: Activate) -> Grid:
        z = self(node.arg)
        if node.activation.elementwise:
            return zip_with(numeric(node.activation.expr, T), z)
        exps = [mpmath.exp(v) for v in z.flat]
        total = mpmath.fsum(exps)
        return Grid.column([e / total for e in exps])

    def _visit_Slope(self, node: Slope) -> Grid:
        act = node.activation
        if act.derivative_of_output is not None:  # σ' in a = σ(z), as the engine writes it
            return zip_with(numeric(act.derivative_of_output, S), self(node.a))
        return zip_with(numeric(act.derivative, T), self(node.z))

    def _per_unit(self, term: sympy.Expr, node: LossValue | LossGradient) -> list[Any]:
        a, y = self(node.a), self(node.y)
        f = numeric(term.subs(N, a.rows), A, Y)
        return [f(a_j, y_j) for a_j, y_j in zip(a.flat, y.flat, strict=True)]

    def _visit_LossValue(self, node: LossValue) -> Grid:
        return Grid.column([mpmath.fsum(self._per_unit(node.loss.term, node))])

    def _visit_LossGradient(self, node: LossGradient) -> Grid:
        return Grid.column(self._per_unit(node.loss.term_derivative, node))

    def _visit_Op(self, node: Op) -> Grid:
        function = operation(node)
        entries = [v for arg in node.args for v in self(arg).flat]
        return Grid.array(node.shape, function(*entries))

    def _visit_SoftmaxVJP(self, node: SoftmaxVJP) -> Grid:
        a, g = self(node.a).flat, self(node.upstream).flat
        # Σᵢ gᵢ ∂aᵢ/∂zⱼ with the softmax Jacobian ∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ).
        return Grid.column(
            [mpmath.fsum(g[i] * a[i] * ((1 if i == j else 0) - a[j]) for i in range(len(a))) for j in range(len(a))]
        )


# -- a batch: for the layers whose output depends on the other samples (batch norm) ---------------


def batch_size(the_plan: Any) -> int:
    """How many samples a formula is judged on: 1, or :data:`BATCH` when a layer's forward rule
    reads the whole batch (a batch statistic), so that no one sample determines the gradient —
    :data:`IMAGE_BATCH` when it reads a batch of images, whose every position adds entries."""
    coupled = the_plan.per_batch_rules
    if not coupled:
        return 1
    return IMAGE_BATCH if any(len(arg.shape) > 2 for rule in coupled for arg in rule.args) else BATCH


BATCH = 3  # samples in a batch that batch norm is judged on: the smallest with a mean and a spread
IMAGE_BATCH = 2  # the same for batch norm of an image: each statistic has 2·H·W entries, a sheet 2·W columns


class BatchValues:
    """The plan's rules on a batch of samples, in 40-digit arithmetic.

    ``shared`` holds what is one value for the batch (the parameters, a batch
    statistic, a gradient), ``samples`` one dict per sample (x, y, and what
    each sample computes).  The rules for one sample run sample by sample, as
    :class:`PlanValues` runs them; a layer's operation runs once on the
    batch's arrays — its batch NumPy form, on symbols and lambdified once, so
    its constants stay as written — and gives one value per sample, or one
    for the batch.
    """

    def __init__(self, shared: dict[str, Grid], samples: list[dict[str, Grid]]):
        self.shared, self.samples = shared, samples
        self._cache: dict[Any, Any] = {}

    def __call__(self, node: Any) -> Grid | list[Grid]:
        if isinstance(node, Quantity):
            name = str(node.name)
            return self.shared[name] if name in self.shared else [sample[name] for sample in self.samples]
        if node in self._cache:
            return self._cache[node]
        if isinstance(node, Op):
            value: Any = self._operation(node)
        else:
            method = _method(node)
            value = [method(_Sample(self, n), node) for n in range(len(self.samples))]
        self._cache[node] = value
        return value

    def _operation(self, node: Op) -> Grid | list[Grid]:
        count = len(self.samples)
        values = [self(arg) for arg in node.args]
        pattern = tuple(isinstance(v, list) for v in values)
        function, out_shape = batch_operation(node, count, pattern)
        entries = [e for v in values for grid in (v if isinstance(v, list) else [v]) for e in grid.flat]
        flat = function(*entries)
        if out_shape and out_shape[0] == count and not node.per_batch:
            size = len(flat) // count
            return [Grid.array(node.shape, flat[k * size : (k + 1) * size]) for k in range(count)]
        return Grid.array(node.shape, flat)


class _Sample(PlanValues):
    """One sample's view of a batch: the rule at hand runs here, what it reads comes from the batch."""

    def __init__(self, batch: BatchValues, n: int):
        self.batch, self.n = batch, n

    def __call__(self, node: Any) -> Grid:
        value = self.batch(node)
        return value[self.n] if isinstance(value, list) else value


def _method(node: Any) -> Any:
    for cls in type(node).__mro__:
        method = getattr(PlanValues, f"_visit_{cls.__name__}", None)
        if method is not None:
            return method
    raise TypeError(f"no rule for a {type(node).__name__}")


@lru_cache(maxsize=256)
def batch_operation(node: Op, count: int, per_sample: tuple[bool, ...]):
    """(an mpmath function from the operands' entries to the result's, the result's batch shape):
    the operation's batch form on arrays of symbols, a leading axis of ``count`` samples on the
    operands ``per_sample`` marks."""
    import numpy

    operands, variables = [], []
    for k, (arg, batched) in enumerate(zip(node.args, per_sample, strict=True)):
        shape = ((count,) if batched else ()) + tuple(arg.shape)
        symbols = [sympy.Symbol(f"_op{k}_{i}", real=True) for i in range(math.prod(shape))]
        variables.extend(symbols)
        array = numpy.array(symbols, dtype=object).reshape(shape)
        if len(arg.shape) == 2 and arg.shape[1] == 1 and not _is_weight(arg):
            array = array[..., 0]  # a column (per-sample, or a bias) is a vector in the batch forms
        operands.append(array)
    out = numpy.asarray(node.compute(*operands), dtype=object)
    function = sympy.lambdify(variables, [as_written(v) for v in out.reshape(-1)], modules="mpmath")
    return function, out.shape
