"""Bad formulas for verify, as arguments and on stdin: one sentence, at once, nothing run.

(The grammar's own refusals are tested in test_verify_security.py; here the
boundary: number literals judged before any exact power of ten is built,
and stdin read with a bound, as UTF-8 text without control characters.)
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import models
from symbackprop.cli import main
from symbackprop.errors import ExpressionError
from symbackprop.verification import verify

from .bad_input import PREFIX, assert_refused, run_subprocess

VERIFY = ("verify", "--layers", "2,2,1", "--wrt", "W1", "--formula")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("stdin", "words"),
    [
        (bytes(range(128, 256)), "the formula on stdin is not UTF-8 text (byte 0x80 at position 0)"),
        (b"delta1 @ x.T\x00", "the formula on stdin holds the control character U+0000 at position 12"),
        (b"delta1 @ x.T\x1b[2J", "holds the control character U+001B"),
        (b"x" * 20_000, "the formula on stdin is longer than 8,000 bytes"),
    ],
    ids=["binary", "null byte", "escape sequence", "endless"],
)
def test_bad_bytes_on_stdin(stdin, words):
    outcome = run_subprocess(*VERIFY, "-", stdin=stdin)
    assert_refused(outcome, words)


def test_a_derivation_on_stdin_still_works():
    outcome = run_subprocess(*VERIFY, "-", stdin=b"d = delta1\r\nd @ x.T\n")
    assert outcome.status == 0, outcome.stderr
    assert outcome.stdout.startswith("correct:")


@pytest.mark.parametrize(
    "formula",
    ["1e999999999 * W1", "1e-999999999 * W1", "1e9999999999999999999999 * W1", "W1 * 1.5e30", "0.1e-40 * W1"],
)
def test_number_literals_are_judged_before_they_are_built(formula):
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match="is outside the accepted range 1e-30 to 1e30"):
        verify(models.two_two_two(), "W1", formula)
    assert time.perf_counter() - start < 5


@FAST
@given(st.binary(max_size=120))
def test_random_bytes_on_stdin_end_in_a_verdict_or_one_sentence(stdin):
    out, err = io.StringIO(), io.StringIO()
    fake = mock.Mock()
    fake.buffer = io.BytesIO(stdin)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), mock.patch.object(sys, "stdin", fake):
        try:
            main([*VERIFY, "-"])
            status = 0
        except SystemExit as exc:
            status = exc.code
    assert status in (0, 1, 2)
    if status == 2:
        assert err.getvalue().startswith(PREFIX) and err.getvalue().count("\n") == 1
