"""The functions a formula may call, with their numeric and symbolic forms.

One table serves both syntaxes and every stage: the parsers check names
against it, the shape checker reads ``kind`` and ``arity``, the evaluator
uses ``numeric`` (mpmath, high precision) and the symbolic proof ``symbolic``
(SymPy).  ReLU's derivative at 0 is 0, as everywhere in symbackprop; a leaky
ReLU takes its slope as a second argument (the parsers fill in the network's).

Kinds: ``image`` (the operations on images and kernels of
:mod:`~symbackprop.verification.images`: correlations, convolutions, pooling,
reshapes), ``elementwise`` (entry by entry, numbers broadcast), ``sum`` (all
entries to one number), ``rowsum`` / ``colsum`` (NumPy's axis=1 / axis=0
with keepdims), ``softmax``, ``diag`` (a column to a diagonal matrix, or a
square matrix to its diagonal) and ``outer`` (u vᵀ of two vectors).

>>> import mpmath
>>> FUNCTIONS["sigmoid_prime"].numeric(mpmath.mpf(0))
mpf('0.25')
>>> FUNCTIONS["leaky_relu_prime"].numeric(mpmath.mpf(-3), mpmath.mpf(0.5))
mpf('0.5')
>>> sorted(name for name, f in FUNCTIONS.items() if f.kind == "elementwise")[:4]
['cosh', 'exp', 'leaky_relu', 'leaky_relu_prime']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy

from .images import OPERATIONS

# Beyond this size exp() is reported as infinite instead of being computed:
# nested exponentials typed on purpose must not stall the verifier.
EXP_LIMIT = 10**6


def _exp(t: Any) -> Any:
    if isinstance(t, mpmath.mpf) and abs(t) > EXP_LIMIT:
        return mpmath.inf if t > 0 else mpmath.mpf(0)
    return mpmath.exp(t)


def _cosh(t: Any) -> Any:
    return (_exp(t) + _exp(-t)) / 2


def _sigmoid(t: Any) -> Any:
    return 1 / (1 + _exp(-t))


def _relu(t: Any) -> Any:
    return t if t > 0 else mpmath.mpf(0)


def _step(t: Any) -> Any:
    return mpmath.mpf(1) if t > 0 else mpmath.mpf(0)


def _sym_sigmoid(t: Any) -> Any:
    return 1 / (1 + sympy.exp(-t))


def _identity(t: Any) -> Any:
    return t


def _not_symbolic(*args: Any) -> Any:
    raise TypeError("the operations on images are judged at the points, not proved")


# Arguments of the operations on images: the matrices, then the whole numbers (route_argmax's
# window size may be left out, as the shapes tell it).
_IMAGE_ARITY = {
    "correlate": (2, 2), "correlate_full": (2, 2), "convolve": (2, 2), "convolve_full": (2, 2),
    "flip": (1, 1), "pad": (2, 2), "dilate": (2, 2), "maxpool": (2, 2), "avgpool": (2, 2), "upsample": (2, 2), "route_argmax": (2, 3),
    "reshape": (3, 3), "vec": (1, 1), "lag": (1, 1), "through_time": (3, 3), "last_step_only": (3, 3),
}


@dataclass(frozen=True)
class Function:
    """One callable name; ``arity`` is (fewest, most) arguments."""

    name: str
    kind: str
    numeric: Callable[..., Any]
    symbolic: Callable[..., Any]
    latex: str
    arity: tuple[int, int] = (1, 1)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("sigmoid", "elementwise", _sigmoid, _sym_sigmoid, r"\sigma"),
        Function(
            "sigmoid_prime", "elementwise", lambda t: _sigmoid(t) * (1 - _sigmoid(t)),
            lambda t: _sym_sigmoid(t) * (1 - _sym_sigmoid(t)), r"\sigma'",
        ),
        Function("tanh", "elementwise", mpmath.tanh, sympy.tanh, r"\tanh"),
        Function(
            "tanh_prime", "elementwise", lambda t: 1 - mpmath.tanh(t) ** 2,
            lambda t: 1 - sympy.tanh(t) ** 2, r"\tanh'",
        ),
        Function("relu", "elementwise", _relu, lambda t: sympy.Max(0, t), r"\operatorname{ReLU}"),
        Function(
            "relu_prime", "elementwise", _step, lambda t: sympy.Heaviside(t, 0),
            r"\operatorname{ReLU}'",
        ),
        Function(
            "leaky_relu", "elementwise", lambda t, s: t if t > 0 else s * t,
            lambda t, s: sympy.Piecewise((t, t > 0), (s * t, True)), r"\operatorname{LReLU}", (2, 2),
        ),
        Function(
            "leaky_relu_prime", "elementwise", lambda t, s: mpmath.mpf(1) if t > 0 else s,
            lambda t, s: sympy.Piecewise((1, t > 0), (s, True)), r"\operatorname{LReLU}'", (2, 2),
        ),
        Function("exp", "elementwise", _exp, sympy.exp, r"\exp"),
        Function("log", "elementwise", mpmath.log, sympy.log, r"\log"),
        Function("sqrt", "elementwise", mpmath.sqrt, sympy.sqrt, r"\sqrt"),
        Function("cosh", "elementwise", _cosh, sympy.cosh, r"\cosh"),
        Function("sech", "elementwise", lambda t: 1 / _cosh(t), sympy.sech, r"\operatorname{sech}"),
        Function(
            "maximum", "elementwise", lambda u, v: u if u >= v else v, sympy.Max,
            r"\max", (2, 2),
        ),
        Function(
            "where", "elementwise", lambda c, u, v: u if c != 0 else v,
            lambda c, u, v: sympy.Piecewise((u, sympy.Ne(c, 0)), (v, True)), r"\operatorname{where}",
            (3, 3),
        ),
        Function("sum", "sum", _identity, _identity, r"\sum"),
        Function("rowsum", "rowsum", _identity, _identity, r"\sum_k"),
        Function("colsum", "colsum", _identity, _identity, r"\sum_j"),
        *(Function(name, "mean", _identity, _identity, r"\operatorname{mean}") for name in ("mean", "rowmean", "colmean")),
        Function("softmax", "softmax", _identity, _identity, r"\operatorname{softmax}"),
        Function("diag", "diag", _identity, _identity, r"\operatorname{diag}"),
        Function("outer", "outer", _identity, _identity, r"\otimes", (2, 2)),
        *(
            Function(op.name, "image", op.value, _not_symbolic, rf"\operatorname{{{op.name}}}", _IMAGE_ARITY[op.name])
            for op in OPERATIONS.values()
        ),
    )
}

# Functions a formula names directly (the others are what np.sum(..., axis=) reads as).
CALLABLE = tuple(
    name for name in FUNCTIONS
    if name not in ("rowsum", "colsum", "mean", "rowmean", "colmean", "where", "maximum", "outer")
    and not (name in OPERATIONS and OPERATIONS[name].internal)
)


def known_functions() -> str:
    return ", ".join(sorted(CALLABLE))
