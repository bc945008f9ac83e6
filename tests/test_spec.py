"""Network specs: every way of building one, and validation that reports every problem at once."""

from __future__ import annotations

import dataclasses
import json

import pytest

from symbackprop import Network, SpecError, models
from symbackprop.cli.common import load_network
from symbackprop.spec import load_spec_file


def test_from_spec_reads_every_field():
    net = Network.from_spec(
        {
            "layers": [3, 4, 2],
            "activation": "tanh",
            "output_activation": "softmax",
            "bias": False,
            "loss": "cross_entropy",
            "name": "demo",
        }
    )
    assert net.sizes == (3, 4, 2)
    assert net.depth == 2
    assert [layer.activation.name for layer in net.layers] == ["tanh", "softmax"]
    assert net.output_activation.name == "softmax"
    assert net.loss.name == "cross_entropy"
    assert net.bias is False
    assert net.name == "demo"
    assert net.parameter_names() == ("W1", "W2")
    assert net.parameter_shapes() == {"W1": (4, 3), "W2": (2, 4)}
    assert net.parameter_count() == 12 + 8


def test_defaults_and_per_layer_activations():
    net = Network.from_spec({"layers": [2, 3, 3, 1], "activation": ["relu", "tanh", "identity"]})
    assert [layer.activation.name for layer in net.layers] == ["relu", "tanh", "identity"]
    assert net.bias is True and net.loss.name == "half_sse"
    assert net.parameter_names() == ("W1", "b1", "W2", "b2", "W3", "b3")
    assert net.parameter_count() == (6 + 3) + (9 + 3) + (3 + 1)
    default = Network.from_spec({"layers": [2, 1]})
    assert default.layers[0].activation.name == "sigmoid"


def test_output_activation_overrides_the_last_layer_only():
    net = Network.from_spec({"layers": [2, 2, 2, 2], "activation": "relu", "output_activation": "sigmoid"})
    assert [layer.activation.name for layer in net.layers] == ["relu", "relu", "sigmoid"]


def test_from_layers_matches_from_spec():
    a = Network.from_layers([2, 3, 1], "tanh", "identity", "mse", bias=False)
    b = Network.from_spec(
        {"layers": [2, 3, 1], "activation": "tanh", "output_activation": "identity", "loss": "mse", "bias": False}
    )
    assert a == b


def test_layers_may_be_text():
    assert Network.from_spec({"layers": "2, 3,1"}).sizes == (2, 3, 1)


@pytest.mark.parametrize("make", list(models.CANONICAL.values()))
def test_to_spec_round_trips(make):
    net = make()
    assert Network.from_spec(net.to_spec()) == net


def test_custom_and_leaky_round_trip():
    net = Network.from_layers([2, 2, 1], ["leaky_relu(0.2)", "x*sigmoid(x)"], loss="(a - y)**4")
    again = Network.from_spec(net.to_spec())
    assert [layer.activation.name for layer in again.layers] == ["leaky_relu(0.2)", "x*sigmoid(x)"]
    assert again.layers[0].activation.slope == 0.2
    assert again.loss.name == "(a - y)**4"


def test_specs_are_frozen():
    net = Network.from_layers([2, 2, 1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.name = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.layers[0].activation.name = "tanh"  # type: ignore[misc]
    assert isinstance(net.layers, tuple)


# -- files ---------------------------------------------------------------


def test_json_and_toml_files(tmp_path):
    spec = {"layers": [2, 3, 2], "activation": "relu", "output_activation": "softmax", "loss": "cross_entropy"}
    as_json = tmp_path / "net.json"
    as_json.write_text(json.dumps(spec))
    as_toml = tmp_path / "net.toml"
    as_toml.write_text(
        'layers = [2, 3, 2]\nactivation = "relu"\noutput_activation = "softmax"\nloss = "cross_entropy"\n'
    )
    assert Network.from_spec(as_json) == Network.from_spec(str(as_toml)) == Network.from_spec(spec)
    assert load_spec_file(as_toml)["layers"] == [2, 3, 2]


def test_bad_files_name_the_file_and_the_problem(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"layers": [2, 3,')
    with pytest.raises(SpecError, match="broken.json.*not valid JSON"):
        Network.from_spec(broken)
    broken_toml = tmp_path / "broken.toml"
    broken_toml.write_text("layers = [2, 3")
    with pytest.raises(SpecError, match="broken.toml.*not valid TOML"):
        Network.from_spec(broken_toml)
    with pytest.raises(SpecError, match="cannot read spec file.*missing.json"):
        Network.from_spec(tmp_path / "missing.json")
    listing = tmp_path / "list.json"
    listing.write_text("[2, 3, 1]")
    with pytest.raises(SpecError, match="must be a mapping, got list"):
        Network.from_spec(listing)


def test_file_errors_are_validated_like_dicts(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layers": [2, 0], "activation": "sigmod"}))
    with pytest.raises(SpecError) as info:
        Network.from_spec(path)
    assert len(info.value.problems) == 2


# -- the inline form of the command line ---------------------------------


def test_inline_options_build_the_network():
    net = load_network(None, "2,3,2", "tanh", "softmax", "cross_entropy", True)
    assert net.sizes == (2, 3, 2)
    assert [layer.activation.name for layer in net.layers] == ["tanh", "softmax"]
    assert net.bias is False and net.loss.name == "cross_entropy"


def test_inline_options_override_the_file(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"layers": [2, 3, 1], "activation": "relu"}))
    net = load_network(str(path), "2,5,1", None, None, None, False)
    assert net.sizes == (2, 5, 1) and net.layers[0].activation.name == "relu"


def test_inline_errors_report_every_problem():
    with pytest.raises(SpecError) as info:
        load_network(None, "2,0,x", "sigmod", None, "crossentropy", False)
    text = str(info.value)
    assert "got 0 for layer 1" in text and "got 'x' for layer 2" in text
    assert "did you mean 'sigmoid'" in text and "did you mean 'cross_entropy'" in text
    assert len(info.value.problems) == 4


def test_inline_needs_a_network():
    with pytest.raises(SpecError, match="--spec FILE or inline as --layers"):
        load_network(None, None, None, None, None, False)


def test_cli_reports_a_bad_spec_in_one_line(run_cli):
    result = run_cli("derive", "--layers", "2,0,1", "--activation", "sigmod")
    assert result.status == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbackprop: error: ")
    assert "got 0 for layer 1" in lines[0] and "did you mean 'sigmoid'" in lines[0]
    assert "Traceback" not in result.stderr


# -- validation: every problem, each naming the value and what was expected


def _problems(spec) -> tuple[str, ...]:
    with pytest.raises(SpecError) as info:
        Network.from_spec(spec)
    assert str(info.value) == "invalid network: " + "; ".join(info.value.problems)
    return info.value.problems


def test_every_problem_is_reported_at_once():
    problems = _problems(
        {
            "layers": [2, 0, 3],
            "activation": "sigmod",
            "loss": "crossentropy",
            "bias": "yes",
            "colour": "red",
        }
    )
    assert len(problems) == 5
    joined = " | ".join(problems)
    assert "unknown key 'colour'" in joined and "expected keys are layers" in joined
    assert "got 0 for layer 1" in joined
    assert "unknown activation 'sigmod' (did you mean 'sigmoid'?)" in joined
    assert "unknown loss 'crossentropy' (did you mean 'cross_entropy'?)" in joined
    assert "'bias' must be true or false, got 'yes'" in joined


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"layers": [2, -1, 1]}, "at least 1, got -1 for layer 1"),
        ({"layers": [2, 2.5, 1]}, "whole numbers of at least 1, got 2.5 for layer 1"),
        ({"layers": [2, True]}, "got True for layer 1"),
        ({"layers": [2]}, "needs at least an input and an output size, got [2]"),
        ({"layers": [3], "loss": "mse"}, "got [3]"),
        ({}, "'layers' is missing"),
        ({"layers": 5}, "'layers' must be a list of sizes"),
        ({"layers": [2, 3, 2], "activation": "relu", "loss": "cross_entropy"}, "cross_entropy needs a softmax output layer, got 'relu'"),
        ({"layers": [2, 3, 2], "activation": ["softmax", "softmax"], "loss": "cross_entropy"}, "softmax is only allowed on the output layer, but layer 1 of 2"),
        ({"layers": [2, 1], "activation": "softmax"}, "a softmax output needs at least 2 units, got 1"),
        ({"layers": [2, 1], "activation": "relu", "loss": "binary_cross_entropy"}, "binary_cross_entropy needs outputs in (0, 1)"),
        ({"layers": [2, 3, 1], "activation": ["relu"]}, "lists 1 activations for 2 layers"),
        ({"layers": [2, 1], "activation": "x*y"}, "exactly one variable, 'x*y' uses x, y"),
        ({"layers": [2, 1], "activation": "leaky_relu(abc)"}, "leaky_relu slope must be a number such as 0.01, got 'abc'"),
        ({"layers": [2, 1], "activation": {"name": "leaky_relu", "slope": "x"}}, "slope must be a number such as 0.01, got 'x'"),
        ({"layers": [2, 1], "activation": 5}, "an activation must be a name or an expression, got 5"),
        ({"layers": [2, 1], "loss": "(b - y)**2"}, "unknown name 'b'; known names are a, y"),
        ({"layers": [2, 1], "loss": "y**2"}, "does not depend on a"),
        ({"layers": [2, 1], "loss": "(a - y"}, "was never closed"),
        ({"layers": [2, 1], "loss": 3}, "a loss must be a name or an expression in a and y, got 3"),
        ({"layers": [2, 1], "activation": "__import__('os').getcwd()"}, "exactly one variable"),
        ({"layers": [2, 1], "activation": "x * x.__class__"}, "Attribute is not allowed"),
        ({"layers": [2, 1], "activation": "x**1000"}, "larger than 64"),
    ],
)
def test_each_problem_names_the_value_and_what_was_expected(spec, expected):
    problems = _problems(spec)
    assert any(expected in p for p in problems), problems


def test_a_spec_must_be_a_mapping():
    with pytest.raises(SpecError, match="must be a mapping, got list"):
        Network.from_spec([2, 3, 1])  # type: ignore[arg-type]


def test_layers_built_by_hand_are_checked_too():
    good = Network.from_layers([2, 3, 1])
    first, second = good.layers
    mismatched = dataclasses.replace(second, inputs=4)
    with pytest.raises(SpecError, match="layer 2 takes 4 inputs but layer 1 has 3 units"):
        Network((first, mismatched), good.loss)
    with pytest.raises(SpecError, match="bias must be on for every layer or for none"):
        Network((first, dataclasses.replace(second, bias=False)), good.loss)
    with pytest.raises(SpecError, match="at least one layer"):
        Network((), good.loss)


def test_different_custom_activations_get_different_letters():
    net = Network.from_layers([2, 3, 2, 1], ["x*sigmoid(x)", "erf(x)", "x*sigmoid(x)"])
    letters = [layer.activation.latex_symbol for layer in net.layers]
    assert letters == ["f", "g", "f"]
    assert net.layers[1].activation.identity.startswith("g'(t) = ")
    assert Network.from_layers([2, 2, 1], ["x*sigmoid(x)", "tanh"]).layers[0].activation.latex_symbol == "f"
    text = net.derive().text(level="matrix")
    assert "g(z⁽²⁾)" in text and "f(z⁽³⁾)" in text


def test_a_single_size_is_one_problem():
    assert len(_problems({"layers": [2]})) == 1
