"""The naming convention: Python names, LaTeX and Unicode forms, and the symbols of a network."""

from __future__ import annotations

import pytest
import sympy

from symbackprop.symbols import (
    latex_name,
    network_symbols,
    parse_name,
    parse_wrt,
    scalar_name,
    unicode_name,
)


@pytest.mark.parametrize(
    "stem, layer, indices, name, latex, text",
    [
        ("w", 2, (1, 2), "w2_12", "w^{(2)}_{12}", "w⁽²⁾₁₂"),
        ("w", 1, (3, 10), "w1_3_10", "w^{(1)}_{3,10}", "w⁽¹⁾₃,₁₀"),
        ("w", 12, (10, 11), "w12_10_11", "w^{(12)}_{10,11}", "w⁽¹²⁾₁₀,₁₁"),
        ("b", 1, (3,), "b1_3", "b^{(1)}_{3}", "b⁽¹⁾₃"),
        ("b", 1, (12,), "b1_12", "b^{(1)}_{12}", "b⁽¹⁾₁₂"),
        ("z", 3, (7,), "z3_7", "z^{(3)}_{7}", "z⁽³⁾₇"),
        ("a", 2, (256,), "a2_256", "a^{(2)}_{256}", "a⁽²⁾₂₅₆"),
        ("delta", 3, (1,), "delta3_1", r"\delta^{(3)}_{1}", "δ⁽³⁾₁"),
        ("delta", 1, (10,), "delta1_10", r"\delta^{(1)}_{10}", "δ⁽¹⁾₁₀"),
        ("x", None, (784,), "x784", "x_{784}", "x₇₈₄"),
        ("y", None, (2,), "y2", "y_{2}", "y₂"),
    ],
)
def test_names_and_their_printed_forms(stem, layer, indices, name, latex, text):
    assert scalar_name(stem, layer, *indices) == name
    assert parse_name(name) == (stem, layer, indices)
    assert latex_name(name) == latex
    assert unicode_name(name) == text


@pytest.mark.parametrize(
    "name, latex, text",
    [("W2", "W^{(2)}", "W⁽²⁾"), ("b1", "b^{(1)}", "b⁽¹⁾"), ("delta3", r"\delta^{(3)}", "δ⁽³⁾"),
     ("a10", "a^{(10)}", "a⁽¹⁰⁾")],
)
def test_matrix_names(name, latex, text):
    assert latex_name(name) == latex
    assert unicode_name(name) == text


def test_other_names_pass_through_and_bad_names_are_refused():
    assert latex_name("L") == r"\mathcal{L}" and unicode_name("L") == "ℒ"  # the loss; L is the depth
    assert latex_name("alpha") == "alpha" and unicode_name("alpha") == "alpha"
    for bad in ("w2_123", "b1_1_2", "q1_1", "w2", "x"):
        with pytest.raises(ValueError, match="not a symbackprop scalar name"):
            parse_name(bad)


def test_every_name_of_a_large_network_is_unique_and_parses_back():
    symbols = network_symbols((12, 11, 3), bias=True)
    names = [s.name for s in symbols.x] + [s.name for s in symbols.y]
    for layer in symbols.layers:
        for matrix in (layer.W, layer.b, layer.z, layer.a, layer.delta):
            names.extend(s.name for s in matrix)
    assert len(names) == len(set(names))
    for name in names:
        stem, layer, indices = parse_name(name)
        assert scalar_name(stem, layer, *indices) == name


def test_network_symbols_shapes_and_assumptions():
    symbols = network_symbols((2, 3, 1), bias=True)
    first, second = symbols.layers
    assert symbols.x.shape == (2, 1) and symbols.y.shape == (1, 1)
    assert first.W.shape == (3, 2) and first.b.shape == (3, 1)
    assert second.W.shape == (1, 3) and second.delta.shape == (1, 1)
    assert first.W[2, 1] == sympy.Symbol("w1_32", real=True)
    assert all(s.is_real for s in first.W)
    assert symbols.activations(0) == symbols.x and symbols.activations(2) == second.a
    assert symbols.parameter("W2") == second.W and symbols.parameter("b1") == first.b
    for missing in ("W3", "b0", "z1", "W"):
        with pytest.raises(KeyError):
            symbols.parameter(missing)


def test_without_bias_there_are_no_bias_symbols():
    symbols = network_symbols((2, 2), bias=False)
    assert symbols.layers[0].b is None
    with pytest.raises(KeyError):
        symbols.parameter("b1")


@pytest.mark.parametrize(
    "text, parsed",
    [("W2", ("W2", None)), ("W2[1,2]", ("W2", (1, 2))), (" b1[ 3 ] ", ("b1", (3,))), ("b10", ("b10", None))],
)
def test_parse_wrt(text, parsed):
    assert parse_wrt(text) == parsed


@pytest.mark.parametrize("text", ["w2", "W", "W2[1,2,3]", "W2[a]", "z1"])
def test_parse_wrt_refuses_other_text(text):
    with pytest.raises(ValueError, match="expected a name such as W2 or b1"):
        parse_wrt(text)


def test_typed_names_know_their_forms():
    from symbackprop.symbols import (
        INPUT,
        Name,
        activation,
        activation_gradient,
        error,
        gradient_name,
        temporary,
        weight,
    )

    assert activation(0) == INPUT and str(activation(2)) == "a2"
    assert (weight(2).entry(1, 2), weight(12).entry(10, 11), error(3).cell(4)) == ("w2_12", "w12_10_11", "delta3_4")
    assert (weight(2).latex, error(1).text, weight(1).array, error(2).array) == ("W^{(2)}", "δ⁽¹⁾", "W1", "D2")
    assert weight(3).gradient_array == "gW3" and temporary("exponential", 2) == "E2"
    assert Name.parse("dW2").text == "∂L/∂W⁽²⁾" and activation_gradient(1).text == "∂L/∂a⁽¹⁾"
    assert gradient_name(weight(2)) == Name.parse("dW2") and Name.parse("x") == INPUT
    assert error(2).symbol("j").name == "delta2_j"
    for bad in ("w2", "W", "q3", "delta"):
        with pytest.raises(ValueError):
            Name.parse(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("W3", r"unknown parameter 'W3'; this network has W1, b1, W2, b2"),
        ("θ", "unknown parameter"),
        ("W1[3,1]", r"not an entry of W1: it lies outside its shape \(2, 2\); entries are numbered from 1"),
        ("W1[1]", r"give 2 1-based indices, e.g. W1\[1,1\]"),
        ("b1[1,1]", r"e.g. b1\[1\]"),
    ],
)
def test_wrt_is_read_once_and_checked_against_the_shapes(text, message):
    from symbackprop import UnknownParameterError, models
    from symbackprop.symbols import Wrt

    shapes = models.two_two_two().parameter_shapes()
    with pytest.raises(UnknownParameterError, match=message):
        Wrt.read(text, shapes)
    good = Wrt.read("W2[2,1]", shapes)
    assert (good.name, good.kind, good.layer, good.entry, good.cell, str(good)) == ("W2", "W", 2, (2, 1), (1, 0), "W2[2,1]")
    assert Wrt.read(" b1 [2] ", shapes).cell == (1, 0)


def test_no_module_builds_a_quantity_name_by_hand():
    """Names such as W2, delta1, a0_3 or Z2 come from symbols.py, not from f-strings elsewhere."""
    import ast
    import re
    from pathlib import Path

    stems = {"W", "b", "z", "a", "delta", "w", "x", "y", "dA", "dW", "db", "Z", "A", "D", "gW", "gb",
             "U", "gamma", "beta", "mu", "var", "sigma", "xhat"}  # (h and m would match HTML tags)
    trailing_stem = re.compile(r"(?:^|[^A-Za-z0-9_])([A-Za-z_]+)$")
    package = Path(__file__).resolve().parents[1] / "symbackprop"
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "symbols.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for part, following in zip(node.values, node.values[1:], strict=False):
                if isinstance(part, ast.Constant) and isinstance(following, ast.FormattedValue):
                    m = trailing_stem.search(part.value)
                    if m and m.group(1) in stems:
                        found.append(f"{path.relative_to(package)}:{node.lineno}")
    assert not found, "names built by hand: " + ", ".join(found)
