"""Shape checking: every sum and product of a formula, with the likely fix.

Shapes are ``()`` for a number and ``(rows, cols)`` for a matrix; every
vector is a column.  A (1, 1) matrix acts as a number.  The checker also
decides what the ambiguous products mean: LaTeX juxtaposition and ``\\cdot``
are a matrix product, a scaling by a number, or (for two columns of the same
size, as in ``a(1 - a)``) the elementwise product.  It returns a tree in which
every product is explicit: ``@`` or elementwise ``*``.  ``u ⊙ W v`` is read
left to right unless only ``u ⊙ (W v)`` fits.

>>> from symbackprop.verification.nodes import BinOp, Name
>>> check(BinOp("*", Name("d"), Name("a")), {"d": (2, 1), "a": (1, 3)})
Traceback (most recent call last):
...
symbackprop.errors.ShapeError: d * a multiplies a (2, 1) by a (1, 3) elementwise: did you mean @?
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import ShapeError
from .functions import FUNCTIONS
from .images import OPERATIONS
from .nodes import (
    BinOp,
    Call,
    Compare,
    Entry,
    Name,
    Neg,
    Node,
    Num,
    Offset,
    Sum,
    Table,
    Transpose,
    children,
    constant_value,
    show,
)

Shape = tuple[int, ...]

_WORDS: dict[str, dict[str, Any]] = {
    "python": {
        "T": ".T", "@": "@", "*": "*",
        "correlate": "; correlate(A, K) slides the kernel K over the image A, as in correlate(x, delta1)",
    },
    "latex": {
        "T": "^T", "@": "juxtaposition (the matrix product)", "*": r"\odot",
        "correlate": r"; P \star Q slides P over Q: the kernel comes first, as in \delta^{(1)} \star x",
        # Operations the LaTeX syntax writes as operators: (sign, operands swapped as written).
        "infix": {"correlate": ("⋆", True), "correlate_full": ("⋆full", True),
                  "convolve": ("∗", False), "convolve_full": ("∗full", False)},
    },
}


def is_number(shape: Shape) -> bool:
    return shape == () or shape == (1, 1)


def describe(shape: Shape) -> str:
    return "number" if shape == () else str(shape)


def check(
    tree: Node, shapes: dict[str, Shape], syntax: str = "python", images: tuple[Shape, ...] = (),
    sequences: frozenset[str] = frozenset(), batch: bool = False,
) -> tuple[Node, Shape]:
    """Return the tree with explicit products and its shape, or raise ShapeError.

    ``images`` are the shapes of the network's one-channel images as matrices: what
    vec⁻¹ (``unvec``) of a column gives back; ``sequences`` the names whose row t is
    step t, so that x_t is a column; with ``batch`` a column broadcasts against a matrix
    of the batch, as in NumPy.
    """
    return _Checker(shapes, _WORDS[syntax], images, sequences, batch).visit(tree)


# Index notation is evaluated term by term: nested sums multiply.  This caps the
# number of terms a formula may ask for at one point (a 784-wide \sum_i\sum_j\sum_k
# would otherwise take hours).
MAX_TERMS = 200_000


class _Checker:
    def __init__(
        self, shapes: dict[str, Shape], words: dict[str, str], images: tuple[Shape, ...] = (),
        sequences: frozenset[str] = frozenset(), batch: bool = False,
    ):
        self.shapes, self.words, self.images, self.sequences = shapes, words, images, sequences
        self.batch = batch
        self.repeat = 1  # how often the node being visited is evaluated (product of the enclosing ranges)
        self.terms = 0

    def visit(self, node: Node) -> tuple[Node, Shape]:
        # Recursive: the parsers cap a tree's depth at 200, well inside Python's limit.
        self.terms += self.repeat
        if self.terms > MAX_TERMS:
            raise ShapeError(
                f"the index notation asks for more than {MAX_TERMS:,} terms at one point; "
                "write it with matrices instead"
            )
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
        if isinstance(node, Compare):
            left, a = self.visit(node.left)
            right, b = self.visit(node.right)
            self.same_or_number(a, b, f"{_short(node.left, 3)} {node.op} {_short(node.right, 3)}", "compare")
            return Compare(node.op, left, right), _broadcast(a, b)
        if isinstance(node, Entry):
            return self.entry(node)
        if isinstance(node, Sum):
            return self.sum(node)
        if isinstance(node, Table):
            return self.table(node)
        return self.binary(node)

    # -- index notation ------------------------------------------------------------

    def entry(self, node: Entry) -> tuple[Entry, Shape]:
        """One entry (a number), or with one index on a sequence the step it names: x_t, a column."""
        shape = self.shapes[node.name]
        wanted = 2 if shape[1] > 1 else 1
        if self.batch and self.sequences and node.name in self.sequences and len(node.indices) == 1:
            # sample i of a batch matrix: its column i
            node = Entry(node.name, node.indices, axis=1)
            return node, (shape[0], 1)
        step = node.name in self.sequences and len(node.indices) == 1
        if len(node.indices) != wanted and not step:
            kind = "a matrix: give a row and a column" if wanted == 2 else "a vector: give one index"
            raise ShapeError(f"{show(node)} has {len(node.indices)} indices, but {node.name} is {kind}")
        for position, index in enumerate(node.indices):
            if isinstance(index, int) and not 0 <= index < shape[position]:
                raise ShapeError(f"{show(node)}: {node.name} has no entry {index + 1} there")
        return node, ((shape[1], 1) if step else ())

    def index_size(self, body: Node, letter: str) -> int | None:
        """How many values ``letter`` takes in ``body``, from the entries it indexes."""
        sizes: dict[int, str] = {}
        stack = [body]
        while stack:
            item = stack.pop()
            if isinstance(item, Sum) and item.index == letter:
                continue  # an inner sum over the same letter has its own range
            if isinstance(item, Entry) and item.name in self.shapes:
                # one index on a batch matrix runs over its columns, the samples
                columns = self.batch and item.name in self.sequences and len(item.indices) == 1
                for position, index in enumerate(item.indices):
                    if index == letter and position < 2:
                        sizes.setdefault(self.shapes[item.name][1 if columns else position], show(item))
            stack.extend(children(item))
        if len(sizes) > 1:
            where = " but ".join(f"{n} in {text}" for n, text in sorted(sizes.items()))
            raise ShapeError(f"the index {letter} takes {where}: one index cannot run over both")
        return next(iter(sizes), None)

    def sum(self, node: Sum) -> tuple[Node, Shape]:
        size = self.index_size(node.body, node.index)
        if size is None:
            raise ShapeError(f"the sum over {node.index} has no term indexed by {node.index}")
        if node.upper is not None and node.upper != size:
            raise ShapeError(
                f"the sum over {node.index} runs to {node.upper}, but {node.index} indexes {size} entries here"
            )
        if node.lower > size:
            raise ShapeError(f"the sum over {node.index} starts at {node.lower}, past its last value {size}")
        body, shape = self.repeated(node.body, size)
        if not self.over_steps(node.body, node.index):
            self.scalar_body(node.body, shape)
        return Sum(node.index, body, node.upper, size, node.lower), shape

    def over_steps(self, body: Node, letter: str) -> bool:
        """True when ``letter`` names the steps of a sequence in ``body`` (Σ_t δ_t x_tᵀ): then
        the terms are vectors and matrices, not numbers."""
        stack = [body]
        while stack:
            item = stack.pop()
            if isinstance(item, Entry) and item.name in self.sequences and len(item.indices) == 1:
                index = item.indices[0]
                if index == letter or (isinstance(index, Offset) and letter in index.letters):
                    return True
            stack.extend(children(item))
        return False

    def table(self, node: Table) -> tuple[Node, Shape]:
        """Index notation: the sizes come from the left-hand side when there is one, else from the entries."""
        stack: list[Node] = [node.body]
        while stack:  # each entry's number of indices first: that mistake explains the others
            item = stack.pop()
            if isinstance(item, Entry) and item.name in self.shapes:
                self.entry(item)
            stack.extend(children(item))
        sizes = []
        for k, letter in enumerate(node.indices):
            found = self.index_size(node.body, letter)
            given = node.sizes[k] if node.sizes else None
            if found is not None and given is not None and found != given:
                raise ShapeError(
                    f"the index {letter} runs over {given} entries on the left-hand side but {found} on the right"
                )
            size = given or found
            if size is None:
                raise ShapeError(
                    f"the index {letter} does not appear in the formula on its own, so its range is unknown; "
                    f"give it a matrix entry such as W_{{{letter}…}} or a left-hand side"
                )
            sizes.append(size)
        out = (sizes[0], sizes[1] if len(sizes) > 1 else 1)
        body, shape = self.repeated(node.body, out[0] * out[1])
        self.scalar_body(node.body, shape)
        return Table(body, node.indices, tuple(sizes)), out

    def repeated(self, body: Node, times: int) -> tuple[Node, Shape]:
        """Visit a body that is evaluated ``times`` times for each evaluation of its parent."""
        outer = self.repeat
        self.repeat = outer * times
        try:
            return self.visit(body)
        finally:
            self.repeat = outer

    @staticmethod
    def scalar_body(node: Node, shape: Shape) -> None:
        if not is_number(shape):
            raise ShapeError(
                f"in index notation every factor is one number, but {_short(node)} is a {describe(shape)}; "
                "give each vector and matrix its indices, e.g. \\delta^{(2)}_j"
            )

    # -- functions ------------------------------------------------------------------

    def call(self, node: Call) -> tuple[Node, Shape]:
        visited = [self.visit(a) for a in node.args]
        args = tuple(arg for arg, _ in visited)
        shapes = [shape for _, shape in visited]
        shape = shapes[0]
        kind = FUNCTIONS[node.func].kind if node.func in FUNCTIONS else "elementwise"
        text = _short(node.args[0])
        if kind == "sum":
            return Call(node.func, args), ()
        if kind == "mean":  # a sum over the entries it averages, divided by their number, now that it is known
            summed, out = self.call(Call(_SUM_OF_MEAN[node.func], node.args))
            count = (shape[0] if node.func != "rowmean" else 1) * (shape[1] if node.func != "colmean" else 1)
            return BinOp("/", summed, Num(Fraction(count if shape else 1))), out
        if node.func == "unvec":
            return self.unvec(args[0], shape)
        if kind == "image":
            return Call(node.func, args), self.image(node, shapes)
        if kind in ("rowsum", "colsum"):
            if shape == ():
                raise ShapeError(f"a sum along an axis takes a matrix, but {text} is a number")
            return Call(node.func, args), ((shape[0], 1) if kind == "rowsum" else (1, shape[1]))
        if kind == "softmax" and (len(shape) != 2 or shape[1] != 1):
            raise ShapeError(f"softmax takes a column, but {text} is a {describe(shape)}")
        if kind == "diag":
            if len(shape) == 2 and shape[1] == 1:
                return Call(node.func, args), (shape[0], shape[0])
            if len(shape) == 2 and shape[0] == shape[1]:
                return Call(node.func, args), (shape[0], 1)
            raise ShapeError(f"diag takes a column or a square matrix, but {text} is a {describe(shape)}")
        if kind == "outer":
            u, v = (_size(s) for s in shapes)
            return Call(node.func, args), (u, v)
        result = shape
        for other, arg in zip(shapes[1:], node.args[1:], strict=True):
            self.same_or_number(result, other, f"{node.func}({text}, {_short(arg)})", "combine")
            result = _broadcast(result, other)
        return Call(node.func, args), result

    def unvec(self, column: Node, shape: Shape) -> tuple[Node, Shape]:
        """vec⁻¹ of a column: the one image of the network with as many entries, as a reshape."""
        size = 1 if shape == () else shape[0] * shape[1]
        fits = sorted({image for image in self.images if image[0] * image[1] == size})
        if len(shape) != 2 or shape[1] != 1 or len(fits) != 1:
            raise ShapeError(
                f"vec⁻¹ puts a column back into an image of this network, but {_short(column)} is a "
                f"{describe(shape)}" + (f" and no one-channel image has {size} entries" if not fits else "")
            )
        rows, cols = fits[0]
        return Call("reshape", (column, Num(Fraction(rows)), Num(Fraction(cols)))), (rows, cols)

    def image(self, node: Call, shapes: list[Shape]) -> Shape:
        """The shape of an operation on images; its whole-number arguments are constants."""
        operation = OPERATIONS[node.func]
        matrices, numbers = shapes[: operation.operands], node.args[operation.operands :]
        for shape, arg in zip(matrices, node.args, strict=False):
            if len(shape) > 2:
                raise ShapeError(f"{node.func} takes matrices, but {_short(arg)} is a {describe(shape)}")
        counts = []
        for arg in numbers:
            value = constant_value(arg)
            if value is None or value.denominator != 1:
                raise ShapeError(
                    f"{operation.text} takes whole numbers after the {'matrix' if operation.operands == 1 else 'matrices'}, "
                    f"not {_short(arg)}"
                )
            counts.append(int(value))
        try:
            shape = operation.shape(*matrices, *counts)
        except ShapeError as exc:
            raise ShapeError(f"{self.operation_text(node)}: {exc}{self.words.get(node.func, '')}") from None
        # Each entry of the result takes a product per entry of the kernel (or of the window):
        # counted against the same budget as index notation, before anything is computed.
        rows, cols = (1, 1) if shape == () else shape
        if len(matrices) == 2 and operation.name != "route_argmax":
            per_entry = min(_area(matrices[0]), _area(matrices[1]))
        else:
            per_entry = counts[0] ** 2 if counts and operation.name in ("maxpool", "avgpool") else 1
        self.terms += self.repeat * rows * cols * per_entry
        if self.terms > MAX_TERMS:
            raise ShapeError(
                f"{self.operation_text(node)} asks for more than {MAX_TERMS:,} products at one point; "
                "the operations on images take the network's own sizes"
            )
        return shape

    def operation_text(self, node: Call) -> str:
        """How the formula wrote an operation: correlate(x, delta1), or in LaTeX delta1 ⋆ x."""
        infix = self.words.get("infix", {})
        if node.func in infix and len(node.args) == 2:
            sign, order = infix[node.func]
            first, second = (node.args[1], node.args[0]) if order else node.args
            return f"{_short(first, 3)} {sign} {_short(second, 3)}"
        return _short(node)

    def fits(self, a: Shape, b: Shape) -> bool:
        """Two shapes an entrywise operation may combine."""
        return a == b or is_number(a) or is_number(b) or (self.batch and _batch_broadcast(a, b))

    def same_or_number(self, a: Shape, b: Shape, text: str, verb: str) -> None:
        if self.fits(a, b):
            return
        hint = f": missing {self.words['T']}?" if a == b[::-1] else ""
        raise ShapeError(f"{text} cannot {verb} a {describe(a)} and a {describe(b)}{hint}")

    def binary(self, node: BinOp) -> tuple[Node, Shape]:
        left = node.left
        if node.op == "product" and isinstance(left, BinOp) and left.op == "odot":
            # u ⊙ W v is read left to right, (u ⊙ W) v; when that cannot be, as in
            # σ'(z) ⊙ Wᵀ δ, the only reading left is u ⊙ (W v).
            try:
                return self.operation(node)
            except ShapeError as exc:
                try:
                    return self.operation(BinOp("odot", left.left, BinOp("product", left.right, node.right)))
                except ShapeError:
                    raise exc from None
        return self.operation(node)

    def operation(self, node: BinOp) -> tuple[Node, Shape]:
        left, a = self.visit(node.left)
        right, b = self.visit(node.right)
        op = node.op
        text = f"{_short(node.left, 3)} {self.op_text(op)} {_short(node.right, 3)}"
        if op == "**":
            return BinOp("**", left, right), a
        if op in ("+", "-"):
            if self.fits(a, b):
                return BinOp(op, left, right), _broadcast(a, b)
            hint = f": missing {self.words['T']}?" if a == b[::-1] else ""
            verb = "add" if op == "+" else "subtract"
            raise ShapeError(f"{text} cannot {verb} a {describe(a)} and a {describe(b)}{hint}")
        if op == "/":
            if self.fits(a, b):
                return BinOp("/", left, right), _broadcast(a, b)
            raise ShapeError(f"{text} divides a {describe(a)} by a {describe(b)}; divide by a number or by a matrix of the same shape")
        if op == "@":
            return self.matmul(left, right, a, b, text), (a[0], b[1]) if a and b else ()
        if op in ("*", "odot"):
            if self.fits(a, b):
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
        if (a == b and a[1] == 1) or (self.batch and _batch_broadcast(a, b) and a[1] != b[0]):
            return BinOp("*", left, right), _broadcast(a, b)
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


def _area(shape: Shape) -> int:
    return 1 if shape == () else shape[0] * shape[1]


def _size(shape: Shape) -> int:
    return 1 if shape == () else shape[0] * shape[1]


# np.mean's three forms, and the sums they divide.
_SUM_OF_MEAN = {"mean": "sum", "rowmean": "rowsum", "colmean": "colsum"}


def _broadcast(a: Shape, b: Shape) -> Shape:
    if a == b:
        return a
    if a == ():
        return b
    if b == ():
        return a
    if a == (1, 1):
        return b
    if b == (1, 1):
        return a
    return (max(a[0], b[0]), max(a[1], b[1]))  # a column against a batch matrix, as NumPy broadcasts


def _batch_broadcast(a: Shape, b: Shape) -> bool:
    """A column (n, 1) or a row (1, N) against a matrix (n, N): NumPy's broadcasting, as batch
    formulas use it (x − μ, γ ⊙ x̂ + β)."""
    if len(a) != 2 or len(b) != 2 or a == b:
        return False
    small, big = (a, b) if a[0] * a[1] <= b[0] * b[1] else (b, a)
    return (small[1] == 1 and small[0] == big[0]) or (small[0] == 1 and small[1] == big[1])


def _short(node: Node, parent: int = 0) -> str:
    text = show(node, parent)
    return text if len(text) <= 40 else text[:37] + "…"
