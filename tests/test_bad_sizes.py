"""Sizes: the cost is estimated before any work, and what cannot end is refused with what works.

A network has at most 1,000 layers and 10 million parameters; a printed
scalar-level derivation shows at most about 5,000 gradients (fewer in deep
networks); verify takes networks of at most 20,000 parameters; a gradient
check is refused when its finite differences would take over a minute; a
batch may take at most 8 GB of working memory.
"""

from __future__ import annotations

import pytest

from symbackprop import Network, gradcheck
from symbackprop.errors import DataError, SpecError
from symbackprop.verification import verify

from .bad_input import assert_refused, run_subprocess

DEEP = ",".join(["2"] * 10_001)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("derive", "--layers", "1000000000,1"), "a network may have at most 10,000,000 parameters (weights and biases); 1000000000-1 has 1,000,000,001"),
        (("grad", "--layers", "2,1000000000,1", "--x", "1,2", "--y", "1"), "2-1000000000-1 has 4,000,000,001"),
        (("derive", "--layers", DEEP, "--level", "matrix"), "a network may have at most 1,000 layers, got 10,000"),
        (("train", "--layers", DEEP, "--data", "teacher"), "at most 1,000 layers"),
        (("derive", "--layers", "300,300,1"), "would print 90,601 gradients step by step, more than the 5,000 it shows; use --level matrix"),
        (("verify", "--layers", "784,256,128,10", "--wrt", "W1", "--formula", "delta1 @ x.T"), "verify judges formulas on networks of at most 20,000 parameters; 784-256-128-10 has 235,146"),
        (("check", "--layers", ",".join(["2"] * 1000)), "would take about 240 s, more than the 60 s allowed"),
    ],
    ids=["wide input", "wide layer", "deep", "deep train", "scalar derivation", "verify", "check"],
)
def test_work_that_cannot_end_is_refused_at_once(tmp_path, args, words):
    outcome = run_subprocess(*args, cwd=tmp_path)
    assert_refused(outcome, words)
    assert outcome.seconds < 30  # each answers in about a second, most of it starting Python


def test_what_the_refusal_suggests_works(run_cli):
    assert "more than the 5,000 it shows" in run_cli("derive", "--layers", "100,100,1").stderr
    assert run_cli("derive", "--layers", "100,100,1", "--level", "matrix").status == 0
    result = run_cli("derive", "--layers", "100,100,1", "--wrt", "W2[1,1]")
    assert result.status == 0 and "∂ℒ/∂w⁽²⁾₁₁" in result.stdout


def test_the_api_refuses_the_same_sizes():
    with pytest.raises(SpecError, match="at most 1,000 layers, got 10,000"):
        Network.from_layers([2] * 10_001)
    net = Network.from_layers([300, 300, 1])
    with pytest.raises(DataError, match="would print 90,601 gradients"):
        net.derive().text()
    assert "δ⁽²⁾" in net.derive().text(level="matrix")  # the matrix level still works
    with pytest.raises(DataError, match="at most 20,000 parameters"):
        verify(Network.from_layers([300, 300, 1]), "W1", "delta1 @ x.T")
    with pytest.raises(DataError, match="check fewer entries per parameter"):
        gradcheck(Network.from_layers([2] * 1000))


def test_networks_just_inside_the_bounds_are_built():
    assert Network.from_layers([2] * 1001).depth == 1000
    assert Network.from_layers([3000, 3000]).parameter_count() == 9_003_000
