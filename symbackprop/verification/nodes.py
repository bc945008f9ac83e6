"""The formula tree that both parsers produce and every later stage reads.

A parser turns text into these frozen nodes and nothing else; the shape
checker, the evaluator and the diagnosis walk them.  Keeping one small tree
between the syntaxes means the Python-like and the LaTeX notation are judged
by exactly the same code.

``Product`` is the ambiguous product of LaTeX juxtaposition and ``\\cdot``:
the shape checker decides whether it is a matrix product or a scaling.

>>> tree = BinOp("@", Name("delta2"), Transpose(Name("a1")))
>>> show(tree)
'delta2 @ a1.T'
>>> show(Call("sigmoid", (BinOp("-", Num(0), Name("z1")),)))
'sigmoid(0 - z1)'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import ExpressionError
from ..expressions import literal_problem

# Operators a tree may hold: + - elementwise * and /, matrix @, the ambiguous
# product of juxtaposition, the elementwise (Hadamard) product and power.
OPERATORS = ("+", "-", "*", "/", "@", "product", "odot", "**")

MAX_EXPONENT = 64
MAX_NODES = 4000
MAX_TREE_DEPTH = 200


@dataclass(frozen=True)
class Num:
    """A number, held exactly as a fraction so 0.1 means one tenth."""

    value: Fraction


@dataclass(frozen=True)
class Name:
    """A known name such as ``W2``, ``delta1`` or the scalar ``w2_12``."""

    id: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    """A whitelisted function applied to its arguments."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Transpose:
    operand: Node


@dataclass(frozen=True)
class Compare:
    """A mask: 1 where ``left op right`` holds, entry by entry, 0 elsewhere."""

    op: str  # one of COMPARISONS
    left: Node
    right: Node


@dataclass(frozen=True)
class Offset:
    """An index written as a sum, 1-based as written: ``i+u-1`` is Offset((("i", 1), ("u", 1)), -1).

    >>> Offset((("i", 1), ("u", 1)), -1).position({"i": 0, "u": 1}), str(Offset((("i", 1), ("u", 1)), -1))
    (1, 'i+u-1')
    """

    terms: tuple[tuple[str, int], ...]
    constant: int = 0

    def position(self, bound: dict[str, int]) -> int:
        """The 0-based position, given the 0-based values of the letters."""
        return sum(c * (bound[letter] + 1) for letter, c in self.terms) + self.constant - 1

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(letter for letter, _ in self.terms)

    def __str__(self) -> str:
        text = ""
        for letter, c in self.terms:
            sign = "-" if c < 0 else "+"
            size = "" if abs(c) == 1 else str(abs(c))
            text += f"{sign}{size}{letter}"
        if self.constant:
            text += f"{'-' if self.constant < 0 else '+'}{abs(self.constant)}"
        return text.lstrip("+")


Index = str | int | Offset


@dataclass(frozen=True)
class Entry:
    """One entry of a matrix named by index letters: ``w^2_{jk}`` is Entry("W2", ("j", "k")).

    An index is a letter, a number (0-based) where the formula fixes it, or an
    :class:`Offset` such as ``i+u-1`` (the input under a kernel); an offset that
    falls outside the matrix reads 0, as the padding of a convolution does.
    """

    name: str
    indices: tuple[Index, ...]
    axis: int = 0  # with one index on a matrix: 0 picks a row (step t), 1 a column (sample i of a batch)

    def positions(self, bound: dict[str, int]) -> list[int]:
        """The 0-based row (and column) at these values of the letters."""
        out = []
        for index in self.indices:
            if isinstance(index, str):
                out.append(bound[index])
            elif isinstance(index, Offset):
                out.append(index.position(bound))
            else:
                out.append(index)
        return out


@dataclass(frozen=True)
class Sum:
    """``\\sum_j body``; ``upper`` is a numeric upper limit as written, ``size`` the range
    the shape checker found for the index; ``lower`` the first value (1-based), as in
    ``\\sum_{t=2}^{T}``."""

    index: str
    body: Node
    upper: int | None = None
    size: int | None = None
    lower: int = 1


@dataclass(frozen=True)
class Table:
    """A matrix whose entry (j, k) is ``body`` with the free indices bound: index notation."""

    body: Node
    indices: tuple[str, ...]
    sizes: tuple[int, ...] = ()


Node = Num | Name | Neg | BinOp | Call | Transpose | Compare | Entry | Sum | Table

COMPARISONS = (">", "<", ">=", "<=")


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Neg | Transpose):
        return (node.operand,)
    if isinstance(node, BinOp | Compare):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Sum | Table):
        return (node.body,)
    return ()


def count_nodes(node: Node) -> int:
    """Number of nodes, walked without recursion so a deep tree cannot overflow."""
    total, stack = 0, [node]
    while stack:
        total += 1
        stack.extend(children(stack.pop()))
    return total


def names(node: Node) -> set[str]:
    out, stack = set(), [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Name | Entry):
            out.add(item.id if isinstance(item, Name) else item.name)
        stack.extend(children(item))
    return out


def free_indices(node: Node) -> tuple[str, ...]:
    """Index letters used and not bound by a sum, in order of first use.

    >>> free_indices(Sum("k", BinOp("*", Entry("W2", ("k", "j")), Entry("delta2", ("k",)))))
    ('j',)
    """
    found: list[str] = []

    def walk(item: Node, bound: frozenset[str]) -> None:
        if isinstance(item, Entry):
            for index in item.indices:
                letters = index.letters if isinstance(index, Offset) else (index,) if isinstance(index, str) else ()
                found.extend(letter for letter in letters if letter not in bound)
        if isinstance(item, Sum):
            bound = bound | {item.index}
        if isinstance(item, Table):
            bound = bound | set(item.indices)
        for child in children(item):
            walk(child, bound)

    walk(node, frozenset())
    return tuple(dict.fromkeys(found))


def constant_value(node: Node) -> Fraction | None:
    """The exact value of a tree of numbers joined by + - * / (no powers), else None.

    Exponents must be such constants: that is what keeps ``9**9**9**9``
    from ever being computed.
    """
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        inner = constant_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", "product"):
        left, right = constant_value(node.left), constant_value(node.right)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "/":
            return None if right == 0 else left / right
        return left * right
    return None


def quoted(text: str) -> str:
    """The formula as quoted in a message, shortened when it is long."""
    return repr(text) if len(text) <= 80 else repr(text[:60]) + "…"


def power(base: Node, exponent: Node, text: str) -> BinOp:
    """``base ** exponent`` after checking that the exponent is a small constant."""
    value = constant_value(exponent)
    if value is None:
        raise ExpressionError(
            f"cannot read {quoted(text)}: an exponent must be a plain number such as 2 or -1; "
            "write exp(...) for e to a power"
        )
    if abs(value) > MAX_EXPONENT:
        raise ExpressionError(
            f"cannot read {quoted(text)}: the exponent {float(value):g} is larger than {MAX_EXPONENT}"
        )
    return BinOp("**", base, Num(value))


def depth(node: Node) -> int:
    """Depth of the tree, walked without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(item))
    return deepest


def check_size(node: Node, text: str) -> Node:
    """Refuse trees too large or too deep for the recursive stages that follow."""
    if count_nodes(node) > MAX_NODES:
        raise ExpressionError(f"cannot read {quoted(text)}: it has more than {MAX_NODES} parts")
    if depth(node) > MAX_TREE_DEPTH:
        raise ExpressionError(
            f"cannot read {quoted(text)}: it nests deeper than {MAX_TREE_DEPTH} levels "
            "(a sum or product of that many terms counts as nesting)"
        )
    return node


def number(text: str, source: str) -> Num:
    """A decimal literal read exactly; refuses infinities and absurd magnitudes."""
    problem = literal_problem(text)  # judged before Fraction builds 10**999999999
    if problem:
        raise ExpressionError(f"cannot read {quoted(source)}: {problem}")
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ExpressionError(f"cannot read {quoted(source)}: {text!r} is not a number") from None
    if value != 0 and not (Fraction(1, 10**30) <= abs(value) <= 10**30):
        raise ExpressionError(
            f"cannot read {quoted(source)}: the number {text} is outside the accepted range 1e-30 to 1e30"
        )
    return Num(value)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "product": 2, "odot": 2, "**": 4}
_SYMBOL = {"product": " ", "odot": " ⊙ "}


def show(node: Node, parent: int = 0) -> str:
    """Python-like text of a tree (for messages and reports)."""
    if isinstance(node, Num):
        v = node.value
        return str(v.numerator) if v.denominator == 1 else f"{float(v):g}"
    if isinstance(node, Name):
        return node.id
    if isinstance(node, Neg):
        out = "-" + show(node.operand, 3)
        return f"({out})" if parent >= 3 else out
    if isinstance(node, Transpose):
        return show(node.operand, 5) + ".T"
    if isinstance(node, Call):
        return f"{node.func}({', '.join(show(a) for a in node.args)})"
    if isinstance(node, Compare):
        return f"({show(node.left, 1)} {node.op} {show(node.right, 1)})"
    if isinstance(node, Entry):
        return f"{node.name}[{','.join(str(i + 1 if isinstance(i, int) else i) for i in node.indices)}]"
    if isinstance(node, Sum):
        return f"sum_{node.index}({show(node.body)})"
    if isinstance(node, Table):
        return f"[{show(node.body)} for {', '.join(node.indices)}]"
    prec = _PRECEDENCE[node.op]
    sym = _SYMBOL.get(node.op, f" {node.op} ")
    if node.op == "**":
        out = f"{show(node.left, 5)}**{show(node.right, 5)}"
    else:
        out = f"{show(node.left, prec)}{sym}{show(node.right, prec + 1)}"
    return f"({out})" if prec < parent or (parent == 5) else out


@dataclass(frozen=True)
class Statement:
    """One line of a derivation, ``target = expr``; the last line is the answer.

    ``target`` is the key later lines use for the value (None for a bare
    expression or a left-hand side that names nothing); ``quantity`` what it
    stands for when that is recognisable (``delta2``, ``dA1``, ``dW2``,
    ``db2``, ``z1``, ``a1``), so that the line can be checked; ``indices``
    the index letters of the left-hand side in index notation.
    """

    line: int
    text: str
    target: str | None
    quantity: str | None
    expr: Node
    indices: tuple[str, ...] = ()
    written: str | None = None  # the name as typed (dZ1 for the key delta1), for messages


def substitute(node: Node, values: dict[str, Node]) -> Node:
    """``node`` with the names in ``values`` replaced by their trees (a derivation inlined)."""
    if isinstance(node, Name):
        return values.get(node.id, node)
    if isinstance(node, Neg | Transpose):
        return type(node)(substitute(node.operand, values))
    if isinstance(node, BinOp | Compare):
        return type(node)(node.op, substitute(node.left, values), substitute(node.right, values))
    if isinstance(node, Call):
        return Call(node.func, tuple(substitute(a, values) for a in node.args))
    if isinstance(node, Sum):
        return Sum(node.index, substitute(node.body, values), node.upper, node.size, node.lower)
    if isinstance(node, Table):
        return Table(substitute(node.body, values), node.indices, node.sizes)
    return node
