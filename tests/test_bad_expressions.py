"""Bad custom expressions (activations and losses): refused in one sentence, at once.

A custom expression is parsed, never run; its length and characters are
checked before parsing; number literals and every constant built from them
stay within 1e-30 to 1e30; exponents within ±64; and expressions that SymPy
reduces to an infinity, an undefined value or a complex constant are refused.
"""

from __future__ import annotations

import time

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network
from symbackprop.activations import T
from symbackprop.errors import SpecError
from symbackprop.expressions import MAX_LENGTH

from .bad_input import assert_refused, run_subprocess, unchanged

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

COMMANDS = {
    "derive": ("derive",),
    "grad": ("grad", "--x", "0.5,1", "--y", "0.5"),
    "check": ("check",),
    "train": ("train", "--data", "xor", "--epochs", "1"),
    "worksheet": ("worksheet", "-o", "sheet.md"),
    "verify": ("verify", "--wrt", "W2", "--formula", "delta2 @ a1.T"),
}

REFUSED_ACTIVATIONS = [
    ("x/0", "infinite or undefined"),
    ("x+log(0)", "infinite or undefined"),
    ("x*sqrt(-1)", "I is not a real number"),
    ("log(-1)*x", "not a real number"),
    ("(-8)**(1/3)*x", "not a real number"),
    ("x*1e999", "the number 1e999 is outside the accepted range 1e-30 to 1e30"),
    ("x*1e-999", "outside the accepted range"),
    ("x*9**64", "the constant 9**64 is outside the accepted range"),
    ("x*(1/3)**64", "outside the accepted range"),
    ("((x*9)**64)**64", "holds the constant"),
    ("(x**64)**64", "the exponent 4096 is larger than 64"),
    ("exp(99*log(x))**2", "the exponent 99 is larger than 64"),
    ("x*exp(1e30)", "the constant exp(1e30) is outside"),
    ("x*1e30*1e30", "the constant 1.00e+60 is outside"),
    ("x*sigmoid(x) # <script>alert(1)</script>", "'#' at column 14 is not part of a formula"),
    ("x \\\n + 1", "'\\\\' at column 3"),
    ("x*σ(x)", "'σ' at column 3"),
    ("sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(x)))))", "its derivative has 115 operations, more than the 100 accepted"),
    ("sigmoid(" * 59 + "x" + ")" * 59, "its derivative nests too deeply"),
]


@pytest.mark.parametrize(("text", "why"), REFUSED_ACTIVATIONS, ids=[t for t, _ in REFUSED_ACTIVATIONS])
def test_refused_activations_say_why(run_cli, tmp_path, monkeypatch, text, why):
    monkeypatch.chdir(tmp_path)
    with unchanged(tmp_path):
        result = run_cli("grad", "--layers", "2,2,1", "--activation", text, "--x", "0.5,1", "--y", "0.5")
    message = assert_refused(result, "custom activation: cannot read", why)
    with pytest.raises(SpecError) as caught:
        Network.from_spec({"layers": [2, 2, 1], "activation": text})
    assert str(caught.value) == message  # the Python API says the same


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
@pytest.mark.parametrize(
    ("option", "text"),
    [("--activation", "x/0"), ("--activation", "x*sqrt(-1)"), ("--loss", "(a-y)/0")],
)
def test_every_command_refuses_before_working(run_cli, tmp_path, monkeypatch, command, option, text):
    monkeypatch.chdir(tmp_path)
    with unchanged(tmp_path):
        result = run_cli(*COMMANDS[command][:1], "--layers", "2,2,1", option, text, *COMMANDS[command][1:])
    assert_refused(result, "cannot read", repr(text))


def test_a_custom_loss_reducing_to_a_complex_value_is_refused():
    with pytest.raises(SpecError, match="custom loss: cannot read .* is not a real number"):
        Network.from_spec({"layers": [2, 1], "loss": "(a-y)**2*sqrt(-1)"})


@pytest.mark.parametrize(
    "text",
    ["-" * 100_000 + "x", "(" * 100_000 + "x" + ")" * 100_000, "x" + "+x" * 200_000, "x" * (MAX_LENGTH + 1)],
    ids=["unary minus", "parentheses", "long sum", "long name"],
)
def test_length_is_checked_before_parsing(text):
    start = time.perf_counter()
    for spec in ({"activation": text}, {"activation": {"custom": text}}, {"loss": text}):
        with pytest.raises(SpecError, match=f"is longer than the {MAX_LENGTH} characters accepted"):
            Network.from_spec({"layers": [2, 1], **spec})
    assert time.perf_counter() - start < 5


def test_long_expressions_are_quoted_short():
    text = "x+" * 1500 + "x"
    with pytest.raises(SpecError) as caught:
        Network.from_spec({"layers": [2, 1], "activation": text})
    assert len(str(caught.value)) < 200
    assert "(3001 characters)" in str(caught.value)


@pytest.mark.parametrize(
    "args",
    [
        ("grad", "--layers", "2,2,1", "--activation", "x*((((9**64)**64)**64)**64)", "--x", "1,2", "--y", "1"),
        ("check", "--layers", "2,2,1", "--activation", "x**x**x**x**x**x**x**x**x**x**x**x**9**9"),
        ("verify", "--layers", "2,2,1", "--wrt", "W1", "--formula", "1e999999999 * W1"),
        ("verify", "--layers", "2,2,1", "--wrt", "W1", "--formula", "1e-999999999 * W1"),
        ("verify", "--layers", "2,2,1", "--wrt", "W1", "--formula", "1e9999999999999999999999 * W1"),
        # SymPy's printing of the derivative grew past minutes from eight nested functions on
        ("derive", "--layers", "2,2,1", "--activation", "sigmoid(" * 8 + "x" + ")" * 8),
        ("grad", "--layers", "2,2,1", "--loss", "sigmoid(" * 8 + "a-y" + ")" * 8, "--x", "1,2", "--y", "1"),
    ],
    ids=["tower of constants", "tower of powers", "huge literal", "tiny literal", "beyond Decimal",
         "nested activation", "nested loss"],
)
def test_inputs_that_once_hung_are_refused_at_once(args, tmp_path):
    outcome = run_subprocess(*args, cwd=tmp_path)
    assert_refused(outcome, "cannot read")
    assert outcome.seconds < 30  # about a second, most of it starting Python


def test_a_sound_custom_activation_still_works(run_cli):
    result = run_cli("check", "--layers", "2,2,1", "--activation", "x*sigmoid(x) + 0.5*x**2 - 1e-3")
    assert result.status == 0, result.stderr
    assert "all 9 entries pass" in result.stdout


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ({"activation": {"custom": "x*sigmoid(x)", "name": "<script>alert(1)</script>"}}, "'<', which a name may not hold"),
        ({"activation": {"custom": "x*sigmoid(x)", "name": "swish $\\input{/etc/passwd}$"}}, "'$', which a name may not hold"),
        ({"activation": {"custom": 5}}, "expected a formula as text, got int 5"),
        ({"loss": {"custom": "(a-y)**2", "name": "a\nb"}}, "'\\n', which a name may not hold"),
        ({"loss": {"custom": "(a-y)**2", "name": "x" * 81}}, "longer than 80 characters"),
    ],
)
def test_names_that_reach_documents_are_plain_words(spec, why):
    with pytest.raises(SpecError, match=None) as caught:
        Network.from_spec({"layers": [2, 1], **spec})
    assert why in str(caught.value)


def test_plain_names_are_kept():
    net = Network.from_spec(
        {"layers": [2, 1], "activation": {"custom": "x*sigmoid(x)", "name": "Swish (β = 1)"}}
    )
    assert net.layers[0].activation.name == "Swish (β = 1)"


# -- random input ------------------------------------------------------------------------

TOKENS = [
    "x", "x", "y", "a", "(", ")", "+", "-", "*", "/", "**", "9", "64", "0", "1e30", "1e-30", "0.5",
    "exp(", "log(", "sqrt(", "sigmoid(", "max(", ",", "abs(", "1e999", "#", "'", "__import__",
    " ", ".", "x.T", "[", "]", "lambda", ":", "=", "\\",
]


def _accepted_or_refused(text: str) -> None:
    start = time.perf_counter()
    try:
        net = Network.from_spec({"layers": [1, 1], "activation": text})
    except SpecError as exc:
        assert str(exc).startswith("invalid network: ")
        assert "\n" not in str(exc) or "\n" in text
    else:
        expr = net.layers[0].activation.expr
        assert not expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)
        for number in expr.atoms(sympy.Number):
            assert number == 0 or 1e-30 <= abs(float(number)) <= 1e30
        assert expr.free_symbols <= {T}
    assert time.perf_counter() - start < 10


@FAST
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map("".join))
def test_random_token_sequences_are_accepted_sound_or_refused(text):
    _accepted_or_refused(text)


@FAST
@given(st.text(max_size=60))
def test_random_text_is_accepted_sound_or_refused(text):
    _accepted_or_refused(text)
