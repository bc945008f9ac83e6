"""Activation registry: each entry holds its forward rule and its derivative.

The derivative is computed by SymPy once, on a generic symbol ``t``; the
derivation engine substitutes each unit's z into it.  Where the derivative is
a function of the activation's own output (σ' = σ(1 − σ), tanh' = 1 − tanh²),
``derivative_of_output`` states it in the generic output symbol ``s``: that is
the form textbooks write and the cheaper one to compute.  ReLU's derivative
at 0 is taken as 0.

>>> sigmoid = activation("sigmoid")
>>> sigmoid.derivative
exp(-t)/(1 + exp(-t))**2
>>> sigmoid.derivative_of_output
s*(1 - s)
>>> activation("leaky_relu(0.2)").slope
0.2
>>> activation("x*sigmoid(x)").name
'x*sigmoid(x)'
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field
from functools import cache

import sympy

from .errors import ExpressionError, SpecError
from .expressions import (
    MAX_LENGTH,
    derivative,
    label_problem,
    parse_scalar,
    parse_tree,
    shown,
    sigmoid,
)

T = sympy.Symbol("t", real=True)  # generic pre-activation
S = sympy.Symbol("s", real=True)  # generic activation output

NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity", "softmax")
CUSTOM = "custom"  # the kind of an activation given as an expression
KINDS = (*NAMES, CUSTOM)
KINKED = ("relu", "leaky_relu")
_TITLES = {"relu": "ReLU", "identity": "identity (linear)"}  # other built-ins are called by their name  # kinds whose derivative jumps at 0
DEFAULT_LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """One activation function and everything the engine and printers need.

    ``expr`` is the forward rule in ``T``; ``derivative`` its derivative in
    ``T``; ``derivative_of_output`` the same derivative in ``S`` = σ(t) when it
    exists.  ``latex_symbol`` is how σ is written (``\\sigma``, ``\\tanh``…);
    ``identity`` is the identity a person would show, in LaTeX.  ``kind`` is
    one of :data:`KINDS`: the built-in name (``leaky_relu`` for every slope),
    or ``custom``.
    """

    name: str
    expr: sympy.Expr
    derivative: sympy.Expr
    latex_symbol: str
    text_symbol: str
    derivative_of_output: sympy.Expr | None = None
    identity: str = ""
    kind: str = CUSTOM
    slope: float | None = None
    source: str = field(default="", compare=False)

    @property
    def elementwise(self) -> bool:
        """False for softmax, whose every output depends on every input."""
        return self.kind != "softmax"

    @property
    def is_custom(self) -> bool:
        return self.kind == CUSTOM

    @property
    def title(self) -> str:
        """The plain name a course uses: ``ReLU``, ``leaky ReLU (slope 0.1)``; a custom one's own name."""
        if self.kind == "leaky_relu":
            return f"leaky ReLU (slope {self.slope:g})"
        return _TITLES.get(self.kind, self.name)

    @property
    def has_kink(self) -> bool:
        """True for piecewise-linear activations (finite differences can straddle 0)."""
        return self.kind in KINKED

    def __call__(self, t: sympy.Expr) -> sympy.Expr:
        """Apply the forward rule to a SymPy expression (elementwise activations)."""
        return self.expr.subs(T, t)

    def derivative_at(self, z: sympy.Expr, a: sympy.Expr | None = None) -> sympy.Expr:
        """σ'(z), in terms of the output ``a`` when that form exists and ``a`` is given."""
        if a is not None and self.derivative_of_output is not None:
            return self.derivative_of_output.subs(S, a)
        return self.derivative.subs(T, z)


def _relu_derivative(t: sympy.Expr) -> sympy.Expr:
    # Heaviside(t, 0) is 0 at t = 0: the convention relu'(0) = 0.
    return sympy.Heaviside(t, 0)


@cache  # Activations are frozen, so one object per name serves every layer
def _builtin(name: str, slope: float | None = None) -> Activation:
    if name == "sigmoid":
        expr = sigmoid(T)
        return Activation(
            name, expr, sympy.diff(expr, T), r"\sigma", "σ", S * (1 - S),
            r"\sigma'(t) = \frac{e^{-t}}{\left(1 + e^{-t}\right)^{2}} = \sigma(t)\left(1 - \sigma(t)\right)",
            kind=name,
        )
    if name == "tanh":
        expr = sympy.tanh(T)
        return Activation(
            name, expr, sympy.diff(expr, T), r"\tanh", "tanh", 1 - S**2,
            r"\tanh'(t) = 1 - \tanh^{2}(t)",
            kind=name,
        )
    if name == "relu":
        return Activation(
            name, sympy.Max(0, T), _relu_derivative(T), r"\operatorname{ReLU}", "ReLU",
            sympy.Heaviside(S, 0),
            r"\operatorname{ReLU}'(t) = \begin{cases} 1 & t > 0 \\ 0 & t \le 0 \end{cases}"
            r"\quad\text{(the derivative at } t = 0 \text{ is taken as } 0\text{)}",
            kind=name,
        )
    if name == "leaky_relu":
        alpha = sympy.Float(slope) if slope is not None else sympy.Float(DEFAULT_LEAKY_SLOPE)
        expr = sympy.Piecewise((T, T > 0), (alpha * T, True))
        deriv = sympy.Piecewise((1, T > 0), (alpha, True))
        return Activation(
            f"leaky_relu({float(alpha):g})" if slope is not None else "leaky_relu",
            expr, deriv, r"\operatorname{LReLU}", "LReLU", None,
            r"\operatorname{LReLU}'(t) = \begin{cases} 1 & t > 0 \\ "
            + sympy.latex(alpha) + r" & t \le 0 \end{cases}",
            kind=name,
            slope=float(alpha),
        )
    if name == "softplus":
        expr = sympy.log(1 + sympy.exp(T))
        return Activation(
            name, expr, sympy.diff(expr, T), r"\operatorname{softplus}", "softplus", None,
            r"\operatorname{softplus}'(t) = \frac{e^{t}}{1 + e^{t}} = \sigma(t)",
            kind=name,
        )
    if name == "identity":
        return Activation(
            name, T, sympy.Integer(1), "", "", sympy.Integer(1), r"\frac{d}{dt}\,t = 1", kind=name
        )
    if name == "softmax":
        # Vector-valued: the engine uses the Jacobian a_i (δ_ij − a_j); expr is unused.
        return Activation(
            name, T, sympy.Integer(1), r"\operatorname{softmax}", "softmax", None,
            r"\frac{\partial a_i}{\partial z_j} = a_i\left(\delta_{ij} - a_j\right)",
            kind=name,
        )
    raise AssertionError(name)


_LEAKY = re.compile(r"^leaky_relu\(\s*([0-9.eE+-]+)\s*\)$")
_EXPRESSION_CHARS = set("()*+-/ ")


def _variables(text: str) -> list[str]:
    """Names used as values (not called) in ``text``; an ExpressionError when it does not parse.

    Read from the syntax tree, so ``1e-3`` is a number and ``x.attr`` names
    only ``x`` (the parser then refuses the attribute).
    """
    tree = parse_tree(text)  # checks length and characters before parsing
    called = {
        id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)
    }
    names = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in called
    }
    return sorted(names)


def custom_activation(text: str, name: str | None = None) -> Activation:
    """An activation from a SymPy expression in one symbol, e.g. ``x*sigmoid(x)``."""
    variables = _variables(text)
    if len(variables) != 1:
        raise ExpressionError(
            f"a custom activation must use exactly one variable, {shown(text)} uses "
            f"{', '.join(variables) or 'none'}"
        )
    expr = parse_scalar(text, {variables[0]: T})
    problem = None if name is None else label_problem(name, "the name of a custom activation")
    if problem:
        raise ExpressionError(problem)
    slope = derivative(expr, T, text)
    return Activation(name or text, expr, slope, r"f", "f", None, "f'(t) = " + sympy.latex(slope), source=text)


def _slope(raw) -> float:
    """A leaky ReLU slope: a finite number (bools and text that is not a number refused)."""
    try:
        if isinstance(raw, bool):
            raise ValueError
        slope = float(raw)
    except (TypeError, ValueError):
        raise SpecError(f"leaky_relu slope must be a number such as 0.01, got {raw!r}") from None
    if slope != slope or slope in (float("inf"), float("-inf")):
        raise SpecError(f"leaky_relu slope must be a finite number, got {raw!r}")
    return slope


def activation(spec: str | dict | Activation) -> Activation:
    """Look up an activation by name, ``leaky_relu(slope)``, dict or expression.

    Raises SpecError with a suggestion for an unknown name.
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, dict):
        if "custom" in spec:
            return _custom(spec["custom"], spec.get("name"))
        name = spec.get("name")
        if name == "leaky_relu":
            return _builtin("leaky_relu", _slope(spec.get("slope", DEFAULT_LEAKY_SLOPE)))
        if name in NAMES:
            return _builtin(name)
        raise SpecError(f"unknown activation {spec!r:.60}; expected one of {', '.join(NAMES)}")
    if not isinstance(spec, str):
        raise SpecError(f"an activation must be a name or an expression, got {spec!r:.60}")
    text = spec.strip()
    if text in NAMES:
        return _builtin(text)
    m = _LEAKY.match(text)
    if m or text.startswith("leaky_relu("):
        inside = m.group(1) if m else text[len("leaky_relu(") :].rstrip(")").strip()
        return _builtin("leaky_relu", _slope(inside))
    if _EXPRESSION_CHARS & set(text) or len(text) > MAX_LENGTH:
        return _custom(text)
    close = difflib.get_close_matches(text, NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SpecError(
        f"unknown activation {shown(text)}{hint}; expected one of {', '.join(NAMES)}, "
        "leaky_relu(slope) or an expression in one variable such as 'x*sigmoid(x)'"
    )


def _custom(text: object, name: object = None) -> Activation:
    try:
        return custom_activation(text, name)  # type: ignore[arg-type]
    except ExpressionError as exc:
        raise SpecError(f"custom activation: {exc}") from None
