"""What is not bad input: a bug inside symbackprop still shows its traceback.

The command line turns only symbackprop's own error classes (and click's
usage errors) into one sentence and exit status 2; anything else propagates,
so a real bug is seen, reported and fixed rather than dressed up as a user
mistake.
"""

from __future__ import annotations

import os

import pytest

from symbackprop import gradient_check
from symbackprop.cli import main

from .bad_input import run_subprocess


def test_an_internal_error_is_not_turned_into_a_user_error(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("an internal bug")

    monkeypatch.setattr(gradient_check, "gradcheck", broken)
    with pytest.raises(RuntimeError, match="an internal bug"):
        main(["check", "--layers", "2,2,1"])


def test_a_traceback_reaches_stderr(tmp_path, monkeypatch):
    plugin = tmp_path / "sitecustomize.py"  # breaks the check inside a fresh interpreter
    plugin.write_text(
        "import symbackprop.gradient_check as g\n"
        "def broken(*a, **k):\n    raise RuntimeError('an internal bug')\n"
        "g.gradcheck = broken\n"
    )
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    outcome = run_subprocess("check", "--layers", "2,2,1")
    assert outcome.status == 1
    assert "Traceback (most recent call last)" in outcome.stderr
    assert "RuntimeError: an internal bug" in outcome.stderr
