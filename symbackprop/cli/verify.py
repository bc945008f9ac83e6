"""``symbackprop verify``: judge a hand-derived gradient formula.

Exit status 0 when the formula is the gradient, 1 when it is not (with a
counterexample and a diagnosis), 2 when it cannot be read or its shapes do
not fit (one sentence on stderr).
"""

from __future__ import annotations

import sys

import click

from ..errors import ExpressionError
from .common import SEED, network_options, print_json

# Longer than any formula the parsers take (2,000 characters of up to 4 bytes):
# reading stops there, so a stream that never ends is refused at once.
MAX_STDIN_BYTES = 8_001


@click.command("verify")
@network_options
@click.option("--wrt", required=True, help="the parameter (W1, b2) or one entry (W2[1,2], 1-based)")
@click.option(
    "--formula", required=True,
    help="your formula for dL/d(wrt), e.g. \"delta2 @ a1.T\", or a derivation of several lines; "
    "'-' reads it from stdin",
)
@click.option(
    "--syntax", type=click.Choice(["python", "latex"]), default="python", show_default=True,
    help="how the formula is written",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of the random test points")
@click.option("--points", type=click.IntRange(1, 100), default=8, show_default=True, help="number of random test points")
@click.option("--json", "as_json", is_flag=True, help="print the verdict as one JSON object")
def command(network, wrt, formula, syntax, seed, points, as_json):
    """Judge a hand-derived formula for dL/d(wrt): exit 0 correct, 1 incorrect, 2 unreadable.

    \b
    Python syntax: x, y, W1, b1, z1, a1 (a0 is x), delta1 (the true δ), dA1, yhat;
      Ng's X, Y, A1, Z1, dZ1; @ matrix product, * elementwise, .T, + - / **,
      (z1 > 0) masks; sigmoid, sigmoid_prime, tanh, tanh_prime, relu,
      relu_prime, leaky_relu_prime, exp, log, sqrt, sech, sum, softmax, diag;
      np.outer, np.dot, np.matmul, np.multiply, np.transpose, np.diag, np.exp,
      np.log, np.tanh, np.where, np.power, np.divide, np.sum(..., axis=,
      keepdims=True); a.transpose(), W.dot(v); m (Ng's 1/m) is 1.
      One entry (--wrt W2[1,2]): w2_12, b1_2, a1_2, delta2_1, x1.
    LaTeX: W^{(2)}, W^{[2]}, W^2, a^{l-1}, z^L, \\delta^{(2)}, ^T, ^{\\top},
      \\odot, \\sigma', \\frac, \\nabla_a C, \\frac{\\partial L}{\\partial z^{(2)}},
      index letters w^2_{jk} with \\sum_j, \\mathbb{1}[z > 0], \\mathrm{diag};
      Ng's A^{[1]}, dZ^{[2]}, g^{[1]\\prime}(Z^{[1]}); n_L; pasted δ⁽²⁾ (a⁽¹⁾)ᵀ.
    A derivation: several lines (or ;), each name = expression; the last
      line is the answer and every line naming δ, dA, dW, db is checked.
    Every notation: docs/verify.md.

    \b
    Example:
      symbackprop verify --layers 2,2,2 --wrt W1 --formula "(W2.T @ delta2) @ x.T"
    """
    from ..verification import verify

    if formula == "-":
        formula = read_stdin_formula()
    verdict = verify(network, wrt, formula, syntax=syntax, seed=seed, points=points)
    if as_json:
        print_json(verdict.to_dict())
    else:
        click.echo(verdict.report())
    if verdict.exit_code:
        sys.exit(verdict.exit_code)


def read_stdin_formula() -> str:
    """The formula typed or piped on stdin: bounded, UTF-8, and text (no control characters)."""
    from ..io import utf8_text

    stream = getattr(sys.stdin, "buffer", None)  # None when stdin is already text
    data = stream.read(MAX_STDIN_BYTES) if stream is not None else sys.stdin.read(MAX_STDIN_BYTES)
    if len(data) == MAX_STDIN_BYTES:
        raise ExpressionError(f"the formula on stdin is longer than {MAX_STDIN_BYTES - 1:,} bytes")
    text = utf8_text(data, "the formula on stdin", ExpressionError) if isinstance(data, bytes) else data
    for position, char in enumerate(text):
        if not char.isprintable() and char not in "\n\r\t":
            raise ExpressionError(
                f"the formula on stdin holds the control character U+{ord(char):04X} at position {position}"
            )
    return text.strip()
