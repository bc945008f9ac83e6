"""Loss registry: per-sample losses written as a sum of one term per output unit.

Every built-in loss is a sum over output units j of a term ℓ(aⱼ, yⱼ) (``mse``
divides by n_L), so SymPy differentiates the term once, on generic symbols,
and the engine substitutes each unit.  A custom loss is an expression in the
scalars ``a`` and ``y``, summed over the output units in the same way.

>>> loss("half_sse").term
(A - Y)**2/2
>>> loss("half_sse").term_derivative
A - Y
>>> loss("cross_entropy").term_derivative
-Y/A
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import sympy

from .errors import ExpressionError, SpecError
from .expressions import MAX_LENGTH, derivative, label_problem, parse_scalar, shown

A = sympy.Symbol("A", real=True)  # generic output activation a_j
Y = sympy.Symbol("Y", real=True)  # generic target y_j
N = sympy.Symbol("n_L", positive=True, integer=True)  # number of output units

NAMES = ("half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy")
CUSTOM = "custom"  # the kind of a loss given as an expression

# What the targets y of a loss are: any real numbers, numbers in (0, 1), or
# probability vectors (non-negative, summing to 1 over the output units).
REAL, UNIT_INTERVAL, PROBABILITY = "real", "unit_interval", "probability"
_TARGETS = {"cross_entropy": PROBABILITY, "binary_cross_entropy": UNIT_INTERVAL}

_TITLES = {
    "half_sse": "half squared error",
    "sse": "squared error",
    "mse": "mean squared error",
    "cross_entropy": "cross-entropy",
    "binary_cross_entropy": "binary cross-entropy",
}

_TERMS = {
    "half_sse": (sympy.Rational(1, 2) * (A - Y) ** 2, r"\frac{1}{2}\sum_{j} \left(a_j - y_j\right)^{2}"),
    "sse": ((A - Y) ** 2, r"\sum_{j} \left(a_j - y_j\right)^{2}"),
    "mse": ((A - Y) ** 2 / N, r"\frac{1}{n_L}\sum_{j} \left(a_j - y_j\right)^{2}"),
    "cross_entropy": (-Y * sympy.log(A), r"-\sum_{j} y_j \log a_j"),
    "binary_cross_entropy": (
        -(Y * sympy.log(A) + (1 - Y) * sympy.log(1 - A)),
        r"-\sum_{j} \left[y_j \log a_j + \left(1 - y_j\right)\log\left(1 - a_j\right)\right]",
    ),
}


@dataclass(frozen=True)
class Loss:
    """A per-sample loss L = Σⱼ ℓ(aⱼ, yⱼ); ``term`` is ℓ in the symbols A, Y (and n_L).

    ``kind`` is the built-in name or ``custom``; ``targets`` says what y may
    be: :data:`REAL`, :data:`UNIT_INTERVAL` or :data:`PROBABILITY` vectors.
    """

    name: str
    term: sympy.Expr
    latex_form: str
    source: str = field(default="", compare=False)
    kind: str = CUSTOM
    targets: str = REAL

    @property
    def term_derivative(self) -> sympy.Expr:
        """∂ℓ/∂A, computed by SymPy."""
        return sympy.diff(self.term, A)

    @property
    def is_custom(self) -> bool:
        return self.kind == CUSTOM

    @property
    def title(self) -> str:
        """The plain name a course uses: ``half squared error``; a custom loss's own name."""
        return _TITLES.get(self.kind, self.name)

    def per_unit(self, a: sympy.Expr, y: sympy.Expr, n_outputs: int) -> sympy.Expr:
        """ℓ(a, y) for one output unit."""
        return self.term.subs({A: a, Y: y, N: n_outputs})

    def derivative_per_unit(self, a: sympy.Expr, y: sympy.Expr, n_outputs: int) -> sympy.Expr:
        """∂L/∂aⱼ for one output unit."""
        return self.term_derivative.subs({A: a, Y: y, N: n_outputs})

    def total(self, a: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
        """L for one sample: the sum of the per-unit terms."""
        n = len(a)
        return sympy.Add(*[self.per_unit(a[j], y[j], n) for j in range(n)])


def custom_loss(text: str, name: str | None = None) -> Loss:
    """A loss from an expression in ``a`` and ``y``, summed over output units."""
    try:
        term = parse_scalar(text, {"a": A, "y": Y})
        derivative(term, A, text)  # its size bounded before any work with it
    except ExpressionError as exc:
        raise SpecError(f"custom loss: {exc}") from None
    if A not in term.free_symbols:
        raise SpecError(f"custom loss {shown(text)} does not depend on a, so it has no gradient")
    problem = None if name is None else label_problem(name, "the name of a custom loss")
    if problem:
        raise SpecError(problem)
    return Loss(name or text, term, r"\sum_{j} " + sympy.latex(term.subs({A: sympy.Symbol("a_j"), Y: sympy.Symbol("y_j")})), source=text)


def loss(spec: str | dict | Loss) -> Loss:
    """Look up a loss by name or build a custom one from an expression."""
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, dict) and "custom" in spec:
        return custom_loss(spec["custom"], spec.get("name"))
    if not isinstance(spec, str):
        raise SpecError(f"a loss must be a name or an expression in a and y, got {spec!r:.60}")
    text = spec.strip()
    if text in _TERMS:
        term, latex_form = _TERMS[text]
        return Loss(text, term, latex_form, kind=text, targets=_TARGETS.get(text, REAL))
    if set("()*+-/ ") & set(text) or len(text) > MAX_LENGTH:
        return custom_loss(text)
    close = difflib.get_close_matches(text, NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SpecError(
        f"unknown loss {shown(text)}{hint}; expected one of {', '.join(NAMES)} "
        "or an expression in a and y such as '(a - y)**4'"
    )
