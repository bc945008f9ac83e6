"""Options shared by the commands."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("rate", ["nan", "inf", "0", "-0.5", "abc"])
@pytest.mark.parametrize(
    "command",
    [
        ("grad", "--layers", "2,2,1", "--x", "1,2", "--y", "0.5"),
        ("train", "--layers", "2,2,1", "--data", "xor", "--epochs", "1"),
        ("worksheet", "--layers", "2,2,1", "-o", "never-written.md"),
    ],
    ids=["grad", "train", "worksheet"],
)
def test_learning_rate_must_be_finite_and_positive(run_cli, command, rate, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*command, "--lr", rate)
    assert result.status == 2
    assert result.stderr.startswith("symbackprop: error: Invalid value for '--lr'")
    assert not (tmp_path / "never-written.md").exists()
