"""What every refusal of bad input must look like, shared by the test_bad_*.py modules.

A refusal is exit status 2 and exactly one line on stderr,
``symbackprop: error: <one sentence>``, with nothing on stdout, no traceback,
within a generous time bound, and without creating or changing any file.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PREFIX = "symbackprop: error: "
# Generous: every refusal here takes well under a second; a hang would take minutes.
SUBPROCESS_SECONDS = 60


@dataclass(frozen=True)
class Outcome:
    status: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def message(self) -> str:
        """The sentence after ``symbackprop: error: ``."""
        return self.stderr.strip()[len(PREFIX):]


def assert_refused(outcome, *mentions: str) -> str:
    """Exit 2, one line on stderr naming each of ``mentions``, nothing on stdout; the message."""
    assert outcome.status == 2, (outcome.status, outcome.stdout[-500:], outcome.stderr[-2000:])
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    assert outcome.stderr.startswith(PREFIX), outcome.stderr[-2000:]
    assert outcome.stderr.count("\n") == 1, outcome.stderr[-2000:]
    assert outcome.stdout == "", outcome.stdout[-500:]
    message = outcome.stderr.strip()[len(PREFIX):]
    for text in mentions:
        assert text in message, message
    return message


def run_subprocess(*args: str, cwd: Path | None = None, stdin: bytes = b"") -> Outcome:
    """``symbackprop ARGS…`` in a fresh interpreter, killed after SUBPROCESS_SECONDS.

    For inputs that once hung: a hang ends the test instead of the suite.
    """
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "symbackprop", *args],
            input=stdin,
            capture_output=True,
            timeout=SUBPROCESS_SECONDS,
            cwd=cwd,
            env={**os.environ, "COLUMNS": "200"},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"symbackprop {' '.join(a[:40] for a in args)} ran past {SUBPROCESS_SECONDS} s")
    return Outcome(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        time.perf_counter() - start,
    )


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    out = {}
    for path in sorted(folder.rglob("*")):
        stat = path.stat()
        out[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return out


@contextlib.contextmanager
def unchanged(folder: Path) -> Iterator[None]:
    """Assert that nothing under ``folder`` is created, removed or rewritten."""
    before = snapshot(folder)
    yield
    assert snapshot(folder) == before
