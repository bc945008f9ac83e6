"""The functions a formula may call, with their numeric and symbolic forms.

One table serves both syntaxes and every stage: the parsers check names
against it, the shape checker reads ``kind``, the evaluator uses ``numeric``
(mpmath, high precision) and the symbolic proof ``symbolic`` (SymPy).
ReLU's derivative at 0 is 0, as everywhere in symbackprop.

>>> import mpmath
>>> FUNCTIONS["sigmoid_prime"].numeric(mpmath.mpf(0))
mpf('0.25')
>>> sorted(name for name, f in FUNCTIONS.items() if f.kind == "elementwise")[:4]
['exp', 'log', 'relu', 'relu_prime']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy

# Beyond this size exp() is reported as infinite instead of being computed:
# nested exponentials typed on purpose must not stall the verifier.
EXP_LIMIT = 10**6


def _exp(t: Any) -> Any:
    if isinstance(t, mpmath.mpf) and abs(t) > EXP_LIMIT:
        return mpmath.inf if t > 0 else mpmath.mpf(0)
    return mpmath.exp(t)


def _sigmoid(t: Any) -> Any:
    return 1 / (1 + _exp(-t))


def _relu(t: Any) -> Any:
    return t if t > 0 else mpmath.mpf(0)


def _step(t: Any) -> Any:
    return mpmath.mpf(1) if t > 0 else mpmath.mpf(0)


def _sym_sigmoid(t: Any) -> Any:
    return 1 / (1 + sympy.exp(-t))


@dataclass(frozen=True)
class Function:
    """``kind`` is ``elementwise``, ``sum`` (all entries to one number) or ``softmax``."""

    name: str
    kind: str
    numeric: Callable[[Any], Any]
    symbolic: Callable[[Any], Any]
    latex: str


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
        Function("exp", "elementwise", _exp, sympy.exp, r"\exp"),
        Function("log", "elementwise", mpmath.log, sympy.log, r"\log"),
        Function("sqrt", "elementwise", mpmath.sqrt, sympy.sqrt, r"\sqrt"),
        Function("sum", "sum", lambda t: t, lambda t: t, r"\sum"),
        Function("softmax", "softmax", lambda t: t, lambda t: t, r"\operatorname{softmax}"),
    )
}


def known_functions() -> str:
    return ", ".join(sorted(FUNCTIONS))
