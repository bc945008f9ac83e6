r"""The LaTeX syntax: ``\delta^{(2)} \left(a^{(1)}\right)^{\top}`` and friends.

A hand-written tokenizer and recursive-descent parser for the notation of
DESIGN.md, producing the same :mod:`~symbackprop.verification.nodes` tree as the
Python-like syntax.  Off-the-shelf LaTeX readers silently misread ``\odot``,
transposes and ``\partial``; here every command is either known or refused.

* names: ``x``, ``y``, ``W^{(l)}``, ``b^{(l)}``, ``z^{(l)}``, ``a^{(l)}``,
  ``\delta^{(l)}``, ``\hat{y}`` (the output a⁽ᴸ⁾); ``W_2`` also means W⁽²⁾;
  entries ``w^{(2)}_{12}``, ``a^{(1)}_{2}``, ``x_1``;
* transpose ``^T``, ``^{\top}``, ``^{\intercal}``, ``^{\mathsf{T}}``, also
  together with the layer: ``W^{(2)T}``;
* products: juxtaposition, ``\cdot``, ``\times`` (matrix product, or scaling
  by a number), ``\odot`` / ``\circ`` (elementwise), ``/`` and ``\frac``;
* functions: ``\sigma`` (the logistic function), ``\sigma'``, ``\tanh``,
  ``\tanh'``, ``\exp``, ``\log``, ``\ln``, ``\sqrt``, ``e^{…}``,
  ``\operatorname{ReLU}`` (also ``\mathrm``/``\text``), ``\operatorname{softmax}``;
* ``\left( … \right)``, braces, spacing commands; a left-hand side before
  ``=`` is ignored; pasted Unicode (δ, σ, ⊙, ·, ᵀ, −) reads as its LaTeX.

>>> from symbackprop.verification.nodes import show
>>> show(parse_latex(r"\delta^{(2)} \left(a^{(1)}\right)^{\top}", lambda n: n))
'delta2 a1.T'
>>> show(parse_latex(r"(W^{(2)T} \delta^{(2)}) \odot \sigma'(z^{(1)})", lambda n: n))
'W2.T delta2 ⊙ sigmoid_prime(z1)'
>>> show(parse_latex(r"w^{(2)}_{12}", lambda n: n))
'w2_12'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from ..errors import ExpressionError
from .nodes import (
    BinOp,
    Call,
    Name,
    Neg,
    Node,
    Num,
    Transpose,
    check_size,
    number,
    power,
    quoted,
)

MAX_LENGTH = 2000
MAX_DEPTH = 100

# Commands that only change how something looks.
_IGNORED = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "biggl", "biggr", "Biggl", "Biggr", ",", ";", ":", "!", " ", "quad", "qquad",
    "displaystyle", "textstyle", "limits",
}
# Commands whose braced argument is the thing itself (\mathbf{W} is W).
_WRAPPERS = {"mathbf", "boldsymbol", "bm", "vec", "mathit", "mathbfit", "pmb"}
_WORD_COMMANDS = {"operatorname", "mathrm", "text", "textrm", "mathsf", "mathop"}
_FUNCTION_COMMANDS = {"sigma": "sigmoid", "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log"}
_FUNCTION_WORDS = {
    "relu": "relu", "softmax": "softmax", "sigmoid": "sigmoid", "sum": "sum",
    "exp": "exp", "log": "log", "tanh": "tanh",
}
_DERIVATIVES = {"sigmoid": "sigmoid_prime", "tanh": "tanh_prime", "relu": "relu_prime"}
_PRODUCTS = {"cdot": "product", "times": "product", "odot": "odot", "circ": "odot"}
_TRANSPOSE = {"top", "intercal", "mathsf{T}", "mathrm{T}", "T"}
_STEMS = {"W", "w", "b", "z", "a", "x", "y", "delta"}
_EXPLAIN = {
    "partial": "write only the right-hand side of ∂L/∂θ = …",
    "sum": r"index sums are not supported; write the matrix form or \operatorname{sum}(…)",
    "nabla": r"write ∇ₐL out, e.g. a^{(L)} - y",
}

_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<command>\\(?:[A-Za-z]+|.))|(?P<digit>[0-9])|(?P<letter>[A-Za-z])"
    r"|(?P<symbol>[-+*/^_(){}\[\]',.=|])"
)


@dataclass(frozen=True)
class Token:
    kind: str  # command, digit, letter, symbol, word (\operatorname{…}), end
    text: str
    space_before: bool = False


# Unicode that people paste from rendered math, read as the LaTeX it stands for.
_UNICODE = {
    "δ": r"\delta ", "σ": r"\sigma ", "⊙": r"\odot ", "∘": r"\circ ", "·": r"\cdot ",
    "⋅": r"\cdot ", "×": r"\times ", "ᵀ": "^T", "⊤": r"\top ", "−": "-", "′": "'",
}


def tokenize(text: str) -> list[Token]:
    """Split LaTeX into tokens, dropping spacing and sizing commands."""
    text = "".join(_UNICODE.get(ch, ch) for ch in text)
    tokens: list[Token] = []
    pos, space = 0, False
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExpressionError(f"cannot read {quoted(text)}: unexpected character {text[pos]!r}")
        pos = m.end()
        kind = m.lastgroup
        value = m.group()
        if kind == "space":
            space = True
            continue
        if kind == "command":
            name = value[1:]
            if name in _IGNORED:
                space = True
                continue
            if name in _WORD_COMMANDS:
                word, pos = _braced_word(text, pos)
                tokens.append(Token("word", word, space))
                space = False
                continue
        tokens.append(Token(kind, value[1:] if kind == "command" else value, space))
        space = False
    tokens.append(Token("end", ""))
    return tokens


def _braced_word(text: str, pos: int) -> tuple[str, int]:
    m = re.compile(r"\s*\{\s*([A-Za-z]+)\s*\}").match(text, pos)
    if m is None:
        raise ExpressionError(
            f"cannot read {quoted(text)}: \\operatorname, \\mathrm and \\text take a word in braces"
        )
    return m.group(1), m.end()


def parse_latex(text: str, resolve: Callable[[str], str | None | bool], known: str = "") -> Node:
    """Parse LaTeX ``text``; ``resolve(name)`` gives the canonical name or a false value."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected a formula as text, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula has {len(text)} characters; at most {MAX_LENGTH} are accepted"
        )
    tokens = tokenize(text)
    # A left-hand side such as \frac{\partial L}{\partial W^{(1)}} = … is dropped.
    equals = [i for i, t in enumerate(tokens) if t.kind == "symbol" and t.text == "="]
    if equals:
        tokens = tokens[equals[-1] + 1 :]
    if len(tokens) == 1:
        raise ExpressionError("the formula is empty")
    parser = _Parser(text, tokens, resolve, known)
    tree = parser.expression(0)
    if parser.peek().kind != "end":
        raise parser.fail(f"unexpected {parser.describe(parser.peek())}")
    return check_size(tree, text)


class _Parser:
    def __init__(self, text: str, tokens: list[Token], resolve: Callable, known: str):
        self.text, self.tokens, self.resolve, self.known = text, tokens, resolve, known
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
        """term := factor ((\\cdot | \\odot | * | / | juxtaposition) factor)*"""
        node = self.factor(depth + 1)
        while True:
            token = self.peek()
            if token.kind == "symbol" and token.text in "*/":
                self.take()
                op = "/" if token.text == "/" else "product"
                node = BinOp(op, node, self.factor(depth + 1))
            elif token.kind == "command" and token.text in _PRODUCTS:
                self.take()
                node = BinOp(_PRODUCTS[token.text], node, self.factor(depth + 1))
            elif self.starts_atom(token):
                node = BinOp("product", node, self.factor(depth + 1))
            else:
                return node

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
        return token.kind == "command" and token.text not in _PRODUCTS

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
            closing = {"(": ")", "{": "}", "[": "]"}[token.text]
            self.take()
            node = self.expression(depth + 1)
            self.expect(closing)
            return node
        if token.kind == "letter":
            return self.letter(depth)
        if token.kind == "word":
            return self.word(depth)
        if token.kind == "command":
            return self.command(depth)
        raise self.fail(f"unexpected {self.describe(token)}")

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
        token = self.take()
        name = token.text
        if name in ("frac", "dfrac", "tfrac"):
            top = self.argument(depth + 1)
            return BinOp("/", top, self.argument(depth + 1))
        if name == "sqrt":
            return Call("sqrt", (self.argument(depth + 1),))
        if name in _WRAPPERS:
            # \mathbf{W}^{(2)}: the wrapped letter keeps its superscripts and subscripts.
            inner = self.peek(1)
            if self.is_symbol("{") and self.is_symbol("}", 2) and (
                (inner.kind == "letter" and inner.text in _STEMS)
                or (inner.kind == "command" and inner.text == "delta")
            ):
                self.pos += 3
                return self.variable(inner.text)
            return self.argument(depth + 1)
        if name == "hat":
            inner = self.argument(depth + 1)
            if inner != Name(self.resolve("y") or "y"):
                raise self.fail(r"\hat is only understood on y, as \hat{y} = a^{(L)}")
            return self.name_node("yhat")
        if name == "delta":
            return self.variable("delta")
        if name in _FUNCTION_COMMANDS:
            return self.function(_FUNCTION_COMMANDS[name], depth)
        if name in _EXPLAIN:
            raise self.fail(f"\\{name} is not understood here: {_EXPLAIN[name]}")
        raise self.fail(f"unknown LaTeX command \\{name}")

    def word(self, depth: int) -> Node:
        token = self.take()
        key = token.text.lower()
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
                name = self.derivative(name)
            elif self.is_symbol("^"):
                self.take()
                if self.peek().kind == "command" and self.peek().text == "prime":
                    self.take()
                    name = self.derivative(name)
                elif self.is_symbol("{") and self.peek(1).kind == "command" and self.peek(1).text == "prime":
                    self.pos += 2
                    self.expect("}")
                    name = self.derivative(name)
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
        node: Node = Call(name, (arg,))
        if exponent is not None:
            node = power(node, exponent, self.text)
        return node

    def derivative(self, name: str) -> str:
        if name not in _DERIVATIVES:
            raise self.fail(f"the derivative {name}' is not known; known are \\sigma', \\tanh', ReLU'")
        return _DERIVATIVES[name]

    def letter(self, depth: int) -> Node:
        token = self.take()
        if token.text == "e":
            return self.letter_e(depth)
        if token.text not in _STEMS:
            hint = f"; known names are {self.known}" if self.known else ""
            raise self.fail(f"unknown name {token.text!r}{hint}")
        return self.variable(token.text)

    def letter_e(self, depth: int) -> Node:
        if self.is_symbol("^"):
            self.take()
            return Call("exp", (self.argument(depth + 1),))
        return Call("exp", (Num(Fraction(1)),))

    def variable(self, stem: str) -> Node:
        """A name with its layer ^{(l)}, entry _{jk} and transpose marks, in any order."""
        layer: str | None = None
        indices: str | None = None
        transposed = False
        while True:
            if self.is_symbol("^"):
                save = self.pos
                self.take()
                if self.transpose_mark():
                    transposed = not transposed
                    continue
                found = self.layer_mark()
                if found is None:
                    self.pos = save  # a power: left to the caller's postfix
                    break
                if layer is not None:
                    raise self.fail(f"{stem} has two layer superscripts")
                layer, t = found
                transposed ^= t
            elif self.is_symbol("_"):
                self.take()
                if indices is not None:
                    raise self.fail(f"{stem} has two subscripts")
                indices = self.index_mark()
            else:
                break
        if layer is None and indices is not None and stem in ("W", "b", "z", "a", "delta"):
            # W_2, a_1, \delta_2: a subscript without a layer superscript is the layer.
            if "," in indices:
                raise self.fail(f"{stem}_{{{indices}}} needs a layer, e.g. {stem}^{{(2)}}_{{{indices}}}")
            layer, indices = indices, None
        node = self.name_node(self.compose(stem, layer, indices))
        return Transpose(node) if transposed else node

    def layer_mark(self) -> tuple[str, bool] | None:
        """^{(2)}, ^{(2)T}, ^{(2)\\top} or ^(2); None when the superscript is something else."""
        start = self.pos
        braced = self.is_symbol("{")
        if braced:
            self.take()
        if not self.is_symbol("("):
            self.pos = start
            return None
        self.take()
        digits = ""
        while self.peek().kind == "digit":
            digits += self.take().text
        if not digits or not self.is_symbol(")"):
            self.pos = start
            return None
        self.take()
        transposed = False
        if braced:
            if self.transpose_mark():
                transposed = True
            self.expect("}")
        return digits, transposed

    def index_mark(self) -> str:
        """_{12}, _{1,2}, _1: entry indices, 1-based."""
        if self.peek().kind == "digit":
            return self.take().text
        if not self.is_symbol("{"):
            raise self.fail("a subscript must be numbers such as _{12} or _{1,2}")
        self.take()
        text = ""
        while self.peek().kind == "digit" or self.is_symbol(","):
            text += self.take().text
        if not text or not self.is_symbol("}"):
            raise self.fail("a subscript must be numbers such as _{12} or _{1,2}; index letters are not supported")
        self.take()
        return text

    @staticmethod
    def compose(stem: str, layer: str | None, indices: str | None) -> str:
        if stem == "w":
            stem = "w" if indices is not None else "W"
        if stem == "W" and indices is not None:
            stem = "w"
        if indices is None:
            return f"{stem}{layer}" if layer is not None else stem
        parts = indices.split(",") if "," in indices else [indices]
        joined = "_".join(parts)
        if layer is None:
            return f"{stem}{joined}"
        return f"{stem}{layer}_{joined}"

    def name_node(self, name: str) -> Node:
        canonical = self.resolve(name)
        if not canonical:
            hint = f"; known names are {self.known}" if self.known else ""
            raise self.fail(f"unknown name {name!r}{hint}")
        return Name(canonical if isinstance(canonical, str) else name)
