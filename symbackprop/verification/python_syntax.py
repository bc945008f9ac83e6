"""The Python-like syntax: ``delta2 @ a1.T``, ``(W2.T @ delta2) * a1*(1 - a1)``.

The text is parsed by :mod:`ast` and walked against a whitelist: known names,
calls of whitelisted functions by plain name, numbers, ``+ - * / ** @``,
unary minus and ``.T``.  Anything else (other attributes, subscripts,
lambdas, comprehensions, strings, keywords) is refused.  Nothing is ever
evaluated: the result is a :mod:`~symbackprop.verification.nodes` tree.

>>> from symbackprop.verification.nodes import show
>>> show(parse_python("delta2 @ a1.T", {"delta2", "a1"}.__contains__))
'delta2 @ a1.T'
>>> parse_python("().__class__", lambda name: True)
Traceback (most recent call last):
...
symbackprop.errors.ExpressionError: cannot read '().__class__': the attribute .__class__ is not allowed; only .T (transpose) is
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..errors import ExpressionError
from .functions import FUNCTIONS, known_functions
from .nodes import BinOp, Call, Name, Neg, Node, Transpose, check_size, number, power, quoted

MAX_LENGTH = 2000
MAX_DEPTH = 100

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@"}


def parse_python(text: str, resolve: Callable[[str], str | None | bool], known: str = "") -> Node:
    """Parse ``text``; ``resolve(name)`` gives the canonical name or a false value.

    ``known`` lists the accepted names for the error message.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected a formula as text, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula has {len(text)} characters; at most {MAX_LENGTH} are accepted"
        )
    if not text.strip():
        raise ExpressionError("the formula is empty")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot read {quoted(text)}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"cannot read {quoted(text)}: it nests too deeply") from None
    walker = _Walker(text, source, resolve, known)
    return check_size(walker.visit(tree.body, 0), text)


class _Walker:
    def __init__(self, text: str, source: str, resolve: Callable, known: str):
        self.text, self.source, self.resolve, self.known = text, source, resolve, known

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"cannot read {quoted(self.text)}: {why}")

    def visit(self, node: ast.AST, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(f"it nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"{node.value!r} is not a number")
            literal = ast.get_source_segment(self.source, node) or repr(node.value)
            return number(literal.replace("_", ""), self.text)
        if isinstance(node, ast.Name):
            canonical = self.resolve(node.id)
            if not canonical:
                hint = f"; known names are {self.known}" if self.known else ""
                raise self.fail(f"unknown name {node.id!r}{hint}")
            return Name(canonical if isinstance(canonical, str) else node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.visit(node.operand, depth + 1)
            return Neg(inner) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return power(
                self.visit(node.left, depth + 1), self.visit(node.right, depth + 1), self.text
            )
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left = self.visit(node.left, depth + 1)
            return BinOp(_OPS[type(node.op)], left, self.visit(node.right, depth + 1))
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                raise self.fail(f"the attribute .{node.attr} is not allowed; only .T (transpose) is")
            return Transpose(self.visit(node.value, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(f"{_describe(node)} is not allowed in a formula")

    def call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only plain function names may be called")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(f"unknown function {name!r}; known functions are {known_functions()}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{name}() takes exactly one plain argument")
        if len(node.args) != 1:
            raise self.fail(f"{name}() takes exactly one argument, got {len(node.args)}")
        return Call(name, (self.visit(node.args[0], depth + 1),))


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Subscript: "indexing with [...]",
        ast.Lambda: "lambda",
        ast.Compare: "a comparison",
        ast.BoolOp: "and/or",
        ast.IfExp: "if/else",
    }
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    return type(node).__name__
