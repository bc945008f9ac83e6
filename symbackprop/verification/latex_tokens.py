r"""LaTeX text to tokens, split into the lines of a derivation.

Spacing and sizing commands are dropped, ``\operatorname{…}`` and friends
become one ``word`` token, pasted Unicode (δ, σ, ⊙, ·, ᵀ, −, ≥, ∂, ∇, ∑)
reads as the LaTeX it stands for, and ``\begin{aligned}``, ``&`` are layout.
A new line, ``\\`` or ``;`` ends a line of the derivation.  Braces are
checked before anything is parsed, so an unclosed ``{`` is reported as such.

>>> [t.text for t in tokenize(r"\delta^{(2)} \odot x")][:6]
['delta', '^', '{', '(', '2', ')']
>>> [len(line) for line in lines(tokenize(r"a = 1 \\ b = 2"))]
[4, 4]
>>> tokenize(r"x^{\top")
Traceback (most recent call last):
...
symbackprop.errors.ExpressionError: cannot read 'x^{\\top': the brace { after 'x^' is never closed
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ExpressionError
from .nodes import quoted

# Commands that only change how something looks.
IGNORED = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "biggl", "biggr", "Biggl", "Biggr", ",", ";", ":", "!", " ", "quad", "qquad",
    "displaystyle", "textstyle", "limits", "nolimits", "middle",
}
WORD_COMMANDS = {"operatorname", "mathrm", "text", "textrm", "mathsf", "mathop", "textnormal"}
ENVIRONMENTS = {"aligned", "align", "align*", "split", "gathered", "gather", "gather*", "equation", "equation*"}

_TOKEN = re.compile(
    r"(?P<space>[ \t\r\f\v]+)|(?P<newline>\n)|(?P<command>\\(?:[A-Za-z]+|.))|(?P<digit>[0-9])"
    r"|(?P<letter>[A-Za-z])|(?P<symbol>[-+*/^_(){}\[\]',.=|<>;&])"
)

# Unicode that people paste from rendered math, read as the LaTeX it stands for.
_UNICODE = {
    "δ": r"\delta ", "σ": r"\sigma ", "⊙": r"\odot ", "∘": r"\circ ", "·": r"\cdot ",
    "⋅": r"\cdot ", "×": r"\times ", "ᵀ": "^T", "⊤": r"\top ", "−": "-", "′": "'",
    "≥": r"\geq ", "≤": r"\leq ", "∂": r"\partial ", "∇": r"\nabla ", "∑": r"\sum ",
}


@dataclass(frozen=True)
class Token:
    kind: str  # command, digit, letter, symbol, word (\operatorname{…}), break, end
    text: str
    space_before: bool = False
    column: int = 0


# Superscript and subscript characters, as symbackprop prints them (δ⁽²⁾, a⁽ᴸ⁾, w₁₂): a run
# of them reads as one ^{…} or _{…}.
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻ˡᴸᵀʲᵏⁱⁿ", "0123456789()+-lLTjkin", strict=True))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₍₎₊₋ᵢⱼₖₗₙ", "0123456789()+-ijkln", strict=True))
_SCRIPTS = re.compile(f"[{''.join(_SUPERSCRIPTS)}]+|[{''.join(_SUBSCRIPTS)}]+")


def normalize(text: str) -> str:
    """Pasted Unicode replaced by its LaTeX (token columns refer to this text).

    >>> print(normalize("δ⁽²⁾ (a⁽¹⁾)ᵀ w₁₂"))
    \\delta ^{(2)} (a^{(1)})^{T} w_{12}
    """

    def script(m: re.Match[str]) -> str:
        run = m.group()
        if run[0] in _SUPERSCRIPTS:
            return "^{" + "".join(_SUPERSCRIPTS[ch] for ch in run) + "}"
        return "_{" + "".join(_SUBSCRIPTS[ch] for ch in run) + "}"

    return "".join(_UNICODE.get(ch, ch) for ch in _SCRIPTS.sub(script, text))


def tokenize(text: str) -> list[Token]:
    """Split LaTeX into tokens, dropping spacing and sizing commands."""
    text = normalize(text)
    tokens: list[Token] = []
    pos, space = 0, False
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExpressionError(f"cannot read {quoted(text)}: unexpected character {text[pos]!r}")
        start, pos = pos, m.end()
        kind = m.lastgroup
        value = m.group()
        if kind == "space":
            space = True
            continue
        if kind == "newline" or (kind == "command" and value == "\\\\") or value == ";":
            tokens.append(Token("break", value, True, start))
            space = False
            continue
        if value == "&":
            space = True
            continue
        if kind == "command":
            name = value[1:]
            if name in IGNORED:
                space = True
                continue
            if name in ("begin", "end"):
                pos = _environment(text, pos, name)
                space = True
                continue
            if name in WORD_COMMANDS:
                word, pos = _braced_word(text, pos)
                tokens.append(Token("word", word, space, start))
                space = False
                continue
        tokens.append(Token(kind, value[1:] if kind == "command" else value, space, start))
        space = False
    _check_braces(text, tokens)
    tokens.append(Token("end", "", False, len(text)))
    return tokens


def lines(tokens: list[Token]) -> list[list[Token]]:
    """The tokens of each non-empty line, each ending with an ``end`` token."""
    out: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        if token.kind in ("break", "end"):
            if current:
                out.append([*current, Token("end", "", False, token.column)])
            current = []
        else:
            current.append(token)
    return out


def _environment(text: str, pos: int, which: str) -> int:
    m = re.compile(r"\s*\{\s*([A-Za-z*]+)\s*\}").match(text, pos)
    if m is None or m.group(1) not in ENVIRONMENTS:
        raise ExpressionError(
            f"cannot read {quoted(text)}: \\{which} is understood only for {', '.join(sorted(ENVIRONMENTS))}"
        )
    return m.end()


def _braced_word(text: str, pos: int) -> tuple[str, int]:
    m = re.compile(r"\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}").match(text, pos)
    if m is None:
        raise ExpressionError(
            f"cannot read {quoted(text)}: \\operatorname, \\mathrm and \\text take a word in braces"
        )
    return m.group(1), m.end()


def _check_braces(text: str, tokens: list[Token]) -> None:
    """An unclosed { or a stray } is named with what comes before it."""
    opened: list[Token] = []
    for token in tokens:
        if token.kind != "symbol" or token.text not in "{}":
            continue
        if token.text == "{":
            opened.append(token)
        elif opened:
            opened.pop()
        else:
            raise ExpressionError(
                f"cannot read {quoted(text)}: the brace }} after {_before(text, token)} closes no {{"
            )
    if opened:
        raise ExpressionError(
            f"cannot read {quoted(text)}: the brace {{ after {_before(text, opened[-1])} is never closed"
        )


def _before(text: str, token: Token) -> str:
    left = text[: token.column].rstrip()
    if not left:
        return "the start"
    return repr(left) if len(left) <= 20 else repr("…" + left[-19:])
