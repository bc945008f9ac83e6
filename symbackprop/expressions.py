"""Safe parsing of expressions that a person types (custom activations, losses).

Text is parsed with Python's :mod:`ast` and walked against a whitelist: known
names, calls of whitelisted functions, numbers, ``+ - * / **`` and unary
minus.  Nothing is ever passed to ``eval``, ``sympify`` or ``parse_expr``.
Length and exponent sizes are capped so that a hostile input is refused at
once instead of hanging.

>>> import sympy
>>> x = sympy.Symbol("x")
>>> parse_scalar("x*sigmoid(x)", {"x": x})
x/(1 + exp(-x))
>>> parse_scalar("__import__('os')", {"x": x})
Traceback (most recent call last):
...
symbackprop.errors.ExpressionError: cannot read "__import__('os')": unknown function '__import__'; known functions are abs, cosh, erf, exp, log, log1p, max, min, sigmoid, sinh, softplus, sqrt, tanh
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import sympy

from .errors import ExpressionError

MAX_LENGTH = 2000
MAX_EXPONENT = 64
MAX_DEPTH = 60


def sigmoid(t):
    """The logistic function 1/(1 + e^(−t)) as a SymPy expression."""
    return 1 / (1 + sympy.exp(-t))


SCALAR_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": sympy.exp,
    "log": sympy.log,
    "log1p": lambda t: sympy.log(1 + t),
    "sqrt": sympy.sqrt,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "sigmoid": sigmoid,
    "softplus": lambda t: sympy.log(1 + sympy.exp(t)),
    "erf": sympy.erf,
    "abs": sympy.Abs,
    "max": sympy.Max,
    "min": sympy.Min,
}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def parse_scalar(
    text: str,
    names: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] = SCALAR_FUNCTIONS,
) -> sympy.Expr:
    """Parse ``text`` into a SymPy expression over ``names`` and ``functions``."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected a formula as text, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula has {len(text)} characters; at most {MAX_LENGTH} are accepted"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot read {text!r}: {exc.msg} at column {exc.offset}") from None
    walker = _Walker(text, names, functions)
    return sympy.sympify(walker.visit(tree.body, 0))


class _Walker:
    def __init__(self, text: str, names: Mapping[str, Any], functions: Mapping[str, Callable]):
        self.text, self.names, self.functions = text, names, functions

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"cannot read {self.text!r}: {why}")

    def visit(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"it nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"{node.value!r} is not a number")
            return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                known = ", ".join(sorted(self.names)) or "none"
                raise self.fail(f"unknown name {node.id!r}; known names are {known}")
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.visit(node.operand, depth + 1)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left = self.visit(node.left, depth + 1)
            right = self.visit(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                self.check_exponent(right)
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise self.fail("only plain function names may be called")
            name = node.func.id
            if name not in self.functions:
                known = ", ".join(sorted(self.functions))
                raise self.fail(f"unknown function {name!r}; known functions are {known}")
            if node.keywords:
                raise self.fail(f"{name}() takes no keyword arguments")
            args = [self.visit(arg, depth + 1) for arg in node.args]
            try:
                return self.functions[name](*args)
            except TypeError:
                raise self.fail(f"{name}() was given {len(args)} arguments") from None
        raise self.fail(f"{type(node).__name__} is not allowed in a formula")

    def check_exponent(self, exponent: Any) -> None:
        if isinstance(exponent, sympy.Number) and abs(exponent) > MAX_EXPONENT:
            raise self.fail(f"the exponent {exponent} is larger than {MAX_EXPONENT}")
