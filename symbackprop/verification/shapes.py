"""Shape checking: every sum and product of a formula, with the likely fix.

Shapes are ``()`` for a number and ``(rows, cols)`` for a matrix; every
vector is a column.  A (1, 1) matrix acts as a number.  The checker also
decides what the ambiguous products mean: LaTeX juxtaposition and ``\\cdot``
are a matrix product, a scaling by a number, or (for two columns of the same
size, as in ``a(1 - a)``) the elementwise product.  It returns a tree in which
every product is explicit: ``@`` or elementwise ``*``.

>>> from symbackprop.verification.nodes import BinOp, Name
>>> check(BinOp("*", Name("d"), Name("a")), {"d": (2, 1), "a": (1, 3)})
Traceback (most recent call last):
...
symbackprop.errors.ShapeError: d * a multiplies a (2, 1) by a (1, 3) elementwise: did you mean @?
"""

from __future__ import annotations

from ..errors import ShapeError
from .functions import FUNCTIONS
from .nodes import BinOp, Call, Name, Neg, Node, Num, Transpose, show

Shape = tuple[int, ...]

_WORDS = {
    "python": {"T": ".T", "@": "@", "*": "*"},
    "latex": {"T": "^T", "@": "juxtaposition (the matrix product)", "*": r"\odot"},
}


def is_number(shape: Shape) -> bool:
    return shape == () or shape == (1, 1)


def describe(shape: Shape) -> str:
    return "number" if shape == () else str(shape)


def check(tree: Node, shapes: dict[str, Shape], syntax: str = "python") -> tuple[Node, Shape]:
    """Return the tree with explicit products and its shape, or raise ShapeError."""
    return _Checker(shapes, _WORDS[syntax]).visit(tree)


class _Checker:
    def __init__(self, shapes: dict[str, Shape], words: dict[str, str]):
        self.shapes, self.words = shapes, words

    def visit(self, node: Node) -> tuple[Node, Shape]:
        # Recursive: the parsers cap a tree's depth at 200, well inside Python's limit.
        if isinstance(node, Num):
            return node, ()
        if isinstance(node, Name):
            return node, self.shapes[node.id]
        if isinstance(node, Neg):
            inner, shape = self.visit(node.operand)
            return Neg(inner), shape
        if isinstance(node, Transpose):
            inner, shape = self.visit(node.operand)
            return Transpose(inner), (shape[::-1] if shape else ())
        if isinstance(node, Call):
            return self.call(node)
        return self.binary(node)

    def call(self, node: Call) -> tuple[Node, Shape]:
        visited = [self.visit(a) for a in node.args]
        args = tuple(arg for arg, _ in visited)
        shape = visited[0][1]
        kind = FUNCTIONS[node.func].kind if node.func in FUNCTIONS else "elementwise"
        if kind == "sum":
            return Call(node.func, args), ()
        if kind == "softmax" and (len(shape) != 2 or shape[1] != 1):
            raise ShapeError(
                f"softmax takes a column, but {show(node.args[0])} is a {describe(shape)}"
            )
        return Call(node.func, args), shape

    def binary(self, node: BinOp) -> tuple[Node, Shape]:
        left, a = self.visit(node.left)
        right, b = self.visit(node.right)
        op = node.op
        text = f"{_short(node.left, 3)} {self.op_text(op)} {_short(node.right, 3)}"
        if op == "**":
            return BinOp("**", left, right), a
        if op in ("+", "-"):
            if a == b or is_number(a) or is_number(b):
                return BinOp(op, left, right), _broadcast(a, b)
            hint = f": missing {self.words['T']}?" if a == b[::-1] else ""
            verb = "add" if op == "+" else "subtract"
            raise ShapeError(f"{text} cannot {verb} a {describe(a)} and a {describe(b)}{hint}")
        if op == "/":
            if a == b or is_number(b) or is_number(a):
                return BinOp("/", left, right), _broadcast(a, b)
            raise ShapeError(f"{text} divides a {describe(a)} by a {describe(b)}; divide by a number or by a matrix of the same shape")
        if op == "@":
            return self.matmul(left, right, a, b, text), (a[0], b[1]) if a and b else ()
        if op in ("*", "odot"):
            if a == b or is_number(a) or is_number(b):
                return BinOp("*", left, right), _broadcast(a, b)
            raise ShapeError(
                f"{text} multiplies a {describe(a)} by a {describe(b)} elementwise: "
                + self.elementwise_hint(a, b)
            )
        # "product": juxtaposition or \cdot in LaTeX.
        if is_number(a) or is_number(b):
            return BinOp("*", left, right), _broadcast(a, b)
        if a[1] == b[0]:
            return BinOp("@", left, right), (a[0], b[1])
        if a == b and a[1] == 1:
            return BinOp("*", left, right), a
        raise ShapeError(
            f"{text} multiplies a {describe(a)} by a {describe(b)}: the inner sizes "
            f"{a[1]} and {b[0]} differ; " + self.matmul_hint(a, b)
        )

    def matmul(self, left: Node, right: Node, a: Shape, b: Shape, text: str) -> Node:
        if not a or not b:
            raise ShapeError(f"{text} uses {self.words['@']} with a number; use * to scale")
        if a[1] != b[0]:
            raise ShapeError(
                f"{text} multiplies a {describe(a)} by a {describe(b)}: the inner sizes "
                f"{a[1]} and {b[0]} differ; " + self.matmul_hint(a, b)
            )
        return BinOp("@", left, right)

    def elementwise_hint(self, a: Shape, b: Shape) -> str:
        if a[1] == b[0]:
            return f"did you mean {self.words['@']}?"
        if a == b[::-1]:
            return f"missing {self.words['T']}?"
        return "the two sides must have the same shape"

    def matmul_hint(self, a: Shape, b: Shape) -> str:
        fixes = []
        if a == b:
            fixes.append(f"did you mean {self.words['*']} (elementwise)")
        if a[0] == b[0] or a[1] == b[1] or a[0] == b[1]:
            fixes.append(f"missing {self.words['T']}")
        return (" or ".join(fixes) + "?") if fixes else "check the order of the factors"

    def op_text(self, op: str) -> str:
        return {"product": "·", "odot": "⊙"}.get(op, op)


def _broadcast(a: Shape, b: Shape) -> Shape:
    if a == b:
        return a
    if a == ():
        return b
    if b == ():
        return a
    return b if a == (1, 1) else a


def _short(node: Node, parent: int = 0) -> str:
    text = show(node, parent)
    return text if len(text) <= 40 else text[:37] + "…"
