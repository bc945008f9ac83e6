"""Gradient checking: compiled gradients against finite differences.

Every entry θ of every parameter is perturbed by a step scaled to it,
h = ε^(1/3)·max(1, |θ|) (the step that balances truncation and rounding error
of a central difference in float64), and

    numeric = (L(θ + h) − L(θ − h)) / (2h),
    relative error = |analytic − numeric| / max(|analytic|, |numeric|, tiny).

``tiny`` (1e-6·max(1, |L|)) keeps entries whose true value is 0 from turning
rounding noise into a large relative error.  The largest relative error per
parameter is graded in the bands practitioners use: below 1e-7 excellent,
below 1e-4 fine, below 1e-2 suspicious, otherwise wrong; an entry passes below
``tolerance`` (1e-4).  An entry where either value is NaN or infinite fails
(its relative error counts as infinite): a checker must never pass a NaN.

``method="complex"`` uses complex-step differentiation instead,
Im L(θ + ih)/h, which has no subtraction and is accurate to machine precision;
it needs a loss that is analytic in the parameters (no abs or erf), with
ReLU-like branches taken on the real part.

A ReLU or leaky ReLU is not differentiable where its input is 0.  The kink
locations come from the activation's symbolic expression (the arguments of
Max/Min, the conditions of a Piecewise, the argument of Abs or Heaviside);
an entry whose stencil θ ± h changes the sign of one of them for any unit and
sample is reported as a kink, not as a failure.  So is an entry whose stencil
changes a layer's switch (``Layer.switches``): the argmax of a max-pooling
window, which moves where two entries of a window tie.

>>> from symbackprop import models
>>> report = gradcheck(models.two_two_two(), seed=0)
>>> report.passed, [row.name for row in report.rows]
(True, ['W1', 'b1', 'W2', 'b2'])
>>> import symbackprop as sbp
>>> sbp.gradcheck(models.two_two_two(), method="complex").passed
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from . import options
from .activations import T as GENERIC_INPUT
from .errors import DataError
from .limits import batch_memory_problem, gradcheck_problem
from .losses import PROBABILITY, UNIT_INTERVAL
from .numeric import CompiledGradient
from .numeric import compile as compile_gradient
from .options import choose
from .spec import Network

METHODS = ("central", "complex")
BANDS = ((1e-7, "excellent"), (1e-4, "fine"), (1e-2, "suspicious"))
STEP_SCALE = float(np.finfo(np.float64).eps) ** (1 / 3)
COMPLEX_STEP = 1e-20
TINY = 1e-6


def grade(relative_error: float) -> str:
    """The practitioners' band of a relative error.

    >>> grade(3e-9), grade(2e-6), grade(5e-3), grade(0.3)
    ('excellent', 'fine', 'suspicious', 'wrong')
    """
    for limit, name in BANDS:
        if relative_error < limit:
            return name
    return "wrong"


@dataclass(frozen=True)
class ParameterCheck:
    """The result for one parameter: its worst entry and how many entries were kinks.

    ``where`` is the 1-based index of the worst entry, as in printed math
    (``(j, k)`` for W, ``(j,)`` for b); ``analytic`` and ``numeric`` are the
    two values there.
    """

    name: str
    shape: tuple[int, ...]
    checked: int
    max_relative_error: float
    where: tuple[int, ...] | None
    analytic: float
    numeric: float
    kinks: tuple[tuple[int, ...], ...]
    failures: int
    tolerance: float
    not_finite: int = 0  # entries where the analytic or the numeric value is NaN or infinite

    @property
    def grade(self) -> str:
        return grade(self.max_relative_error)

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": list(self.shape),
            "entries_checked": self.checked,
            "max_relative_error": self.max_relative_error,
            "where": list(self.where) if self.where else None,
            "analytic": self.analytic,
            "numeric": self.numeric,
            "grade": self.grade,
            "kinks": [list(k) for k in self.kinks],
            "failures": self.failures,
            "not_finite": self.not_finite,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class GradCheckReport:
    """Per-parameter results of a gradient check; ``passed`` when no entry failed."""

    description: str
    method: str
    batch: int
    rows: tuple[ParameterCheck, ...]
    tolerance: float

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def kinks(self) -> int:
        return sum(len(row.kinks) for row in self.rows)

    def row(self, name: str) -> ParameterCheck:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.description,
            "method": self.method,
            "batch": self.batch,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "parameters": [row.to_dict() for row in self.rows],
        }

    def table(self) -> str:
        """A plain-text table, one row per parameter."""
        how = (
            f"central differences in float64, step {STEP_SCALE:.1e}·max(1, |θ|)"
            if self.method == "central"
            else f"complex step, h = {COMPLEX_STEP:g}·max(1, |θ|)"
        )
        head = ("parameter", "entries", "largest rel. error", "where", "grade", "kinks", "result")
        body = []
        for row in self.rows:
            where = "(" + ", ".join(map(str, row.where)) + ")" if row.where else "-"
            body.append(
                (
                    row.name,
                    str(row.checked),
                    f"{row.max_relative_error:.2e}" if not row.not_finite else "NaN or inf",
                    where,
                    row.grade,
                    str(len(row.kinks)),
                    "pass" if row.passed else f"FAIL ({row.failures})",
                )
            )
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines = [
            f"Gradient check of {self.description}",
            f"{how}; batch of {self.batch}; an entry passes below {self.tolerance:g}",
            "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip(),
        ]
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body
        ]
        failures = sum(row.failures for row in self.rows)
        total = sum(row.checked for row in self.rows)
        not_finite = sum(row.not_finite for row in self.rows)
        if not_finite:
            lines.append(
                f"{failures} of {total} entries FAIL; {not_finite} of them are NaN or infinite: the "
                "loss or its gradient is not defined at these parameters and inputs"
            )
        elif failures:
            lines.append(
                f"{failures} of {total} entries FAIL: the gradient disagrees with the loss"
            )
        else:
            lines.append(f"all {total} entries pass")
        if self.kinks:
            lines.append(
                f"{self.kinks} entries straddle a kink (the input of a ReLU-like unit changes "
                "sign, or a max-pooling window's maximum moves, within θ ± h), where finite "
                "differences are not a derivative; not counted"
            )
        return "\n".join(lines)


# -- kinks ------------------------------------------------------------------------


def kink_arguments(expr: sympy.Expr) -> list[sympy.Expr]:
    """Expressions in the generic input whose sign change marks a kink of ``expr``.

    >>> from symbackprop.activations import activation
    >>> kink_arguments(activation("relu").expr)
    [t]
    >>> kink_arguments(activation("sigmoid").expr)
    []
    """
    found: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Max | sympy.Min):
            args = list(node.args)
            found += [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
        elif isinstance(node, sympy.Abs | sympy.Heaviside | sympy.sign):
            found.append(node.args[0])
        elif isinstance(node, sympy.Piecewise):
            for _, cond in node.args:
                if isinstance(cond, sympy.core.relational.Relational):
                    found.append(cond.lhs - cond.rhs)
    out: list[sympy.Expr] = []
    for item in found:
        if item.could_extract_minus_sign():
            item = -item  # only the sign change matters, so keep the tidier form
        if item.has(GENERIC_INPUT) and item not in out:
            out.append(item)
    return out


def _kink_functions(network: Network) -> dict[int, list[Callable[[np.ndarray], np.ndarray]]]:
    """Per layer index (0-based), NumPy functions of Z whose sign changes at a kink."""
    out = {}
    for index, layer in enumerate(network.layers):
        if layer.activation is None or not layer.activation.elementwise:
            continue
        args = kink_arguments(layer.activation.expr)
        if args:
            out[index] = [sympy.lambdify(GENERIC_INPUT, arg, modules="numpy") for arg in args]
    return out


def _switch_functions(network: Network) -> dict[int, list[Callable[[np.ndarray], np.ndarray]]]:
    """Per layer index (0-based), functions of the layer's input that change where its rule switches.

    A max pooling switches where the argmax of a window changes (a tie).
    """
    out = {}
    for index, layer in enumerate(network.layers):
        switches = layer.switches()
        if switches:
            out[index] = list(switches)
    return out


# -- complex step ---------------------------------------------------------------

_NOT_ANALYTIC = (sympy.Abs, sympy.sign, sympy.erf, sympy.Heaviside, sympy.floor, sympy.ceiling)


def complex_step_problem(network: Network) -> str | None:
    """Why complex-step differentiation cannot be used for this network, or None."""
    from .losses import N as LOSS_N

    pieces = [
        layer.activation.expr
        for layer in network.layers
        if layer.activation is not None and layer.activation.elementwise
    ]
    pieces.append(network.loss.term.subs(LOSS_N, 1))
    for expr in pieces:
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, _NOT_ANALYTIC):
                return f"{type(node).__name__} in {expr} is not analytic, so complex steps do not apply"
    return None


# -- the check --------------------------------------------------------------------


def random_batch(
    network: Network, seed: int | None = 0, batch: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded inputs and targets that suit the network's loss.

    Targets are probability vectors for cross_entropy (each row sums to 1, as
    the δ = a − y simplification assumes), lie in (0, 1) for outputs and
    losses that need it, and are standard normal otherwise.
    """
    too_many = batch_memory_problem(options.whole(batch, "the batch size", 1), network.sizes)
    if too_many:
        raise DataError(too_many)
    rng = np.random.default_rng(seed)
    nL = network.output_size
    X = rng.standard_normal((batch, *network.input_shape))
    out = network.output_activation
    if network.loss.targets == PROBABILITY or not out.elementwise:
        Y = rng.dirichlet(np.ones(nL), size=batch)
    elif network.loss.targets == UNIT_INTERVAL or out.kind == "sigmoid":
        Y = rng.uniform(0.05, 0.95, size=(batch, nL))
    else:
        Y = rng.standard_normal((batch, nL))
    return X, Y


def gradcheck(
    network: Network | CompiledGradient | Any,
    params: Mapping[str, Any] | None = None,
    X: Any = None,
    Y: Any = None,
    *,
    gradient: Callable[..., tuple[float, Mapping[str, np.ndarray]]] | None = None,
    method: str = "central",
    seed: int | None = 0,
    batch: int = 4,
    tolerance: float = 1e-4,
    max_entries: int | None = None,
) -> GradCheckReport:
    """Check ``gradient(params, X, Y)`` against differences of the compiled loss.

    ``network`` is a Network, a Derivation or a CompiledGradient.  Without
    ``params``, parameters are drawn from ``seed`` (:func:`~symbackprop.params.init_params`);
    without X and Y, a batch from :func:`random_batch`.  ``gradient`` is the
    function under test (default: the compiled gradient).  ``max_entries``
    checks at most that many randomly chosen entries per parameter.
    """
    from .batch import check_batch
    from .params import check_params, init_params

    choose(method, METHODS, "check method")
    tolerance = options.tolerance(tolerance)
    batch = options.whole(batch, "the batch size", 1)
    if max_entries is not None:
        max_entries = options.whole(max_entries, "max_entries", 1)
    if seed is not None:
        seed = options.seed(seed)
    _refuse_long_checks(getattr(network, "network", network), X, Y, batch, method, max_entries)
    if isinstance(network, CompiledGradient):
        compiled = network
        if compiled.dtype != np.float64:
            compiled = compile_gradient(compiled.network)
    else:
        compiled = compile_gradient(network)
    net = compiled.network
    if method == "complex":
        problem = complex_step_problem(net)
        if problem:
            raise DataError(f"cannot use complex steps for {net.describe()}: {problem}")
    params = init_params(net, seed) if params is None else check_params(params, net)
    if X is None or Y is None:
        X, Y = random_batch(net, seed, batch)
    X, Y = check_batch(X, Y, net)
    analytic_fn = gradient or compiled
    with np.errstate(all="ignore"):  # NaN and overflow are reported as failures, not warnings
        _, analytic = analytic_fn(params, X, Y)
        loss0 = compiled.loss(params, X, Y)
    tiny = TINY * max(1.0, abs(loss0)) if np.isfinite(loss0) else TINY
    kink_fns = (_kink_functions(net), _switch_functions(net)) if method == "central" else None
    rng = np.random.default_rng(seed)
    rows = []
    for name, value in params.items():
        grad = np.asarray(analytic[name], dtype=np.float64)
        if grad.shape != value.shape:
            raise DataError(
                f"the gradient of {name} has shape {grad.shape} but the parameter has {value.shape}"
            )
        indices = list(np.ndindex(value.shape))
        if max_entries is not None and len(indices) > max_entries:
            chosen = rng.choice(len(indices), size=max_entries, replace=False)
            indices = [indices[i] for i in sorted(chosen)]
        with np.errstate(all="ignore"):
            rows.append(
                _check_parameter(
                    compiled, params, X, Y, name, grad, indices, method, tiny, tolerance, kink_fns
                )
            )
    return GradCheckReport(net.describe(), method, X.shape[0], tuple(rows), tolerance)


def central_differences(
    loss: Callable[[dict[str, np.ndarray]], float], params: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """∂loss/∂θ for every entry θ of ``params`` by central differences, the step scaled to
    each entry as :func:`gradcheck` scales it; ``loss`` maps parameters to a number.

    >>> grads = central_differences(lambda p: float((p["w"] ** 3).sum()), {"w": np.array([1.0, 2.0])})
    >>> np.allclose(grads["w"], [3.0, 12.0])
    True
    """
    base = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    out: dict[str, np.ndarray] = {}
    for name, value in base.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus, step = _stencil(value, index)
            grad[index] = (loss({**base, name: plus}) - loss({**base, name: minus})) / step
        out[name] = grad
    return out


def _stencil(value: np.ndarray, index: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, float]:
    """``value`` with the entry at ``index`` moved up and down by h = STEP_SCALE·max(1, |θ|), and
    the distance between the two as the floats hold it (not 2h: θ ± h is rounded)."""
    theta = value[index]
    h = STEP_SCALE * max(1.0, abs(theta))
    plus, minus = value.copy(), value.copy()
    plus[index], minus[index] = theta + h, theta - h
    return plus, minus, (plus[index] - theta) + (theta - minus[index])


def _refuse_long_checks(net: Network, X: Any, Y: Any, batch: int, method: str, max_entries: int | None) -> None:
    """Estimate the finite differences' time before compiling anything; refuse what would not end."""
    sizes = [math.prod(shape) for shape in net.parameter_shapes().values()]
    entries = sum(size if max_entries is None else min(size, max_entries) for size in sizes)
    kinks = any(
        layer.switches()
        or (layer.activation is not None and layer.activation.elementwise and kink_arguments(layer.activation.expr))
        for layer in net.layers
    )
    per_entry = 4 if method == "complex" or kinks else 2  # loss (or forward) evaluations per entry
    rows = batch if X is None or Y is None else max(len(np.atleast_1d(np.asarray(X, dtype=object))), 1)
    too_long = batch_memory_problem(rows, net.sizes) or gradcheck_problem(entries, per_entry, rows, net.sizes)
    if too_long:
        raise DataError(too_long)


def _check_parameter(
    compiled, params, X, Y, name, grad, indices, method, tiny, tolerance, kink_fns
):
    worst, worst_at, worst_pair = -1.0, None, (0.0, 0.0)
    kinks: list[tuple[int, ...]] = []
    failures = not_finite = 0
    base_signs = _kink_signs(compiled, params, X, kink_fns) if kink_fns and any(kink_fns) else None
    for index in indices:
        theta = params[name][index]
        if method == "complex":
            h = COMPLEX_STEP * max(1.0, abs(theta))
            shifted = {k: v.astype(np.complex128) for k, v in params.items()}
            shifted[name][index] += 1j * h
            numeric = float(np.imag(compiled.complex_loss(shifted, X.astype(np.complex128), Y)) / h)
        else:
            shifted_up, shifted_down, step = _stencil(params[name], index)
            plus, minus = {**params, name: shifted_up}, {**params, name: shifted_down}
            numeric = (compiled.loss(plus, X, Y) - compiled.loss(minus, X, Y)) / step
            if (
                np.isfinite(numeric)
                and base_signs is not None
                and (
                    _changed(base_signs, _kink_signs(compiled, plus, X, kink_fns))
                    or _changed(base_signs, _kink_signs(compiled, minus, X, kink_fns))
                )
            ):
                kinks.append(tuple(i + 1 for i in index))
                continue
        a = float(grad[index])
        if np.isfinite(a) and np.isfinite(numeric):
            error = abs(a - numeric) / max(abs(a), abs(numeric), tiny)
        else:  # a NaN would fail every comparison, so it is made to fail this one
            error = float("inf")
            not_finite += 1
        if not error < tolerance:
            failures += 1
        if error > worst:
            worst, worst_at, worst_pair = error, tuple(i + 1 for i in index), (a, numeric)
    return ParameterCheck(
        name=name,
        shape=params[name].shape,
        checked=len(indices) - len(kinks),
        max_relative_error=max(worst, 0.0),
        where=worst_at,
        analytic=worst_pair[0],
        numeric=float(worst_pair[1]),
        kinks=tuple(kinks),
        failures=failures,
        tolerance=tolerance,
        not_finite=not_finite,
    )


def _kink_signs(compiled, params, X, kink_fns) -> list[np.ndarray]:
    """The sign of every kink argument, and where every switch of a layer stands."""
    activations, switches = kink_fns
    zs, outputs = compiled.forward(params, X)
    inputs = (X, *outputs)
    signs = [np.sign(fn(zs[layer])) for layer, fns in activations.items() for fn in fns]
    return signs + [fn(inputs[layer]) for layer, fns in switches.items() for fn in fns]


def _changed(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    return any(np.any(b != a) for b, a in zip(before, after, strict=True))
