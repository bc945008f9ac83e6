"""Safe parsing of expressions that a person types (custom activations, losses).

Text is parsed with Python's :mod:`ast` and walked against a whitelist: known
names, calls of whitelisted functions, numbers, ``+ - * / **`` and unary
minus.  Nothing is ever passed to ``eval``, ``sympify`` or ``parse_expr``.

A hostile input is refused at once instead of hanging: the text is checked
for length and characters before it is parsed, number literals and every
constant built from them stay within 1e-30 to 1e30 in magnitude (so
``9**64**64`` is refused before SymPy computes it), exponents within ±64, and
nesting within 60 levels, and its derivative within 100 operations (each
nested function multiplies them, and SymPy's printing and compiling with
them).  An expression that SymPy reduces to an infinity,
an undefined value (``x/0``, ``log(0)``) or a complex constant (``sqrt(-1)``)
is refused too: it has no real derivative to show.

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
import re
import string
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import sympy

from .errors import ExpressionError

MAX_LENGTH = 2000
MAX_EXPONENT = 64
MAX_DEPTH = 60
MAX_DERIVATIVE_OPERATIONS = 100
MAX_MAGNITUDE = Decimal("1e30")
MIN_MAGNITUDE = Decimal("1e-30")
# A comment (#) or a line continuation (\\) is the only text the parser would
# skip rather than refuse; refused up front (with non-ASCII and control
# characters) so that nothing but the grammar reaches printed documents.
ALLOWED_CHARACTERS = frozenset(string.printable) - frozenset("#\\\t\n\r\x0b\x0c")


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
    tree = parse_tree(text)
    walker = _Walker(text, names, functions)
    expr = sympy.sympify(walker.visit(tree.body, 0))
    walker.check_result(expr)
    return expr


def derivative(expr: sympy.Expr, variable: sympy.Symbol, text: str) -> sympy.Expr:
    """∂expr/∂variable, refused when it is too large to print and compile in bounded time.

    >>> t = sympy.Symbol("t")
    >>> derivative(parse_scalar("sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(t)))))", {"t": t}), t, "…")
    Traceback (most recent call last):
    ...
    symbackprop.errors.ExpressionError: cannot read '…': its derivative has 115 operations, more than the 100 accepted; nest fewer functions
    """
    try:
        result = sympy.diff(expr, variable)
        operations = sympy.count_ops(result)
    except RecursionError:  # deeper than SymPy can differentiate: far beyond the bound
        raise ExpressionError(f"cannot read {shown(text)}: its derivative nests too deeply; nest fewer functions") from None
    if operations > MAX_DERIVATIVE_OPERATIONS:
        raise ExpressionError(
            f"cannot read {shown(text)}: its derivative has {operations} operations, more than the "
            f"{MAX_DERIVATIVE_OPERATIONS} accepted; nest fewer functions"
        )
    return result


def shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message, shortened when it is long.

    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100 characters)"
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}"[:-1] + f"…' ({len(text)} characters)"


def check_text(text: Any) -> str:
    """``text`` when it is short enough and uses only the grammar's characters.

    >>> check_text("x # note")
    Traceback (most recent call last):
    ...
    symbackprop.errors.ExpressionError: cannot read 'x # note': '#' at column 3 is not part of a formula; use ASCII names, numbers, + - * / ** and ( )
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected a formula as text, got {type(text).__name__} {text!r:.60}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula {shown(text)} is longer than the {MAX_LENGTH} characters accepted"
        )
    if not text.strip():
        raise ExpressionError("the formula is empty")
    for column, char in enumerate(text, start=1):
        if char not in ALLOWED_CHARACTERS:
            raise ExpressionError(
                f"cannot read {shown(text)}: {char!r} at column {column} is not part of a formula; "
                "use ASCII names, numbers, + - * / ** and ( )"
            )
    return text


MAX_LABEL = 80
_LABEL = re.compile(r"[\w .,:;()+\-*/'=]*")


def label_problem(value: Any, what: str) -> str | None:
    """Why ``value`` cannot name something (a network, a custom activation), or None.

    Names reach printed documents, so they are plain words: letters, digits,
    spaces and a little punctuation, at most 80 characters.

    >>> label_problem("Swish (β = 1)", "the name") is None
    True
    >>> label_problem("<b>x</b>", "the name")
    "the name '<b>x</b>' has '<', which a name may not hold; use letters, digits, spaces and . , : ; ( ) + - * / ' ="
    """
    if not isinstance(value, str):
        return f"{what} must be text, got {type(value).__name__} {value!r:.60}"
    if len(value) > MAX_LABEL:
        return f"{what} {shown(value)} is longer than {MAX_LABEL} characters"
    match = _LABEL.match(value)
    if match.end() < len(value):  # type: ignore[union-attr]
        bad = value[match.end()]  # type: ignore[union-attr]
        return (
            f"{what} {shown(value)} has {bad!r}, which a name may not hold; "
            "use letters, digits, spaces and . , : ; ( ) + - * / ' ="
        )
    return None


def parse_tree(text: Any) -> ast.Expression:
    """The Python syntax tree of a checked formula (:func:`check_text`), never executed."""
    source = check_text(text).strip()
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot read {shown(text)}: {exc.msg} at column {exc.offset}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"cannot read {shown(text)}: it nests too deeply") from None


_HUGE_EXPONENT = re.compile(r"[0-9.]+[eE][+-]?[0-9]+")


def literal_problem(literal: str) -> str | None:
    """Why a number literal is refused (too large, too small), or None when it is fine.

    Read as a decimal, so ``1e999999999`` costs nothing to judge.

    >>> literal_problem("2.5e-3") is None, literal_problem("1e999999999")
    (True, 'the number 1e999999999 is outside the accepted range 1e-30 to 1e30')
    """
    digits = literal.replace("_", "")
    try:
        value = Decimal(digits).copy_abs()  # no rounding, so no overflow
    except InvalidOperation:
        if _HUGE_EXPONENT.fullmatch(digits):  # beyond even Decimal's exponents
            return f"the number {literal} is outside the accepted range 1e-30 to 1e30"
        return None  # not a decimal literal (0x1F): the caller reads it
    if not value.is_finite() or (value != 0 and not MIN_MAGNITUDE <= value <= MAX_MAGNITUDE):
        return f"the number {literal} is outside the accepted range 1e-30 to 1e30"
    return None


_LARGEST = sympy.Integer(10**30)
_SMALLEST = sympy.Rational(1, 10**30)


def _constant_in_range(value: sympy.Number) -> bool:
    """True for 0 and for magnitudes within 1e-30 to 1e30 (exact comparisons, no overflow)."""
    if value == 0:
        return True
    if isinstance(value, sympy.Float):  # compared as floats, so the literal 1e30 is in range
        return 1e-30 <= float(abs(value)) <= 1e30
    magnitude = abs(value)
    return bool(_SMALLEST <= magnitude <= _LARGEST)


def _number_text(value: sympy.Number) -> str:
    return str(sympy.Float(value, 3)) if isinstance(value, sympy.Float) else str(value)


class _Walker:
    def __init__(self, text: str, names: Mapping[str, Any], functions: Mapping[str, Callable]):
        self.text, self.names, self.functions = text, names, functions
        self.source = text.strip()  # what parse_tree parsed: node positions refer to it

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"cannot read {shown(self.text)}: {why}")

    def visit(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"it nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"{node.value!r} is not a number")
            literal = ast.get_source_segment(self.source, node) or repr(node.value)
            problem = literal_problem(literal)
            if problem:
                raise self.fail(problem)
            return self.bounded(
                sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value),
                literal,
            )
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
            result = _BINARY[type(node.op)](left, right)
            where = ast.get_source_segment(self.source, node) or ""
            if isinstance(node.op, ast.Pow):
                return self.bounded_power(result, where)
            return self.bounded(result, where)
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
                result = self.functions[name](*args)
            except TypeError:
                raise self.fail(f"{name}() was given {len(args)} arguments") from None
            return self.bounded_power(result, ast.get_source_segment(self.source, node) or "")
        raise self.fail(f"{type(node).__name__} is not allowed in a formula")

    def check_exponent(self, exponent: Any) -> None:
        if isinstance(exponent, sympy.Number) and abs(exponent) > MAX_EXPONENT:
            raise self.fail(f"the exponent {exponent} is larger than {MAX_EXPONENT}")

    def bounded(self, value: Any, where: str) -> Any:
        """``value``, after checking that a constant stays within 1e-30 to 1e30 in magnitude.

        Every constant is built from bounded ones by one operation, so this
        check runs before any constant can grow large enough to be slow.
        """
        if isinstance(value, sympy.Number) and value.is_finite and not _constant_in_range(value):
            raise self.fail(
                f"the constant {where or _number_text(value)} is outside the accepted range "
                "1e-30 to 1e30"
            )
        return value

    def bounded_power(self, value: Any, where: str) -> Any:
        """Like :meth:`bounded`, for results where SymPy may have multiplied exponents.

        ``(x*9)**64`` expands to ``9**64 * x**64`` and ``exp(99*log(x))`` becomes
        ``x**99``: every constant and exponent inside is checked, so a tower of
        powers is refused at its first storey.
        """
        if isinstance(value, sympy.Basic) and not isinstance(value, sympy.Number):
            for atom in value.atoms(sympy.Number):
                if atom.is_finite and not _constant_in_range(atom):
                    raise self.fail(
                        f"{where} holds the constant {_number_text(atom)}, outside the accepted "
                        "range 1e-30 to 1e30"
                    )
            for power in value.atoms(sympy.Pow):
                self.check_exponent(power.exp)
        return self.bounded(value, where)

    def check_result(self, expr: sympy.Expr) -> None:
        """Refuse infinities, undefined values (x/0, log(0)) and complex constants."""
        if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.fail("it contains an infinite or undefined value (a division by 0 or log(0))")
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, sympy.Expr) and node.is_number and node.is_extended_real is False:
                raise self.fail(f"{node} is not a real number")
            if isinstance(node, sympy.Number) and not _constant_in_range(node):
                raise self.fail(
                    f"the constant {_number_text(node)} is outside the accepted range 1e-30 to 1e30"
                )
