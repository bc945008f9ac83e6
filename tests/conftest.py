"""Shared fixtures: the CLI run in-process, and skips that name what to install."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from symbackprop import system_deps
from symbackprop.cli import main


@dataclass(frozen=True)
class CliResult:
    status: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys):
    """Run ``symbackprop ARGS…`` in this process and return status, stdout, stderr."""

    def run(*args: str) -> CliResult:
        try:
            main(list(args))
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out = capsys.readouterr()
        return CliResult(status, out.out, out.err)

    return run


def require_installed(*names: str) -> None:
    """Skip the calling test, naming the Debian packages, when a program or TeX file is missing.

    Each name is an entry of symbackprop/system-deps.txt, the list make system-deps installs.
    """
    absent = system_deps.missing(names)
    if absent:
        pytest.skip(f"{', '.join(absent)} not installed: {system_deps.install_advice(absent)}")


def require_latex() -> None:
    """Skip unless everything a PDF needs (pdflatex, latexmk, every TeX file the preambles load) is there."""
    require_installed(*(r.name for r in system_deps.requirements().values() if r.purpose == "pdf"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, for tests against its autograd; skipped where it is not installed."""
    return pytest.importorskip("torch", reason="PyTorch is not installed: .venv/bin/pip install torch==2.13.0")
