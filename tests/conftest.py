"""Shared fixtures: the CLI run in-process, and skips that name what to install."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

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


def require_tool(tool: str, package: str) -> None:
    """Skip the calling test, naming the Debian package, when ``tool`` is missing."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed: apt-get install {package}")
