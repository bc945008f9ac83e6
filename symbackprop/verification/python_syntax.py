"""The Python-like syntax: ``delta2 @ a1.T``, NumPy's ``np.outer(dZ2, A1)``, whole derivations.

The text is parsed by :mod:`ast` and walked against a whitelist: known names,
calls of whitelisted functions by plain name or as ``np.<name>`` from an
allow-list (keyword arguments only ``axis`` and ``keepdims`` of ``np.sum``),
numbers, ``+ - * / ** @``, unary minus, ``.T``, the methods ``.transpose()``
and ``.dot(…)``, ``m`` (Ng's number of samples, 1 here) and one comparison as a
0/1 mask.  A derivation is several statements (lines or ``;``), each
``name = expression``; the last one (or a bare expression) is the answer.
Anything else (other attributes, subscripts, lambdas, imports, strings,
other keywords) is refused.  Nothing is ever evaluated: the result is a tuple
of :class:`~symbackprop.verification.nodes.Statement`.

>>> from symbackprop import models
>>> from symbackprop.verification.context import names_for
>>> from symbackprop.verification.nodes import show
>>> table = names_for(models.two_two_two())
>>> [show(s.expr) for s in parse_python("delta2 @ a1.T", table)]
['delta2 @ a1.T']
>>> [(s.target, s.quantity, show(s.expr)) for s in parse_python("dZ2 = A2 - Y; dW2 = np.outer(dZ2, A1)", table)]
[('delta2', 'delta2', 'a2 - y'), ('dW2', 'dW2', 'outer(delta2, a1)')]
>>> parse_python("().__class__", table)
Traceback (most recent call last):
...
symbackprop.errors.ExpressionError: cannot read '().__class__': the attribute .__class__ is not allowed; only .T (transpose) is, and methods such as .transpose() and .dot(…)
"""

from __future__ import annotations

import ast
from fractions import Fraction

from ..errors import ExpressionError
from .context import STRENGTH_NAMES, NameTable
from .functions import CALLABLE, FUNCTIONS, known_functions
from .nodes import (
    BinOp,
    Call,
    Compare,
    Entry,
    Name,
    Neg,
    Node,
    Num,
    Statement,
    Transpose,
    check_size,
    constant_value,
    number,
    power,
    quoted,
)

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_STATEMENTS = 30

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@"}
_COMPARISONS = {ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<="}

# np.<name> -> what it means: a function of the table, or an operator.
NUMPY = {
    "outer": "outer", "dot": "@", "matmul": "@", "multiply": "*", "transpose": "T",
    "sum": "sum", "mean": "mean", "diag": "diag", "exp": "exp", "log": "log", "tanh": "tanh",
    "sqrt": "sqrt", "cosh": "cosh", "maximum": "maximum", "where": "where",
    "power": "**", "square": "square", "divide": "/", "add": "+", "subtract": "-",
}
_ARITY = {"@": 2, "*": 2, "T": 1, "**": 2, "/": 2, "+": 2, "-": 2, "square": 1}
# Methods of an array, as in Nielsen's a.transpose() and CS231n's W.dot(x): (arguments, meaning).
_METHODS = {"transpose": (0, "T"), "dot": (1, "@")}
# np.<name> for the operations on images, and how each is written.
IMAGE_NUMPY = {
    "reshape": "np.reshape(M, (3, 3))", "flip": "np.flip(K)", "rot90": "np.rot90(K, 2)",
    "kron": "np.kron(delta, np.ones((2, 2)))",
}
LEAKY = ("leaky_relu", "leaky_relu_prime")


def parse_python(text: str, table: NameTable) -> tuple[Statement, ...]:
    """Parse ``text`` into statements over the names of ``table``."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected a formula as text, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula has {len(text)} characters; at most {MAX_LENGTH} are accepted"
        )
    if not text.strip():
        raise ExpressionError("the formula is empty")
    source = _dedent(text)
    try:
        module = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        where = f" on line {exc.lineno}" if exc.lineno and "\n" in source.strip() else ""
        raise ExpressionError(f"cannot read {quoted(text)}: {_syntax_problem(source, exc)}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"cannot read {quoted(text)}: it nests too deeply") from None
    except ValueError as exc:  # a null byte, on Pythons that do not call it a syntax error
        raise ExpressionError(f"cannot read {quoted(text)}: {exc}") from None
    if not module.body:
        raise ExpressionError("the formula is empty")
    if len(module.body) > MAX_STATEMENTS:
        raise ExpressionError(
            f"the derivation has {len(module.body)} statements; at most {MAX_STATEMENTS} are accepted"
        )
    walker = _Walker(text, source, table)
    lines = source.splitlines()
    out = []
    for k, stmt in enumerate(module.body):
        last = k == len(module.body) - 1
        out.append(walker.statement(stmt, k + 1, last, _segment(source, lines, stmt)))
    return tuple(out)


# Characters of LaTeX and of pasted math: a formula with them was meant for the other syntax.
_MATH_CHARACTERS = set("\\δσ⊙∘·⋅×ᵀ⊤−′≥≤∂∇∑⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹ˡᴸ")


def _syntax_problem(source: str, exc: SyntaxError) -> str:
    """What Python's parser found, said for a formula: where it stopped, and the likely slip.

    >>> _syntax_problem("delta2 a1.T", SyntaxError("invalid syntax", ("", 1, 8, "", 1, 10)))
    "two factors side by side at 'a1.T': write @ (matrix product) or * (elementwise) between them"
    """
    if any(ch in _MATH_CHARACTERS for ch in source):
        return f"{exc.msg}; this looks like LaTeX or pasted math: choose the latex syntax (--syntax latex)"
    line = source.splitlines()[(exc.lineno or 1) - 1] if source else ""
    column = (exc.offset or 1) - 1
    before = line[:column].rstrip()
    if "string literal" in exc.msg and before[-1:].isalnum() | (before[-1:] in (")", "]")):
        return "' is not a transpose here (it is in MATLAB and Octave): write .T, as in a1.T"
    if exc.msg == "invalid syntax" and before and (before[-1].isalnum() or before[-1] == ")"):
        rest = line[column:].split()[0] if line[column:].split() else ""
        if rest[:1].isalnum() or rest[:1] in ("(", "_"):
            return f"two factors side by side at {rest!r}: write @ (matrix product) or * (elementwise) between them"
    if exc.msg == "invalid syntax" and line[column:].strip():
        return f"invalid syntax at {line[column:].strip()[:20]!r}"
    return exc.msg


def _dedent(text: str) -> str:
    """Lines as typed, without the indentation a pasted block may carry."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(lines)


def _segment(source: str, lines: list[str], stmt: ast.stmt) -> str:
    return ast.get_source_segment(source, stmt) or lines[stmt.lineno - 1]


class _Walker:
    def __init__(self, text: str, source: str, table: NameTable):
        self.text, self.source, self.table = text, source, table
        self.local: dict[str, str] = {}  # name as typed -> key of its value

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"cannot read {quoted(self.text)}: {why}")

    # -- statements ----------------------------------------------------------------

    def statement(self, stmt: ast.stmt, number: int, last: bool, segment: str) -> Statement:
        """Statement ``number`` (lines and ``;`` both start one), 1-based."""
        if isinstance(stmt, ast.Expr):
            if not last:
                raise self.fail(
                    f"line {number} is an expression without a name; write name = expression "
                    "(only the last line may be a bare expression)"
                )
            expr = self.expression(stmt.value)
            return Statement(number, segment, None, None, expr)
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise self.fail(f"line {number}: assign to one plain name, as in dW2 = …")
            name = stmt.targets[0].id
            key = self.target(name, number)
            expr = self.expression(stmt.value)
            self.local[name] = key
            return Statement(number, segment, key, self.table.quantity(name), expr, written=name)
        kind = "an augmented assignment such as +=" if isinstance(stmt, ast.AugAssign) else type(stmt).__name__
        raise self.fail(f"line {number}: {kind} is not allowed; each line is name = expression")

    def target(self, name: str, line: int) -> str:
        if name in FUNCTIONS or name == "np":
            raise self.fail(f"line {line}: {name} is a function and cannot be assigned")
        if name.startswith("_"):
            raise self.fail(f"line {line}: names starting with _ are not allowed")
        quantity = self.table.quantity(name)
        if quantity is not None:
            return quantity
        if self.table.resolve(name) or name in self.table.constants:
            raise self.fail(
                f"line {line}: {name} is given (an input, a parameter or a target) and cannot be assigned; "
                "choose another name"
            )
        return name

    def expression(self, node: ast.AST) -> Node:
        return check_size(self.visit(node, 0), self.text)

    # -- expressions ---------------------------------------------------------------

    def visit(self, node: ast.AST, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(f"it nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"{node.value!r} is not a number")
            literal = ast.get_source_segment(self.source, node) or repr(node.value)
            return number(literal.replace("_", ""), self.text)
        if isinstance(node, ast.Name):
            return self.name(node.id)
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
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                if isinstance(node.value, ast.Name) and node.value.id == "np":
                    raise self.fail(f"np.{node.attr} is not allowed; the np functions understood are {_numpy_names()}")
                if node.attr == "astype":
                    raise self.fail("a comparison such as (z1 > 0) is already 0/1; drop .astype(…)")
                raise self.fail(
                    f"the attribute .{node.attr} is not allowed; only .T (transpose) is, and methods such as "
                    ".transpose() and .dot(…)"
                )
            return Transpose(self.visit(node.value, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
            raise self.fail("^ is neither a power nor a transpose in Python: write ** for a power and .T for the transpose")
        if isinstance(node, ast.Subscript):
            raise self.fail(
                "indexing with [...] is not allowed: the layer is part of the name (delta2, a1, W2), "
                "and one entry is written w2_12"
            )
        raise self.fail(f"{_describe(node)} is not allowed in a formula")

    def name(self, name: str) -> Node:
        if name in self.local:
            return Name(self.local[name])
        if name in self.table.constants:
            return Num(self.table.constants[name])
        samples = self.table.sample_count(name)
        if samples is not None:  # Ng's 1/m
            return Num(samples)
        canonical = self.table.resolve(name)
        step = None if canonical else self.table.step(name)
        if step is not None:
            return Entry(step[0], (step[1],))
        if not canonical:
            if self.table.quantity(name):
                raise self.fail(f"{name} is used before a line assigns it")
            if self.table.unseen(name):
                raise self.fail(self.table.unseen(name))
            if name in STRENGTH_NAMES:
                raise self.fail(f"{name} is the L2 strength λ, but this network has no L2 term")
            raise self.fail(f"unknown name {name!r}; known names are {self.table.known}")
        return Name(canonical)

    def compare(self, node: ast.Compare, depth: int) -> Node:
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARISONS:
            raise self.fail("a comparison is one of >, <, >=, <= between two values, such as (z1 > 0)")
        left = self.visit(node.left, depth + 1)
        return Compare(_COMPARISONS[type(node.ops[0])], left, self.visit(node.comparators[0], depth + 1))

    def call(self, node: ast.Call, depth: int) -> Node:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "np":
            if func.attr in IMAGE_NUMPY:
                return self.image_numpy_call(func.attr, node, depth)
            if func.attr not in NUMPY:
                raise self.fail(f"np.{func.attr} is not allowed; the np functions understood are {_numpy_names()}")
            return self.numpy_call(func.attr, node, depth)
        if isinstance(func, ast.Attribute) and _is_scipy_signal(func.value):
            return self.scipy_call(func.attr, node, depth)
        if isinstance(func, ast.Attribute) and func.attr in ("reshape", "flatten", "ravel"):
            return self.reshape_method(func, node, depth)
        if isinstance(func, ast.Attribute) and func.attr in _METHODS:
            return self.method_call(func, node, depth)
        if not isinstance(func, ast.Name | ast.Attribute):
            raise self.fail(
                f"({ast.unparse(func)})(…) reads as a call; between two factors write @ (matrix product) "
                "or * (elementwise)"
            )
        if isinstance(func, ast.Name) and func.id not in CALLABLE and (func.id in self.local or self.table.resolve(func.id)):
            raise self.fail(
                f"{func.id}(…) reads as a call of {func.id}; write {func.id} * (…) or {func.id} @ (…)"
            )
        if not isinstance(func, ast.Name):
            raise self.fail("only plain function names, np.<function> and array methods such as .transpose() and .dot(…) may be called")
        name = func.id
        if name not in CALLABLE:
            raise self.fail(f"unknown function {name!r}; known functions are {known_functions()}")
        low, high = FUNCTIONS[name].arity
        if name in LEAKY:
            low = 1
        count = "one" if high == 1 else f"{low} to {high}"
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{name}() takes {count} plain argument{'s' if high > 1 else ''}, no keywords")
        if not low <= len(node.args) <= high:
            raise self.fail(f"{name}() takes exactly {count} argument{'s' if high > 1 else ''}, got {len(node.args)}")
        args = [self.visit(a, depth + 1) for a in node.args]
        if name in LEAKY:
            return Call(name, (args[0], self.slope(name, args[1:])))
        return Call(name, tuple(args))

    def method_call(self, func: ast.Attribute, node: ast.Call, depth: int) -> Node:
        """``a1.transpose()`` is a1.T, ``W2.T.dot(delta2)`` is W2.T @ delta2."""
        wanted, meaning = _METHODS[func.attr]
        if node.keywords or len(node.args) != wanted or any(isinstance(a, ast.Starred) for a in node.args):
            takes = "no arguments" if wanted == 0 else "one plain argument"
            raise self.fail(f".{func.attr}() takes {takes} here")
        operand = self.visit(func.value, depth + 1)
        if meaning == "T":
            return Transpose(operand)
        return BinOp("@", operand, self.visit(node.args[0], depth + 1))

    def slope(self, name: str, given: list[Node]) -> Num:
        if given:
            value = constant_value(given[0])
            if value is None:
                raise self.fail(f"the slope of {name}() must be a number such as 0.01")
            return Num(value)
        slope = self.table.slope()
        if slope is None:
            raise self.fail(
                f"this network's leaky ReLU layers have different slopes; give it: {name}(z1, 0.1)"
            )
        return Num(slope)

    def numpy_call(self, attr: str, node: ast.Call, depth: int) -> Node:
        meaning = NUMPY[attr]
        keywords = {k.arg: k.value for k in node.keywords}
        allowed = {"axis", "keepdims"} if attr in ("sum", "mean") else set()
        for key in keywords:
            if key not in allowed:
                which = "only axis= and keepdims=" if allowed else "no keyword arguments"
                raise self.fail(f"np.{attr}() takes {which}, not {key}=")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"np.{attr}() takes plain arguments")
        wanted = _ARITY.get(meaning) or FUNCTIONS[meaning].arity[1]
        if len(node.args) != wanted:
            raise self.fail(f"np.{attr}() takes {wanted} argument{'s' if wanted > 1 else ''}, got {len(node.args)}")
        args = [self.visit(a, depth + 1) for a in node.args]
        if meaning == "T":
            return Transpose(args[0])
        if meaning == "**":
            return power(args[0], args[1], self.text)
        if meaning == "square":
            return power(args[0], Num(Fraction(2)), self.text)
        if meaning in ("@", "*", "/", "+", "-"):
            return BinOp(meaning, args[0], args[1])
        if attr in ("sum", "mean"):
            return self.numpy_sum(args[0], keywords, attr)
        return Call(meaning, tuple(args))

    def numpy_sum(self, arg: Node, keywords: dict[str, ast.AST], what: str = "sum") -> Node:
        """np.sum or np.mean, of every entry or (axis=, keepdims=True) along an axis."""
        axis = keywords.get("axis")
        keepdims = keywords.get("keepdims")
        keep = False
        if keepdims is not None:
            if not (isinstance(keepdims, ast.Constant) and isinstance(keepdims.value, bool)):
                raise self.fail("keepdims= takes True or False")
            keep = keepdims.value
        if axis is None or (isinstance(axis, ast.Constant) and axis.value is None):
            return Call(what, (arg,))
        value = axis.value if isinstance(axis, ast.Constant) else None
        if isinstance(axis, ast.UnaryOp) and isinstance(axis.op, ast.USub) and isinstance(axis.operand, ast.Constant):
            value = -axis.operand.value
        if isinstance(value, bool) or value not in (0, 1, -1, -2):
            raise self.fail("axis= takes 0 (down the columns) or 1 (along the rows)")
        if not keep:
            raise self.fail(
                f"np.{what}(…, axis=…) without keepdims=True gives a 1-D array; every vector here "
                "is a column, so add keepdims=True"
            )
        return Call(("row" if value in (1, -1) else "col") + what, (arg,))


    # -- images: NumPy's and SciPy's names for the operations of verification/images.py ----------

    def whole_numbers(self, args: list[ast.expr], what: str) -> list[Node]:
        """Arguments that must be whole numbers, such as the rows of a reshape (a tuple is unpacked)."""
        if len(args) == 1 and isinstance(args[0], ast.Tuple):
            args = list(args[0].elts)
        out = []
        for arg in args:
            value = constant_value(self.visit(arg, 1)) if isinstance(arg, ast.Constant | ast.UnaryOp) else None
            if value is None or value.denominator != 1:
                raise self.fail(f"{what} takes whole numbers, such as {what}(3, 3)")
            out.append(Num(value))
        return out

    def reshape_method(self, func: ast.Attribute, node: ast.Call, depth: int) -> Node:
        """M.reshape(r, c) or M.reshape((r, c)); M.flatten() and M.ravel() give 1-D arrays, refused."""
        if func.attr != "reshape":
            raise self.fail(
                f".{func.attr}() gives a 1-D array; every vector here is a column: write .reshape(-1, 1)"
            )
        if node.keywords:
            raise self.fail(".reshape() takes the rows and the columns, no keywords")
        shape = self.whole_numbers(list(node.args), "reshape")
        if len(shape) != 2:
            raise self.fail(".reshape() takes the rows and the columns, such as .reshape(3, 3) or .reshape(-1, 1)")
        return Call("reshape", (self.visit(func.value, depth + 1), *shape))

    def image_numpy_call(self, attr: str, node: ast.Call, depth: int) -> Node:
        """np.reshape(M, (r, c)), np.flip(K), np.rot90(K, 2), np.kron(D, np.ones((k, k)))."""
        if node.keywords or not node.args:
            raise self.fail(f"np.{attr}() takes plain arguments, as in {IMAGE_NUMPY[attr]}")
        first = self.visit(node.args[0], depth + 1)
        rest = list(node.args[1:])
        if attr == "reshape":
            shape = self.whole_numbers(rest, "np.reshape")
            if len(shape) != 2:
                raise self.fail("np.reshape() takes a matrix and its new rows and columns, as in np.reshape(M, (3, 3))")
            return Call("reshape", (first, *shape))
        if attr == "flip":
            if rest:
                raise self.fail("np.flip() takes the kernel alone: it turns it by 180°, as the convolution does")
            return Call("flip", (first,))
        if attr == "rot90":
            turns = self.whole_numbers(rest, "np.rot90") if rest else [Num(Fraction(1))]
            if len(turns) != 1 or turns[0].value % 4 != 2:
                raise self.fail("np.rot90() is understood by 180° only: np.rot90(K, 2), the flip of a convolution")
            return Call("flip", (first,))
        # np.kron(D, np.ones((k, k))): each entry over a k×k block.
        block = rest[0] if len(rest) == 1 else None
        ones = (
            isinstance(block, ast.Call) and isinstance(block.func, ast.Attribute)
            and isinstance(block.func.value, ast.Name) and block.func.value.id == "np"
            and block.func.attr == "ones" and not block.keywords
        )
        if not ones:
            raise self.fail("np.kron() is understood as np.kron(delta, np.ones((k, k))): each entry over a k×k block")
        size = self.whole_numbers(list(block.args), "np.ones")  # type: ignore[union-attr]
        if len(size) != 2 or size[0] != size[1]:
            raise self.fail("np.kron(delta, np.ones((k, k))) takes a square block of ones")
        return Call("upsample", (first, size[0]))

    def scipy_call(self, attr: str, node: ast.Call, depth: int) -> Node:
        """signal.correlate2d(A, K, mode="valid") and convolve2d; SciPy's default mode is "full"."""
        if attr not in ("correlate2d", "convolve2d"):
            raise self.fail(f"signal.{attr} is not allowed; the signal functions understood are correlate2d and convolve2d")
        args = list(node.args)
        mode_node = args.pop(2) if len(args) == 3 else None
        for keyword in node.keywords:
            if keyword.arg != "mode" or mode_node is not None:
                raise self.fail(f"signal.{attr}() takes two matrices and mode=, nothing else")
            mode_node = keyword.value
        if len(args) != 2:
            raise self.fail(f"signal.{attr}() takes two matrices, got {len(args)}")
        mode = "full" if mode_node is None else None
        if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str):
            mode = mode_node.value
        if mode not in ("valid", "full"):
            raise self.fail(f"signal.{attr}() is understood with mode='valid' or mode='full'")
        name = ("correlate" if attr == "correlate2d" else "convolve") + ("_full" if mode == "full" else "")
        return Call(name, tuple(self.visit(a, depth + 1) for a in args))


def _is_scipy_signal(node: ast.expr) -> bool:
    """``signal`` or ``scipy.signal``."""
    if isinstance(node, ast.Name):
        return node.id == "signal"
    return isinstance(node, ast.Attribute) and node.attr == "signal" and isinstance(node.value, ast.Name) and (
        node.value.id == "scipy"
    )


def _numpy_names() -> str:
    return ", ".join(f"np.{name}" for name in (*NUMPY, *IMAGE_NUMPY))


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Subscript: "indexing with [...]",
        ast.Lambda: "lambda",
        ast.BoolOp: "and/or",
        ast.IfExp: "if/else",
    }
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.BinOp):
        return f"the operator {_OPERATOR_SIGNS.get(type(node.op), type(node.op).__name__)}"
    return type(node).__name__


_OPERATOR_SIGNS = {
    ast.BitOr: "|", ast.BitAnd: "&", ast.Mod: "%", ast.FloorDiv: "//", ast.LShift: "<<", ast.RShift: ">>",
}
