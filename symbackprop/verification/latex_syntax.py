r"""The LaTeX syntax: the notations of the textbooks, parsed into the formula tree.

A hand-written recursive-descent parser producing the same
:mod:`~symbackprop.verification.nodes` statements as the Python-like syntax.
Off-the-shelf LaTeX readers silently misread ``\odot``, transposes and
``\partial``; here every command is either known or refused.  Every notation
is listed, with an example, in docs/verify.md.

* names: ``x``, ``y``, ``W^{(l)}``, ``b^{(l)}``, ``z^{(l)}``, ``a^{(l)}``,
  ``\delta^{(l)}``, ``\hat{y}``, Ng's capitals ``A^{[1]}``, ``Z^{[1]}``, ``X``, ``Y``;
  the layer also as ``W^{[2]}`` (Ng), ``W^2``,
  ``a^l``, ``a^{l-1}``, ``z^L`` (Nielsen; ``l`` is the layer of the
  parameter asked about, ``L`` the last) or ``W_2``.  A superscript on a name
  that takes a layer is its layer, never a power: write ``(a^{(1)})^2``;
  min-char-rnn's ``W_{xh}``, ``W_{hh}``, ``b_h`` (and ``W_{hy}``, ``b_y``) for
  the one recurrent layer (and the layer it feeds);
* entries ``w^{(2)}_{12}``, ``a^{(1)}_{2}``, ``x_1``; index letters ``w^2_{jk}``,
  ``\delta^2_j``, with ``\sum_j``, ``\sum_{j=1}^{n}`` — a formula with free
  indices is the matrix of its entries;
* derivatives as factors: ``\frac{\partial L}{\partial z^{(l)}}`` (δ⁽ˡ⁾),
  ``\frac{\partial C}{\partial a^{(l)}}``, ``\nabla_a C`` (∂L/∂a⁽ᴸ⁾); Ng's
  ``dZ^{[2]}``, ``dA^{[1]}``;
* transpose ``^T``, ``^{\top}``, ``^{\intercal}``, ``^{\mathsf{T}}``, also
  with the layer: ``W^{(2)T}``, ``W^{[2]T}``;
* sizes: ``m`` (Ng's number of samples) is 1, ``n_L``, ``n^{[l]}`` count units;
* products: juxtaposition, ``\cdot``, ``\times``, ``\odot`` / ``\circ``, ``\otimes``
  (outer), ``/``, ``\frac``;
* functions: ``\sigma``, ``\sigma'``, ``\tanh``, ``\tanh'``, ``\exp``, ``\log``,
  ``\ln``, ``\sqrt``, ``\cosh``, ``e^{…}``, ``\operatorname{ReLU}``,
  ``\operatorname{LReLU}'``, ``\operatorname{sech}^2``, ``\mathrm{diag}``,
  ``\operatorname{softmax}``, Nielsen's ``\Sigma'(z)``, Ng's ``g^{[l]}``, ``g^{[l]\prime}``
  (layer l's own activation); indicators ``\mathbb{1}[z > 0]``, ``\mathbb{1}\{z > 0\}``, ``[z^{(l)} > 0]``;
* several lines (new line, ``\\`` or ``;``), each ``left = right``: a
  left-hand side that names δ⁽ˡ⁾, ∂L/∂W⁽ˡ⁾, ∂L/∂b⁽ˡ⁾, ∂L/∂a⁽ˡ⁾, z⁽ˡ⁾ or a⁽ˡ⁾
  is checked, and later lines use what it defines.

>>> from symbackprop import models
>>> from symbackprop.verification.context import names_for
>>> from symbackprop.verification.nodes import show
>>> table = names_for(models.two_two_two())
>>> def latex(text, layer=None):
...     return [show(s.expr) for s in parse_latex(text, table, layer)]
>>> latex(r"\delta^{(2)} \left(a^{(1)}\right)^{\top}")
['delta2 a1.T']
>>> latex(r"(W^{[2]T} \delta^{2}) \odot \sigma'(z^l)", layer=1)
['W2.T delta2 ⊙ sigmoid_prime(z1)']
>>> latex(r"\frac{\partial C}{\partial w^2_{jk}} = a^{1}_k \delta^2_j")
['[a1[k] delta2[j] for j, k]']
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..errors import ExpressionError
from ..symbols import Name as Quantity
from ..symbols import activation, activation_gradient, deviation, mean, scale, shift, variance
from .context import EPSILON_NAME, SIZE_NAMES, NameTable
from .functions import FUNCTIONS
from .latex_tokens import Token, lines, normalize, tokenize
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
    Statement,
    Sum,
    Table,
    Transpose,
    check_size,
    children,
    free_indices,
    number,
    power,
    quoted,
)

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_STATEMENTS = 30

# Commands whose braced argument is the thing itself (\mathbf{W} is W).
_WRAPPERS = {"mathbf", "boldsymbol", "bm", "vec", "mathit", "mathbfit", "pmb"}
_INDICATORS = {"mathbb", "mathbf", "mathds", "boldsymbol", "bm"}  # \mathbb{1}[z > 0]
_FUNCTION_COMMANDS = {
    "sigma": "sigmoid", "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log", "cosh": "cosh",
}
_FUNCTION_WORDS = {
    "relu": "relu", "softmax": "softmax", "sigmoid": "sigmoid", "sum": "sum", "exp": "exp",
    "log": "log", "tanh": "tanh", "sech": "sech", "cosh": "cosh", "diag": "diag",
    "lrelu": "leaky_relu", "leakyrelu": "leaky_relu",
}
_DERIVATIVES = {
    "sigmoid": "sigmoid_prime", "tanh": "tanh_prime", "relu": "relu_prime",
    "leaky_relu": "leaky_relu_prime",
}
_LEAKY = ("leaky_relu", "leaky_relu_prime")
# Ng's g^{[l]}: the function each kind of activation is, and its derivative (identity and
# softplus are written out where they are used).
_LAYER_ACTIVATIONS = {
    "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu",
    "identity": "identity", "softplus": "softplus", "softmax": "softmax",
}
_LAYER_DERIVATIVES = {
    "sigmoid": "sigmoid_prime", "tanh": "tanh_prime", "relu": "relu_prime",
    "leaky_relu": "leaky_relu_prime", "identity": "identity", "softplus": "softplus",
}
_PRODUCTS = {"cdot": "product", "times": "product", "odot": "odot", "circ": "odot"}
# Correlation and convolution as operators: P \star Q slides P over Q (as the derivations print
# W ⋆ x), P \ast Q convolves; _{full} where the windows may overhang the edge.
_SLIDING = {"star": "correlate", "ast": "convolve"}
# Operations on images written as words: \operatorname{maxpool}_{2}(a^{(1)}), \operatorname{rot180}(W).
_IMAGE_WORDS = {
    "flip": "flip", "rot180": "flip", "vec": "vec", "maxpool": "maxpool", "avgpool": "avgpool",
    "upsample": "upsample", "spread": "upsample", "route": "route_argmax", "reshape": "reshape",
    "correlate": "correlate", "convolve": "convolve", "pad": "pad", "dilate": "dilate",
}
_TRANSPOSE = {"top", "intercal", "T"}
_COMPARISONS = {
    ">": ">", "<": "<", "gt": ">", "lt": "<", "geq": ">=", "ge": ">=", "geqslant": ">=",
    "leq": "<=", "le": "<=", "leqslant": "<=",
}
# U, u: an RNN's recurrent weights; h: its states; m: a dropout mask.
_LAYERED = {"W", "w", "U", "u", "b", "z", "a", "h", "m", "delta", "dW", "dw", "dU", "db", "dZ", "dz", "dA", "da"}
_STEMS = _LAYERED | {"x", "y"}
_D_STEMS = set("WwUbZzAa")
# Ng's capitals (the matrices of a batch, here of one sample): A^{[1]} is a^{[1]}.
_CAPITALS = {"A": "a", "Z": "z", "X": "x", "Y": "y"}
# The loss, as the books name it: L, C (Nielsen), E (Bishop), J (Goodfellow, Ng), \ell, \mathcal{L}.
_COSTS = {"L", "C", "E", "J"}
_COST_COMMANDS = {"ell"}
# What ∂L/∂(stem) is: the quantity a derivation's line may name.
_DERIVATIVE_OF = {"z": "delta", "a": "dA", "W": "dW", "w": "dW", "U": "dU", "u": "dU", "b": "db"}
_QUANTITY_OF = {
    "delta": "delta", "dZ": "delta", "dz": "delta", "dA": "dA", "da": "dA", "dW": "dW",
    "dw": "dW", "dU": "dU", "db": "db", "z": "z", "a": "a",
}
# Weights, whose entries have a row and a column: their Python stem (w2_12, u1_21).
_MATRIX_STEMS = {"W": "w", "w": "w", "U": "u", "u": "u"}
# min-char-rnn's names written as subscripts (W_{xh}, W_{hh}, b_h; W_{hy}, b_y of the layer the RNN
# feeds): the Python names the table aliases for the network's one recurrent layer.
_RECURRENT = {("W", "xh"): "Wxh", ("W", "hh"): "Whh", ("b", "h"): "bh", ("W", "hy"): "Why", ("b", "y"): "by"}
# A normalisation's quantities written as Greek letters: γ, β and the batch mean μ.
_NORMALISATION = {"gamma": scale(1).stem, "beta": shift(1).stem, "mu": mean(1).stem}
_EXPLAIN = {
    "partial": r"write ∂L/∂z^{(l)} as \frac{\partial L}{\partial z^{(l)}}, or only the right-hand side",
    "nabla": r"write \nabla_a C (or \nabla_{a^{(L)}} L) for ∂L/∂a^{(L)}",
}


def parse_latex(text: str, table: NameTable, layer: int | None = None) -> tuple[Statement, ...]:
    """Parse LaTeX ``text`` into statements; ``layer`` is what ``l`` means (the parameter's layer)."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected a formula as text, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula has {len(text)} characters; at most {MAX_LENGTH} are accepted"
        )
    groups = lines(tokenize(text))
    if not groups:
        raise ExpressionError("the formula is empty")
    if len(groups) > MAX_STATEMENTS:
        raise ExpressionError(
            f"the derivation has {len(groups)} lines; at most {MAX_STATEMENTS} are accepted"
        )
    normalized = normalize(text)
    assigned: set[str] = set()
    out: list[Statement] = []
    for number_, group in enumerate(groups, start=1):
        line = normalized[group[0].column : group[-1].column].strip()
        segments = _split_at_equals(group)

        def parser(tokens: list[Token]) -> _Parser:
            return _Parser(text, tokens, table, layer, assigned)

        if len(segments) == 1:
            expr = parser(segments[0]).formula()
            out.append(Statement(number_, line, None, None, _indexed(expr, None, (), text, table)))
            continue
        key, indices = parser(segments[0]).target()
        for segment in segments[1:]:
            expr = parser(segment).formula()
            if key is not None and not indices and free_indices(expr):
                raise ExpressionError(
                    f"cannot read {quoted(text)}: the right-hand side has the free indices "
                    f"{', '.join(free_indices(expr))} but the left-hand side has none; name the entry "
                    r"on the left, as in \frac{\partial C}{\partial w^{l}_{jk}} ="
                )
            sizes = table.quantity_shape(key)[: len(indices)] if key is not None else ()
            out.append(Statement(number_, line, key, key, _indexed(expr, indices, sizes, text, table)))
        if key is not None:
            assigned.add(key)
    return tuple(out)


def _split_at_equals(tokens: list[Token]) -> list[list[Token]]:
    """The parts of a line between the = signs outside braces, each closed by an end token."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "symbol" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        if token.kind == "symbol" and token.text == "=" and depth == 0:
            parts[-1].append(Token("end", "", False, token.column))
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _indexed(
    expr: Node, indices: tuple[str, ...] | None, sizes: tuple[int, ...], text: str, table: NameTable
) -> Node:
    """A formula with free index letters as the matrix of its entries.

    With a left-hand side such as ∂C/∂w_{jk}, its letters name the rows and
    columns; a letter on the right that is not on the left is an error (one
    missing on the right means every row, or column, is the same).  Without
    one, the letter that runs over the units of the later layer names the rows
    (∂L/∂w_{jk} = δ⁽ˡ⁾_j a⁽ˡ⁻¹⁾_k, whatever the letters), and where the layers
    do not tell, alphabetical order does (j before k).
    """
    free = free_indices(expr)
    if indices:
        stray = [letter for letter in free if letter not in indices]
        if stray:
            raise ExpressionError(
                f"cannot read {quoted(text)}: the right-hand side has the free index {', '.join(stray)}, "
                f"but the left-hand side has the indices {', '.join(indices)}; an index that is summed needs a \\sum"
            )
        return Table(expr, indices, sizes)
    if not free:
        return expr
    if len(free) > 2:
        raise ExpressionError(f"cannot read {quoted(text)}: more than two free indices ({', '.join(free)})")
    return Table(expr, _rows_then_columns(expr, sorted(free), table))


def _rows_then_columns(expr: Node, letters: list[str], table: NameTable) -> tuple[str, ...]:
    """Two free letters in the order row, column: the one over the later layer's units first
    (when every layer one letter counts units of comes after every layer of the other).

    >>> from symbackprop import models
    >>> from symbackprop.verification.context import names_for
    >>> table = names_for(models.two_two_two())
    >>> _rows_then_columns(BinOp("*", Entry("delta2", ("j",)), Entry("a1", ("i",))), ["i", "j"], table)
    ('j', 'i')
    """
    entries = [node for node in _nodes(expr) if isinstance(node, Entry)]
    if len(letters) != 2 or any(len(table.shapes.get(node.name, ())) != 2 for node in entries):
        return tuple(letters)  # images and sequences keep the alphabetical order
    first, second = (_unit_layers(entries, letter, table.depth) for letter in letters)
    if first and second and min(first) > max(second):
        return tuple(letters)
    if first and second and min(second) > max(first):
        return (letters[1], letters[0])
    return tuple(letters)


class _Parser:
    def __init__(
        self, text: str, tokens: list[Token], table: NameTable, layer: int | None, assigned: set[str]
    ):
        self.text, self.tokens, self.table, self.layer = text, tokens, table, layer
        self.assigned = assigned
        self.pos = 0

    # -- helpers ---------------------------------------------------------------

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"cannot read {quoted(self.text)}: {why}")

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def is_symbol(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "symbol" and token.text == text

    def is_command(self, name: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "command" and token.text == name

    def expect(self, text: str) -> None:
        if not self.is_symbol(text):
            raise self.fail(f"expected {text!r} but found {self.describe(self.peek())}")
        self.take()

    @staticmethod
    def describe(token: Token) -> str:
        if token.kind == "end":
            return "the end of the formula"
        if token.kind == "command":
            return f"\\{token.text}"
        return repr(token.text)

    def check_depth(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.fail(f"it nests deeper than {MAX_DEPTH} levels")

    # -- a line --------------------------------------------------------------------

    def formula(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("a side of an = is empty")
        tree = self.expression(0)
        if self.peek().kind != "end":
            if self.comparison() is not None:
                raise self.fail("a comparison is written in brackets, as in [z^{(1)} > 0]")
            raise self.fail(f"unexpected {self.describe(self.peek())}")
        return check_size(tree, self.text)

    def target(self) -> tuple[str | None, tuple[str, ...]]:
        """What a left-hand side names (a quantity key and index letters); (None, ()) for anything else.

        A derivative (∂L/∂…, ∇…) on the left is never the writer's own shorthand: when it
        cannot be read, that is said, rather than its index letters being dropped.
        """
        if self.is_command("nabla") or (self.is_command("frac") and self.derivative_follows()):
            found = self.named_quantity()
            if found is not None and self.peek().kind != "end":
                raise self.fail(f"unexpected {self.describe(self.peek())} after the left-hand side's ∂L/∂…")
            return found or (None, ())
        try:
            found = self.named_quantity()
        except ExpressionError:
            return None, ()
        if found is None or self.peek().kind != "end":
            return None, ()
        return found

    def named_quantity(self) -> tuple[str, tuple[str, ...]] | None:
        if self.is_command("frac") or self.is_command("nabla"):
            return self.derivative()
        stem = self.stem()
        if stem is None or stem not in _QUANTITY_OF:
            return None
        stem, layer, sub, _ = self.variable_parts(stem)
        if layer is None:
            return None
        return self.quantity_with_indices(_QUANTITY_OF[stem], layer, sub)

    def quantity_with_indices(self, kind: str, layer: int, sub: str | None) -> tuple[str, tuple[str, ...]] | None:
        quantity = self.table.quantity(f"{kind}{layer}")
        if quantity is None:
            return None
        parts = _index_parts(sub) if sub is not None else ()
        if any(not isinstance(p, str) for p in parts):
            return None  # one numbered entry: not a whole quantity
        rows_and_columns = 2 if kind in ("dW", "dU") or self.table.quantity_shape(quantity)[1] > 1 else 1
        if parts and len(parts) != rows_and_columns:
            return None
        return quantity, tuple(parts)

    # -- grammar ---------------------------------------------------------------

    def expression(self, depth: int) -> Node:
        """expression := term (('+' | '-') term)*"""
        self.check_depth(depth)
        node = self.term(depth + 1)
        while self.is_symbol("+") or self.is_symbol("-"):
            op = self.take().text
            node = BinOp(op, node, self.term(depth + 1))
        return node

    def term(self, depth: int) -> Node:
        """term := factor ((\\cdot | \\odot | * | / | juxtaposition) factor)* ; a \\sum takes the rest"""
        self.check_depth(depth)
        node: Node | None = None
        while True:
            if self.is_command("sum") and self.is_symbol("_", 1):
                total = self.index_sum(depth + 1)
                return total if node is None else BinOp("product", node, total)
            if node is None:
                node = self.factor(depth + 1)
                continue
            token = self.peek()
            if token.kind == "symbol" and token.text in "*/":
                self.take()
                op = "/" if token.text == "/" else "product"
                node = BinOp(op, node, self.factor(depth + 1))
            elif token.kind == "command" and token.text == "otimes":  # u ⊗ v: the outer product u vᵀ
                self.take()
                node = Call("outer", (node, self.factor(depth + 1)))
            elif token.kind == "command" and token.text in _PRODUCTS:
                self.take()
                if self.is_command("sum") and self.is_symbol("_", 1):  # x̂ ⊙ Σ_i …: the sum takes the rest
                    return BinOp(_PRODUCTS[token.text], node, self.index_sum(depth + 1))
                node = BinOp(_PRODUCTS[token.text], node, self.factor(depth + 1))
            elif token.kind == "command" and token.text in _SLIDING:
                self.take()
                name = _SLIDING[token.text] + ("_full" if self.full_mode() else "")
                right = self.factor(depth + 1)
                # P ⋆ Q slides P over Q: correlate(Q, P); a convolution commutes.
                node = Call(name, (right, node) if token.text == "star" else (node, right))
            elif self.starts_atom(token):
                node = BinOp("product", node, self.factor(depth + 1))
            else:
                return node

    def index_sum(self, depth: int) -> Node:
        r"""\sum_j, \sum_{j}, \sum_{j=1}^{n}, \sum_{k=1}^{2}: the rest of the term is summed."""
        self.take()
        self.expect("_")
        braced = self.is_symbol("{")
        if braced:
            self.take()
        letter = self.index_letter()
        lower = 1
        if braced and self.is_symbol("="):
            self.take()
            lower = self.digits()
            if lower < 1:
                raise self.fail(f"the sum over {letter} starts at {lower}; indices count from 1 here")
        if braced:
            self.expect("}")
        upper = self.sum_limit() if self.is_symbol("^") else None
        if self.peek().kind == "end" or self.is_symbol("+") or self.is_symbol("-"):
            raise self.fail(f"the sum over {letter} has nothing to sum")
        return Sum(letter, self.term(depth + 1), upper, lower=lower)

    def index_letter(self) -> str:
        token = self.peek()
        if token.kind != "letter" or token.text in _COSTS:
            raise self.fail(f"a sum needs an index letter, as in \\sum_j; found {self.describe(token)}")
        return self.take().text

    def digits(self) -> int:
        text = ""
        while self.peek().kind == "digit":
            text += self.take().text
        if not text:
            raise self.fail(f"expected a number but found {self.describe(self.peek())}")
        return int(text)

    def sum_limit(self) -> int | None:
        """The upper limit: a number is checked against the index's range; n, n_l, N… mean all of it."""
        self.take()
        if not self.is_symbol("{"):
            token = self.take()
            return int(token.text) if token.kind == "digit" else None
        self.take()
        inner: list[Token] = []
        depth = 1
        while True:
            token = self.take()
            if token.kind == "end":
                raise self.fail("the upper limit of the sum is not closed")
            if token.kind == "symbol" and token.text in "{}":
                depth += 1 if token.text == "{" else -1
                if depth == 0:
                    break
            if token.kind not in ("digit", "letter") and not (token.kind == "symbol" and token.text in "_{}+-()[]"):
                raise self.fail(
                    f"the upper limit of a sum is a number or a size such as n or n_{{l}}, not {self.describe(token)}"
                )
            inner.append(token)
        if inner and all(t.kind == "digit" for t in inner):
            return int("".join(t.text for t in inner))
        return None

    def factor(self, depth: int) -> Node:
        self.check_depth(depth)
        if self.is_symbol("-"):
            self.take()
            return Neg(self.factor(depth + 1))
        if self.is_symbol("+"):
            self.take()
            return self.factor(depth + 1)
        return self.postfix(self.atom(depth + 1), depth + 1)

    def starts_atom(self, token: Token) -> bool:
        if token.kind in ("digit", "letter", "word"):
            return True
        if token.kind == "symbol":
            return token.text in "({[."
        return token.kind == "command" and token.text not in _PRODUCTS and token.text not in _COMPARISONS and (
            token.text not in _SLIDING and token.text not in ("otimes", "}")
        )

    def full_mode(self) -> bool:
        r"""After \star or st: _{full}, _{\mathrm{full}}, _{	ext{full}} mark the full mode."""
        if not self.is_symbol("_"):
            return False
        self.take()
        braced = self.is_symbol("{")
        if braced:
            self.take()
        word = ""
        if self.peek().kind == "word":
            word = self.take().text
        else:
            while self.peek().kind == "letter":
                word += self.take().text
        if braced:
            self.expect("}")
        if word != "full":
            raise self.fail(r"a correlation or convolution takes the subscript full or none, as in \star_{\mathrm{full}}")
        return True

    def postfix(self, node: Node, depth: int) -> Node:
        """Superscripts after a group: ^T (transpose) or ^{number} (power)."""
        while self.is_symbol("^"):
            self.take()
            if self.transpose_mark():
                node = Transpose(node)
                continue
            node = power(node, self.argument(depth + 1), self.text)
        if self.is_symbol("_") or self.is_symbol("'"):
            raise self.fail(f"unexpected {self.describe(self.peek())} after a group")
        return node

    def transpose_mark(self) -> bool:
        """Consume T, \\top, {T}, {\\top} … if that is what follows."""
        token = self.peek()
        if (token.kind == "letter" and token.text == "T") or (
            token.kind == "command" and token.text in _TRANSPOSE
        ) or (token.kind == "word" and token.text == "T"):
            self.take()
            return True
        if self.is_symbol("{"):
            inner = self.peek(1)
            is_t = (inner.kind in ("letter", "word") and inner.text == "T") or (
                inner.kind == "command" and inner.text in _TRANSPOSE
            )
            if is_t and self.is_symbol("}", 2):
                self.pos += 3
                return True
        return False

    def argument(self, depth: int) -> Node:
        """A TeX argument: a braced group or one token (so \\frac12 is ½)."""
        self.check_depth(depth)
        if self.is_symbol("{"):
            self.take()
            node = self.expression(depth + 1)
            self.expect("}")
            return node
        token = self.peek()
        if token.kind == "digit":
            self.take()
            return Num(Fraction(int(token.text)))
        if token.kind == "symbol" and token.text == "-":
            self.take()
            return Neg(self.argument(depth + 1))
        return self.atom(depth + 1)

    def atom(self, depth: int) -> Node:
        self.check_depth(depth)
        token = self.peek()
        if token.kind == "digit" or self.is_symbol("."):
            return self.number()
        if token.kind == "symbol" and token.text in "({[":
            return self.group(depth)
        if token.kind == "letter":
            return self.letter(depth)
        if token.kind == "word":
            return self.word(depth)
        if token.kind == "command":
            return self.command(depth)
        raise self.fail(f"unexpected {self.describe(token)}")

    def group(self, depth: int) -> Node:
        """( … ), [ … ] or { … }; with a comparison inside, the 0/1 indicator (Iverson bracket)."""
        closing = {"(": ")", "{": "}", "[": "]"}[self.take().text]
        node = self.expression(depth + 1)
        op = self.comparison()
        if op is not None:
            node = Compare(op, node, self.expression(depth + 1))
        self.expect(closing)
        return node

    def comparison(self) -> str | None:
        """Consume >, <, \\geq, \\le … if one follows; its operator."""
        token = self.peek()
        if token.kind == "symbol" and token.text in "<>":
            self.take()
            if self.is_symbol("="):
                self.take()
                return token.text + "="
            return token.text
        if token.kind == "command" and token.text in _COMPARISONS:
            self.take()
            return _COMPARISONS[token.text]
        return None

    def number(self) -> Node:
        digits = []
        while True:
            token = self.peek()
            if digits and token.space_before:
                break
            if token.kind == "digit" or (token.kind == "symbol" and token.text == "."):
                digits.append(self.take().text)
            else:
                break
        literal = "".join(digits)
        if literal.count(".") > 1 or literal == ".":
            raise self.fail(f"{literal!r} is not a number")
        return number(literal, self.text)

    def command(self, depth: int) -> Node:
        token = self.peek()
        name = token.text
        if name in ("frac", "nabla") and (name == "nabla" or self.derivative_follows()):
            return self.derivative_factor()
        self.take()
        if name in ("frac", "dfrac", "tfrac"):
            top = self.argument(depth + 1)
            return BinOp("/", top, self.argument(depth + 1))
        if name == "sqrt":
            return Call("sqrt", (self.argument(depth + 1),))
        if name in _INDICATORS and self.is_symbol("{") and self.peek(1).text in ("1", "I") and self.is_symbol("}", 2):
            self.pos += 3
            return self.indicator(depth)
        if name in _WRAPPERS:
            # \mathbf{W}^{(2)}: the wrapped letter keeps its superscripts and subscripts.
            inner = self.peek(1)
            if self.is_symbol("{") and self.is_symbol("}", 2) and (
                (inner.kind == "letter" and (inner.text in _STEMS or inner.text in _CAPITALS))
                or (inner.kind == "command" and inner.text == "delta")
            ):
                self.pos += 3
                return self.variable(_CAPITALS.get(inner.text, inner.text))
            return self.argument(depth + 1)
        if name == "hat" and self.is_symbol("{") and self.peek(1).text == "x" and self.is_symbol("}", 2):
            self.pos += 3
            return self.normalisation_quantity("xhat")
        if name in _NORMALISATION:
            return self.normalisation_quantity(_NORMALISATION[name])
        if name == "sigma" and self.batch_subscript_follows():
            return self.batch_spread()
        if name == "sigma" and (spread := self.layer_spread()) is not None:
            return spread
        if name in ("epsilon", "varepsilon"):
            if EPSILON_NAME not in self.table.constants:
                raise self.fail(f"\\{name} is the ε of a normalisation, but this network has none")
            return Num(self.table.constants[EPSILON_NAME])
        if name == "hat":
            inner = self.argument(depth + 1)
            if inner != Name("y"):
                raise self.fail(r"\hat is only understood on y, as \hat{y} = a^{(L)}")
            if self.is_symbol("_"):
                self.take()
                return self.compose("a", self.table.depth, self.index_mark())
            return self.name_node(str(activation(self.table.depth)))
        if name == "delta":
            return self.variable("delta")
        if name == "lambda":
            strength = self.table.constants.get("lam")
            if strength is None:
                raise self.fail(r"\lambda is the L2 strength, but this network has no L2 term")
            return Num(strength)
        if name == "Sigma" and self.is_symbol("'"):  # Nielsen's Σ'(z): the diagonal matrix of σ'(z)
            self.take()
            if not self.is_symbol("("):
                raise self.fail(r"\Sigma' takes its argument in parentheses, as in \Sigma'(z^L)")
            return Call("diag", (Call("sigmoid_prime", (self.atom(depth + 1),)),))
        if name in _FUNCTION_COMMANDS:
            return self.function(_FUNCTION_COMMANDS[name], depth)
        if name == "sum":
            raise self.fail(r"\sum needs its index, as in \sum_j or \sum_{j=1}^{n}; \operatorname{sum}(…) adds every entry")
        if name in _EXPLAIN:
            raise self.fail(f"\\{name} is not understood here: {_EXPLAIN[name]}")
        if name in _TRANSPOSE:
            raise self.fail(f"\\{name} marks a transpose only as a superscript, as in x^{{\\{name}}}")
        raise self.fail(f"unknown LaTeX command \\{name}")

    def indicator(self, depth: int) -> Node:
        r"""After \mathbb{1}: [z > 0], (z > 0) or _{z > 0}."""
        if self.is_symbol("_"):
            self.take()
            self.expect("{")
            left = self.expression(depth + 1)
            op = self.comparison()
            if op is None:
                raise self.fail(r"\mathbb{1} needs a condition, as in \mathbb{1}[z^{(1)} > 0]")
            node = Compare(op, left, self.expression(depth + 1))
            self.expect("}")
            return node
        if self.is_command("{"):  # \mathbb{1}\{z > 0\}, as in set notation
            self.take()
            left = self.expression(depth + 1)
            op = self.comparison()
            if op is None:
                raise self.fail(r"\mathbb{1} needs a condition, as in \mathbb{1}\{z^{(1)} > 0\}")
            node = Compare(op, left, self.expression(depth + 1))
            if not self.is_command("}"):
                raise self.fail(f"expected \\}} but found {self.describe(self.peek())}")
            self.take()
            return node
        if not (self.is_symbol("[") or self.is_symbol("(")):
            raise self.fail(r"\mathbb{1} needs a condition, as in \mathbb{1}[z^{(1)} > 0]")
        node = self.group(depth + 1)
        if not isinstance(node, Compare):
            raise self.fail(r"\mathbb{1} needs a condition, as in \mathbb{1}[z^{(1)} > 0]")
        return node

    def word(self, depth: int) -> Node:
        token = self.take()
        key = token.text.lower()
        if key in _IMAGE_WORDS:
            return self.image_operation(_IMAGE_WORDS[key], depth)
        if key in _FUNCTION_WORDS:
            return self.function(_FUNCTION_WORDS[key], depth)
        if token.text == "e":
            return self.letter_e(depth)
        raise self.fail(f"unknown function {token.text!r}")

    def function(self, name: str, depth: int) -> Node:
        """A function name, optional prime or power, then its argument."""
        exponent = None
        while True:
            if self.is_symbol("'"):
                self.take()
                name = self.derivative_name(name)
            elif self.is_symbol("^"):
                self.take()
                if self.is_command("prime"):
                    self.take()
                    name = self.derivative_name(name)
                elif self.is_symbol("{") and self.is_command("prime", 1):
                    self.pos += 2
                    self.expect("}")
                    name = self.derivative_name(name)
                else:
                    exponent = self.argument(depth + 1)
            else:
                break
        if self.is_symbol("(") or self.is_symbol("{") or self.is_symbol("["):
            arg = self.atom(depth + 1)
        else:
            # \log a^{(2)}: the argument is the next factor without its own juxtapositions.
            if not self.starts_atom(self.peek()):
                raise self.fail(f"the function {name} needs an argument")
            arg = self.postfix(self.atom(depth + 1), depth + 1)
        node: Node = Call(name, (arg, self.slope(name)) if name in _LEAKY else (arg,))
        if exponent is not None:
            node = power(node, exponent, self.text)
        return node

    def image_operation(self, name: str, depth: int) -> Node:
        r"""\operatorname{maxpool}_{2}(a), \operatorname{upsample}(\delta, 2), \operatorname{vec}^{-1}(\delta),
        \operatorname{route}_{\arg\max}(\delta, a), \operatorname{rot180}(W): arguments in parentheses,
        separated by commas; a window size also as a subscript."""
        size: Node | None = None
        inverse = False
        if self.is_symbol("_"):
            self.take()
            if name == "route_argmax":
                self.route_subscript()
            else:
                size = self.argument(depth + 1)
        if name == "vec" and self.is_symbol("^"):
            self.take()
            exponent = self.argument(depth + 1)
            if exponent != Neg(Num(Fraction(1))):
                raise self.fail(r"vec takes the power -1 only: \operatorname{vec}^{-1} puts a column back into an image")
            inverse = True
        if not self.is_symbol("("):
            raise self.fail(f"{name} takes its arguments in parentheses, as in \\operatorname{{{name}}}(…)")
        args = self.call_arguments(depth)
        if size is not None:
            args.append(size)
        if inverse:
            if len(args) != 1:
                raise self.fail(r"\operatorname{vec}^{-1} takes one argument")
            return Call("unvec", (args[0],))  # the shape checker knows which image it gives back
        low, high = FUNCTIONS[name].arity
        if not low <= len(args) <= high:
            count = str(low) if low == high else f"{low} to {high}"
            raise self.fail(f"{name} takes {count} arguments (a window size may be a subscript), got {len(args)}")
        return Call(name, tuple(args))

    def route_subscript(self) -> None:
        r"""_{\arg\max}, _{\max}, _{argmax} or _\max after route."""
        if not self.is_symbol("{"):
            words = [self.take().text]
        else:
            self.take()
            words = []
            while not self.is_symbol("}") and self.peek().kind != "end":
                words.append(self.take().text)
            self.expect("}")
        if "".join(words) not in ("argmax", "max"):
            raise self.fail(r"route takes the subscript \arg\max, as in \operatorname{route}_{\arg\max}(\delta, a)")

    def call_arguments(self, depth: int) -> list[Node]:
        """( expression , expression … )"""
        self.expect("(")
        args = [self.expression(depth + 1)]
        while self.is_symbol(","):
            self.take()
            args.append(self.expression(depth + 1))
        self.expect(")")
        return args

    def slope(self, name: str) -> Num:
        slope = self.table.slope()
        if slope is None:
            raise self.fail(
                f"this network's leaky ReLU layers have different slopes; write {name}(z1, slope) in the Python syntax"
            )
        return Num(slope)

    def derivative_name(self, name: str) -> str:
        if name not in _DERIVATIVES:
            raise self.fail(
                f"the derivative {name}' is not known; known are \\sigma', \\tanh', ReLU', LReLU'"
            )
        return _DERIVATIVES[name]

    def letter(self, depth: int) -> Node:
        token = self.peek()
        if token.text == "e":
            self.take()
            return self.letter_e(depth)
        if token.text in self.table.constants and token.text in SIZE_NAMES and not (
            self.is_symbol("^", 1) or self.is_symbol("_", 1)
        ):  # N, and the H and W of a batch of images (W with a layer is a weight)
            self.take()
            return Num(self.table.constants[token.text])
        if token.text == "g" and (self.is_symbol("^", 1) or self.is_symbol("'", 1) or self.is_symbol("(", 1)):
            return self.layer_activation(depth)
        samples = self.table.sample_count(token.text)
        if samples is not None:  # Ng's 1/m
            self.take()
            return Num(samples)
        if token.text == "n" and (self.is_symbol("_", 1) or self.is_symbol("^", 1)):
            self.take()
            return Num(Fraction(self.table.units(self.size_layer())))
        if token.text == "n":
            raise self.fail(
                "n alone does not say what it counts (in Nielsen's cost it is the number of samples); "
                "write the number of units of the last layer as n_L, or the number itself"
            )
        stem = self.stem()
        if stem is None:
            self.take()
            if token.text in _COSTS:
                raise self.fail(
                    f"{token.text} (the loss) appears only in ∂{token.text}/∂…, as in "
                    f"\\frac{{\\partial {token.text}}}{{\\partial z^{{(l)}}}}, or in \\nabla_a {token.text}"
                )
            raise self.fail(f"unknown name {token.text!r}; known names are {self.table.known}")
        return self.variable(stem)

    def layer_activation(self, depth: int) -> Node:
        r"""Ng's g^{[l]}(z) and g^{[l]\prime}(z) (also g^{[l]'}, g'^{[l]}, g'(z^{[l]})): the activation
        of layer l and its derivative, whatever that layer's activation is."""
        self.take()
        layer, prime = None, False
        while True:
            if self.is_symbol("'"):
                self.take()
                prime = True
            elif self.is_symbol("^"):
                self.take()
                braced = self.is_symbol("{")
                if braced:
                    self.take()
                if not self.is_command("prime"):
                    layer = self.activation_layer()
                if self.is_command("prime") or (braced and self.is_symbol("'")):
                    self.take()
                    prime = True
                if braced:
                    self.expect("}")
            else:
                break
        if not self.is_symbol("("):
            raise self.fail(r"g takes its argument in parentheses, as in g^{[1]\prime}(z^{[1]})")
        arg = self.atom(depth + 1)
        if layer is None:
            if not (isinstance(arg, Name) and arg.id.startswith("z")):
                raise self.fail(r"g needs its layer, as in g^{[1]\prime}(z^{[1]})")
            layer = int(Quantity.parse(arg.id).layer)  # type: ignore[arg-type]
        if not 1 <= layer <= self.table.depth:
            raise self.fail(f"g^{{[{layer}]}}: this network has layers 1 to {self.table.depth}")
        kind, slope = self.table.activations[layer - 1]
        form = _LAYER_DERIVATIVES.get(kind) if prime else _LAYER_ACTIVATIONS.get(kind)
        if form is None:
            what = "the derivative of " if prime else ""
            raise self.fail(
                f"g^{{[{layer}]}}: {what}layer {layer}'s activation ({kind}) cannot be written as g here; "
                "write it out"
            )
        if kind == "identity":
            return Num(Fraction(1)) if prime else arg
        if kind == "softplus":
            return Call("sigmoid", (arg,)) if prime else Call("log", (BinOp("+", Num(Fraction(1)), Call("exp", (arg,))),))
        return Call(form, (arg, Num(slope)) if form in _LEAKY else (arg,))  # type: ignore[arg-type]

    def activation_layer(self) -> int:
        """After g^: [1], (1), 1, l, L."""
        closing = {"(": ")", "[": "]"}.get(self.peek().text) if self.peek().kind == "symbol" else None
        if closing:
            self.take()
        layer = self.layer_number(long=True)
        if layer is None:
            raise self.fail(r"g^{…} takes a layer, as in g^{[1]}(z^{[1]}) or g^{[1]\prime}(z^{[1]})")
        if closing:
            self.expect(closing)
        return layer

    def size_layer(self) -> int:
        """After n: _L, _{l-1}, _2, ^{[L]}, ^{(l)}: the layer whose number of units is meant."""
        mark = self.take().text
        if mark == "^":
            found = self.layer_mark()
            if found is None or found[1]:
                raise self.fail("n^{[l]} is the number of units of layer l; write its layer as n^{[2]} or n_L")
            layer = found[0]
        else:
            braced = self.is_symbol("{")
            if braced:
                self.take()
            number = self.layer_number(long=braced)
            if number is None or (braced and not self.is_symbol("}")):
                raise self.fail("n_l is the number of units of layer l; write its layer as n_L, n_{l-1} or n_2")
            if braced:
                self.take()
            layer = number
        if not 0 <= layer <= self.table.depth:
            raise self.fail(f"n_{{{layer}}}: this network has layers 0 to {self.table.depth}")
        return layer

    def letter_e(self, depth: int) -> Node:
        if self.is_symbol("^"):
            self.take()
            return Call("exp", (self.argument(depth + 1),))
        return Call("exp", (Num(Fraction(1)),))

    # -- names: stems, layers, indices ---------------------------------------------------

    def stem(self) -> str | None:
        """Consume the stem of a name (W, a, \\delta, Ng's dW …), or None when none starts here."""
        token = self.peek()
        if token.kind == "command" and token.text == "delta":
            self.take()
            return "delta"
        if token.kind == "command" and token.text in _WRAPPERS and self.is_symbol("{", 1) and self.is_symbol("}", 3):
            inner = self.peek(2)
            if inner.text in _STEMS or inner.text == "delta" or inner.text in _CAPITALS:
                self.pos += 4
                return _CAPITALS.get(inner.text, inner.text)
        if token.kind != "letter":
            return None
        following = self.peek(1)
        if token.text == "d" and following.kind == "letter" and following.text in _D_STEMS and not following.space_before:
            self.pos += 2
            return "d" + following.text
        if token.text in _STEMS or token.text in _CAPITALS:
            self.take()
            return _CAPITALS.get(token.text, token.text)
        return None

    def variable(self, stem: str) -> Node:
        """A name with its layer, entry or index letters and transpose marks, in any order."""
        stem, layer, sub, transposed = self.variable_parts(stem)
        node = self.compose(stem, layer, sub)
        return Transpose(node) if transposed else node

    def variable_parts(self, stem: str) -> tuple[str, int | None, str | None, bool]:
        """(stem, layer, subscript, transposed); W_{hh} comes back as the stem U and its layer."""
        layer: int | None = None
        sub: str | None = None
        transposed = False
        while True:
            if self.is_symbol("^"):
                save = self.pos
                self.take()
                if self.transpose_mark():
                    transposed = not transposed
                    continue
                found = self.layer_mark() if stem in _LAYERED else None
                if found is None:
                    self.pos = save  # a power: left to the caller's postfix
                    break
                if layer is not None:
                    raise self.fail(
                        f"{stem} has two superscripts; a superscript on {stem} is its layer, "
                        f"so write (…)^{{2}} around it for a power"
                    )
                layer, t = found
                transposed ^= t
            elif self.is_symbol("_"):
                self.take()
                if sub is not None:
                    raise self.fail(f"{stem} has two subscripts")
                sub = self.index_mark()
            else:
                break
        if layer is None and sub is not None and stem in _LAYERED:
            if (stem, sub) in _RECURRENT:
                stem, layer = self.recurrent_parameter(stem, sub)
                return stem, layer, None, transposed
            # W_2, a_1, \delta_2: a subscript without a layer superscript is the layer.
            if not sub.isdigit():
                raise self.fail(f"{_shown(stem)}_{{{sub}}} needs a layer, e.g. {_shown(stem)}^{{(2)}}_{{{sub}}}")
            layer, sub = int(sub), None
        return stem, layer, sub, transposed

    def recurrent_parameter(self, stem: str, sub: str) -> tuple[str, int]:
        """W_{xh}, W_{hh}, b_h (and W_{hy}, b_y): the stem and layer of the parameter they name."""
        written = f"{_shown(stem)}_{{{sub}}}"
        canonical = self.table.aliases.get(_RECURRENT[stem, sub])
        if canonical is None:
            raise self.fail(
                f"{written} names a parameter of the one recurrent layer of a network (or of the dense layer "
                f"it feeds), and this network has no such layer: write the layer, as in {_shown(stem)}^{{(1)}}"
            )
        which = Quantity.parse(canonical)
        return which.stem, which.layer

    def layer_mark(self) -> tuple[int, bool] | None:
        """After ^: (2), [2], {(2)}, {[2]}, {2}, 2, l, L, {l-1}, {(l+1)T}, {[2]T}; None for anything else."""
        start = self.pos
        braced = self.is_symbol("{")
        if braced:
            self.take()
        closing = {"(": ")", "[": "]"}.get(self.peek().text) if self.peek().kind == "symbol" else None
        if closing:
            self.take()
        layer = self.layer_number(long=braced or closing is not None)
        if layer is None or (closing and not self.is_symbol(closing)):
            self.pos = start
            return None
        if closing:
            self.take()
        transposed = False
        if braced:
            transposed = self.transpose_mark()
            if not self.is_symbol("}"):
                self.pos = start
                return None
            self.take()
        return layer, transposed

    def layer_number(self, long: bool) -> int | None:
        """2, 12 (in braces), l, L, l-1, L+1: the layer, or None when this is not one."""
        token = self.peek()
        if token.kind == "digit":
            value = int(self.take().text)
            while long and self.peek().kind == "digit":
                value = value * 10 + int(self.take().text)
            return value
        if token.kind != "letter" or token.text not in ("l", "L"):
            return None
        self.take()
        if token.text == "L":
            value = self.table.depth
        elif self.layer is None:
            raise self.fail("l stands for the layer of the parameter asked about; here there is none, give a number")
        else:
            value = self.layer
        if long and (self.is_symbol("-") or self.is_symbol("+")) and self.peek(1).kind == "digit":
            sign = -1 if self.take().text == "-" else 1
            value += sign * self.digits()
        return value

    def index_mark(self) -> str:
        """_{12}, _{1,2}, _1, _j, _{jk}, _{j,k}: numbers (1-based) or index letters."""
        token = self.peek()
        if token.kind in ("digit", "letter") and token.text not in _COSTS:
            return self.take().text
        if not self.is_symbol("{"):
            raise self.fail("a subscript must be numbers or index letters, such as _{12}, _{jk} or _j")
        self.take()
        text = ""
        while self.peek().kind in ("digit", "letter") or self.is_symbol(",") or self.is_symbol("+") or self.is_symbol("-"):
            text += self.take().text
        if not text or not self.is_symbol("}"):
            raise self.fail("a subscript must be numbers or index letters, such as _{12}, _{jk} or _j")
        self.take()
        return text

    def compose(self, stem: str, layer: int | None, sub: str | None) -> Node:
        matrix = self.matrix_name(stem, layer)
        if sub is None:
            return self.name_node(matrix)
        if any(ch.isalpha() for ch in sub):
            key = self.name_node(matrix)
            assert isinstance(key, Name)
            return Entry(key.id, self.steps(key.id, _index_parts(sub)))
        parts = sub.split(",") if "," in sub else [sub]
        scalar_stem = _MATRIX_STEMS.get(stem, stem)
        joined = "_".join(parts)
        name = f"{scalar_stem}{joined}" if layer is None else f"{scalar_stem}{layer}_{joined}"
        return self.name_node(name)

    def steps(self, name: str, parts: list[str | int | Offset]) -> tuple[str | int | Offset, ...]:
        r"""In a sequence's subscript T is the last step: \delta_T, h_{T-1}."""
        if name not in self.table.sequences:
            return tuple(parts)
        last = self.table.shapes[name][0]
        out: list[str | int | Offset] = []
        for part in parts:
            if part == "T":
                part = last - 1
            elif isinstance(part, Offset) and "T" in part.letters:
                terms = tuple((letter, c) for letter, c in part.terms if letter != "T")
                constant = part.constant + sum(c * last for letter, c in part.terms if letter == "T")
                part = Offset(terms, constant) if terms else constant - 1
            out.append(part)
        return tuple(out)

    # -- a normalisation's quantities: γ, β, μ_B, σ_B², x̂ ---------------------------------------

    def normalisation_quantity(self, stem: str) -> Node:
        r"""\gamma^{(2)}, \mu_B, \hat{x}_i …: the layer given, or the network's one normalisation;
        a subscript B (Ioffe and Szegedy's batch) is only a mark, a letter a sample of the batch."""
        layer, sub = self.layer_or_only(stem), None
        if self.is_symbol("_"):
            self.take()
            sub = self.index_mark()
            if sub == "B":
                sub = None
        name = str(Quantity(stem, layer))
        node = self.name_node(name)
        if sub is None:
            return node
        if not sub.isalpha() or len(sub) != 1:
            raise self.fail(f"{_shown(stem)} takes one index letter, for a sample of the batch")
        return Entry(name, (sub,))

    def layer_or_only(self, stem: str) -> int:
        """The layer written as a superscript, or the only layer with such a quantity."""
        if self.is_symbol("^"):
            save = self.pos
            self.take()
            found = self.layer_mark()
            if found is not None:
                return found[0]
            self.pos = save
        layers = [layer for layer in range(1, self.table.depth + 1) if str(Quantity(stem, layer)) in self.table.shapes]
        if len(layers) != 1:
            raise self.fail(
                f"{_shown(stem)} needs its layer, e.g. {_shown(stem)}^{{(2)}}" if layers
                else f"this network has no normalisation, so no {_shown(stem)}"
            )
        return layers[0]

    def batch_subscript_follows(self) -> bool:
        r"""After \sigma: _B, _{B}, ^2_B, ^{2}_{B} (σ_B, σ_B²) rather than the logistic function."""
        ahead = 0
        if self.is_symbol("^"):
            ahead = 4 if self.is_symbol("{", 1) else 2
        return self.is_symbol("_", ahead) and (
            self.peek(ahead + 1).text == "B" or (self.is_symbol("{", ahead + 1) and self.peek(ahead + 2).text == "B")
        )

    def layer_spread(self) -> Node | None:
        r"""After \sigma: ^{(l)} of a normalisation layer l with no argument after it — σ⁽ˡ⁾ = √(σ² + ε),
        as ``derive`` prints it (with an argument, \sigma^{(l)}(…) stays the logistic function); else None."""
        start = self.pos
        if self.is_symbol("^"):
            self.take()
            found = self.layer_mark()
            if found is not None and not found[1]:
                name = str(deviation(found[0]))
                if name in self.table.shapes and not self.starts_atom(self.peek()) and not self.is_command("left"):
                    return self.name_node(name)
        self.pos = start
        return None

    def batch_spread(self) -> Node:
        r"""σ_B (the deviation √(σ² + ε)) or σ_B² (the variance), written either way round."""
        squared = False
        for _ in range(2):
            if self.is_symbol("^"):
                self.take()
                exponent = self.argument(0)
                if exponent != Num(Fraction(2)):
                    raise self.fail(r"σ_B takes the power 2 only: \sigma_B^2 is the batch's variance")
                squared = True
            elif self.is_symbol("_"):
                self.take()
                if self.index_mark() != "B":
                    raise self.fail(r"write the batch's variance as \sigma_B^2")
        stem = variance(1).stem if squared else deviation(1).stem
        return self.name_node(str(Quantity(stem, self.layer_or_only(stem))))

    def matrix_name(self, stem: str, layer: int | None) -> str:
        if stem in ("x", "y"):
            return stem
        if layer is None:
            raise self.fail(f"{_shown(stem)} needs a layer, e.g. {_shown(stem)}^{{(1)}}")
        return f"{stem.upper() if stem in ('w', 'u') else stem}{layer}"

    def name_node(self, name: str) -> Node:
        quantity = self.table.quantity(name)
        if quantity is not None and quantity in self.assigned:
            return Name(quantity)
        canonical = self.table.resolve(name)
        if not canonical:
            if quantity is not None:
                raise self.fail(f"{name} is used before a line defines it")
            raise self.fail(f"unknown name {name!r}; known names are {self.table.known}")
        return Name(canonical)

    # -- derivatives: ∂L/∂z as a factor or a left-hand side ---------------------------------

    def derivative_follows(self) -> bool:
        return self.is_symbol("{", 1) and self.is_command("partial", 2)

    def derivative(self) -> tuple[str, tuple[str, ...]] | None:
        r"""\frac{\partial L}{\partial v} or \nabla_v L: (quantity, index letters), None when not recognised."""
        if self.is_command("nabla"):
            self.take()
            self.expect("_")
            braced = self.is_symbol("{")
            if braced:
                self.take()
            found = self.derivative_target(allow_bare_a=True)
            if braced:
                self.expect("}")
            self.cost()
            return found
        self.take()
        self.expect("{")
        if not self.is_command("partial"):
            return None
        self.take()
        self.cost()
        self.expect("}")
        self.expect("{")
        if not self.is_command("partial"):
            raise self.fail(r"∂L/∂… needs \partial below too, as in \frac{\partial L}{\partial z^{(1)}}")
        self.take()
        found = self.derivative_target(allow_bare_a=False)
        self.expect("}")
        return found

    def cost(self) -> None:
        r"""The loss after ∂ or ∇: L, C, E, J, \ell, \mathcal{L}."""
        if self.is_command("mathcal") and self.is_symbol("{", 1) and self.is_symbol("}", 3):
            self.pos += 1
            self.take()
            token = self.take()
            self.take()
            if token.kind == "letter" and token.text in _COSTS:
                return
        else:
            token = self.take()
            if (token.kind == "letter" and token.text in _COSTS) or (
                token.kind == "command" and token.text in _COST_COMMANDS
            ):
                return
        raise self.fail(f"expected the loss (L, C, E or J) after ∂ or ∇, found {self.describe(token)}")

    def derivative_target(self, allow_bare_a: bool) -> tuple[str, tuple[str, ...]] | None:
        if self.is_command("hat"):
            self.take()
            if self.argument(0) != Name("y"):
                raise self.fail(r"\hat is only understood on y")
            return str(activation_gradient(self.table.depth)), ()
        if self.peek().kind == "command" and self.peek().text in ("gamma", "beta"):  # ∂L/∂γ⁽ˡ⁾, ∂L/∂β⁽ˡ⁾
            stem = self.take().text
            layer = self.layer_or_only(stem)
            return self.quantity_with_indices(f"d{stem}", layer, None)
        stem = self.stem()
        if stem not in _DERIVATIVE_OF:
            raise self.fail(
                "∂L/∂… is understood for z, a, W, w, b, \\gamma and \\beta, as in \\frac{\\partial L}{\\partial z^{(1)}}"
            )
        stem, layer, sub, _ = self.variable_parts(stem)
        if layer is None:
            if not (allow_bare_a and stem == "a"):
                raise self.fail(f"∂L/∂{stem} needs the layer, e.g. {stem}^{{(1)}}")
            layer = self.table.depth
        return self.quantity_with_indices(_DERIVATIVE_OF[stem], layer, sub)

    def derivative_factor(self) -> Node:
        found = self.derivative()
        if found is None:
            raise self.fail(r"expected ∂L/∂…, as in \frac{\partial L}{\partial z^{(1)}}")
        quantity, indices = found
        if quantity.startswith(("dW", "db")) and quantity not in self.assigned:
            raise self.fail(
                "∂L/∂W and ∂L/∂b are what a formula derives; they can be used only after a line defines them"
            )
        node = self.name_node(quantity)
        if indices:
            assert isinstance(node, Name)
            return Entry(node.id, indices)
        return node


def _nodes(expr: Node) -> list[Node]:
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children(node))
    return out


def _unit_layers(entries: list[Entry], letter: str, depth: int) -> set[int]:
    """The layers whose units ``letter`` counts: 2 in δ⁽²⁾_j, 1 for k in w⁽²⁾_jk, 0 in x_k."""
    found: set[int] = set()
    for node in entries:
        for position, index in enumerate(node.indices):
            if index != letter:
                continue
            try:
                which = Quantity.parse(node.name)
            except ValueError:
                continue  # the writer's own name: its units are not known
            if which.layer is None:
                found.add(0 if which.stem == "x" else depth)
            else:
                found.add(int(which.layer) - (position if which.stem in ("W", "dW") else 0))
    return found


def _index_parts(sub: str) -> list[str | int | Offset]:
    """``jk`` -> [j, k]; ``j,1`` -> [j, 0] (numbers 0-based); ``i+u-1,j+v-1`` -> two offsets."""
    if "," in sub:
        parts = sub.split(",")
    elif "+" in sub or "-" in sub:
        parts = [sub]
    else:
        parts = list(sub)
    return [_index(p) for p in parts]


_TERM = re.compile(r"([+-]?)(\d*)([a-zA-Z]?)")  # T: the last step of a sequence


def _index(part: str) -> str | int | Offset:
    """One index: a letter, a number (kept 0-based) or a sum such as i+u-1 or 2i-1."""
    if part.isalpha() and len(part) == 1:
        return part
    if part.isdigit():
        return int(part) - 1
    terms: dict[str, int] = {}
    constant, pos = 0, 0
    while pos < len(part):
        m = _TERM.match(part, pos)
        if m is None or m.end() == pos or (pos > 0 and not m.group(1)):
            raise ExpressionError(f"cannot read the index {part!r}: write a sum of letters and numbers such as i+u-1")
        sign = -1 if m.group(1) == "-" else 1
        if m.group(3):
            terms[m.group(3)] = terms.get(m.group(3), 0) + sign * int(m.group(2) or 1)
        elif m.group(2):
            constant += sign * int(m.group(2))
        else:
            raise ExpressionError(f"cannot read the index {part!r}: write a sum of letters and numbers such as i+u-1")
        pos = m.end()
    return Offset(tuple((letter, c) for letter, c in terms.items() if c), constant)


def _shown(stem: str) -> str:
    return "\\delta" if stem == "delta" else stem

