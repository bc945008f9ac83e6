"""A formula is parsed, never run: random input, payloads, and adversarial formulas.

Whatever is typed, ``symbackprop verify`` ends with status 0, 1 or 2, prints
no traceback, never calls ``eval`` or SymPy's string parsers, never runs code
made from the text, and answers adversarial formulas at once.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import time
from unittest import mock

import pytest
import sympy
import sympy.parsing.sympy_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import models
from symbackprop.cli import main
from symbackprop.errors import SymbackpropError
from symbackprop.verification import verify

NET_ARGS = ["--layers", "2,2,2", "--activation", "sigmoid"]

PYTHON_TOKENS = [
    "x", "y", "W1", "W2", "b1", "b2", "z1", "a1", "a2", "delta1", "delta2", "x1", "w2_12", "a0",
    "sigmoid(", "tanh(", "relu(", "exp(", "log(", "sum(", "sigmoid_prime(", "(", ")", "+", "-",
    "*", "/", "**", "@", ".T", "2", "0.5", "1", " ", "9", "__import__", "'os'", ".", ",", "[", "]",
    "lambda", ":", "=", "__class__", "open(", '"', "#", "\\", "\n", "**9**9",
]
LATEX_TOKENS = [
    "W^{(2)}", r"\delta^{(2)}", "a^{(1)}", "x", "y", "^T", r"^{\top}", r"\odot", r"\cdot", r"\sigma",
    r"\sigma'", r"\frac", "{", "}", "(", ")", r"\left(", r"\right)", "-", "+", "1", "2", "e^{",
    "z^{(1)}", "_", "_{12}", "w^{(2)}", r"\input", r"\partial", "=", " ", "^", "'", r"\hat{y}",
    r"\mathbf{W}", r"\log", r"\tanh", "$", "%", r"\write18", "&", r"\\",
]


class Forbidden(AssertionError):
    """Raised when anything tries to evaluate text as code."""


@contextlib.contextmanager
def no_evaluation(formula: str):
    """Fail loudly if eval, SymPy's string parsers, or exec of the formula's text is reached."""
    real_exec = builtins.exec

    def refuse(*args, **kwargs):
        raise Forbidden(f"text evaluation reached with {args[:1]!r}")

    def checked_exec(source, *args, **kwargs):
        # lambdify execs code generated from the derivation's own SymPy expressions;
        # the formula's text must never be part of it.
        if isinstance(source, str) and len(formula) > 3 and formula in source:
            raise Forbidden("the formula's text reached exec")
        return real_exec(source, *args, **kwargs)

    with (
        mock.patch.object(builtins, "eval", refuse),
        mock.patch.object(builtins, "exec", checked_exec),
        mock.patch.object(sympy, "sympify", refuse),
        mock.patch.object(sympy, "parse_expr", refuse),
        mock.patch.object(sympy.parsing.sympy_parser, "parse_expr", refuse),
    ):
        yield


def run(formula: str, syntax: str = "python", wrt: str = "W1") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdin = mock.patch("sys.stdin", io.StringIO(""))  # "-" reads the formula from stdin
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), stdin, no_evaluation(formula):
        try:
            main(["verify", *NET_ARGS, "--wrt", wrt, "--syntax", syntax, "--formula", formula, "--points", "3"])
            status = 0
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def assert_clean(status: int, out: str, err: str) -> None:
    assert status in (0, 1, 2), (status, out, err)
    assert "Traceback" not in out + err
    if status == 2:
        assert err.startswith("symbackprop: error: ")
        assert err.count("\n") == 1, err
    else:
        assert out.startswith("correct:" if status == 0 else "incorrect:")


FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=120))
def test_random_text_python(text):
    assert_clean(*run(text, "python"))


@FAST
@given(st.text(max_size=120))
def test_random_text_latex(text):
    assert_clean(*run(text, "latex"))


@FAST
@given(st.lists(st.sampled_from(PYTHON_TOKENS), max_size=25))
def test_random_python_token_sequences(tokens):
    assert_clean(*run("".join(tokens), "python"))


@FAST
@given(st.lists(st.sampled_from(LATEX_TOKENS), max_size=25))
def test_random_latex_token_sequences(tokens):
    assert_clean(*run("".join(tokens), "latex"))


@FAST
@given(
    st.lists(
        st.sampled_from(["delta1", "x.T", "a1", "@", "*", "+", "-", "(", ")", ".T", "2", "W2.T", "delta2", "sigmoid_prime(z1)"]),
        min_size=1, max_size=9,
    )
)
def test_random_near_formulas_reach_a_verdict_or_a_clear_refusal(tokens):
    # Sequences close to real formulas often parse and shape-check, so the
    # verdict path (0 and 1) is exercised as well as the refusals.
    assert_clean(*run(" ".join(tokens), "python"))


def payloads(path: str) -> list[tuple[str, str]]:
    return [
        ("python", f"__import__('os').system('touch {path}')"),
        ("python", f"().__class__.__base__.__subclasses__()[0]('touch {path}')"),
        ("python", f"open('{path}', 'w')"),
        ("python", f"exec(\"open('{path}', 'w')\")"),
        ("python", f"eval(\"open('{path}', 'w')\")"),
        ("python", f"sigmoid(__import__('os').system('touch {path}'))"),
        ("python", f"[open('{path}', 'w') for _ in x]"),
        ("python", f"(lambda: open('{path}', 'w'))()"),
        ("python", f"x.T.__class__.__init__.__globals__['os'].system('touch {path}')"),
        ("python", f"delta1 @ x.T; open('{path}', 'w')"),
        ("python", f"delta1 @ x.T\nopen('{path}', 'w')"),
        ("latex", rf"\input{{{path}}}"),
        ("latex", rf"\immediate\write18{{touch {path}}}"),
        ("latex", rf"\openout1={path} \write1{{x}}"),
        ("latex", rf"\delta^{{(1)}} x^T \write18{{touch {path}}}"),
    ]


def test_payloads_are_refused_and_run_nothing(tmp_path):
    target = tmp_path / "pwned"
    for syntax, formula in payloads(str(target)):
        status, out, err = run(formula, syntax)
        assert status == 2, (formula, out, err)
        assert "cannot read" in err or "unknown" in err, err
        assert not target.exists(), formula


def test_payloads_through_the_python_api(tmp_path):
    target = tmp_path / "pwned"
    for syntax, formula in payloads(str(target)):
        with pytest.raises(SymbackpropError), no_evaluation(formula):
            verify(models.two_two_two(), "W1", formula, syntax=syntax)
        assert not target.exists()


ADVERSARIAL = [
    ("python", "9**9**9**9"),
    ("python", "(x**64)**64"),
    ("python", "x" + "**9" * 300),
    ("python", "(" * 199 + "x" + ")" * 199),
    ("python", "-" * 1990 + "x"),
    ("python", "+".join(["delta1 @ x.T"] * 150)),
    ("python", "exp(" * 60 + "x" + ")" * 60 + " + delta1 @ x.T"),
    ("python", "delta1 @ x.T + 0 * sum(" + " @ ".join(["W2"] * 12) + ")"),
    ("python", "delta1 @ x.T + sum(" + " @ ".join(["W2"] * 12) + ") - sum(" + " @ ".join(["W2"] * 12) + ")"),
    ("python", "sum(" + "@".join(["W1"] * 2 + ["W1.T"] * 2) * 1 + ")" + " * delta1 @ x.T"),
    ("python", "1" * 1999),
    ("python", "0." + "0" * 1990 + "1"),
    ("latex", "e^{" * 60 + "x" + "}" * 60),
    ("latex", r"\left(" * 150 + "x" + r"\right)" * 150),
    ("latex", r"9^{9^{9^{9}}}"),
    ("latex", r"\frac{1}{" * 90 + "x" + "}" * 90),
    ("latex", r"\delta^{(1)} x^T" * 120),
    ("latex", "x" * 1999),
]


@pytest.mark.parametrize(("syntax", "formula"), ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_formulas_answer_quickly(syntax, formula):
    start = time.perf_counter()
    status, out, err = run(formula, syntax)
    elapsed = time.perf_counter() - start
    assert_clean(status, out, err)
    assert elapsed < 5, f"{elapsed:.1f} s for {formula[:40]!r}"


def test_a_formula_equal_to_the_gradient_but_heavy_to_prove_is_still_correct():
    heavy = " @ ".join(["W2"] * 10)
    formula = f"delta1 @ x.T + sum({heavy}) - sum(({heavy}).T)"
    start = time.perf_counter()
    verdict = verify(models.two_two_two(), "W1", formula, budget=0.5)
    assert verdict.correct
    assert time.perf_counter() - start < 5
