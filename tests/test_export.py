"""``symbackprop export`` and ``net.export``: what is written, how, and what is refused.

These need neither PyTorch nor JAX (writing a module needs neither); the
modules' gradients are checked in test_export_torch.py and test_export_jax.py.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

import symbackprop as sbp
from symbackprop import models
from symbackprop.errors import DataError, UnknownOptionError
from symbackprop.exports import TARGETS, export

NET = ["--layers", "2,3,2", "--activation", "tanh", "--output-activation", "softmax",
       "--loss", "cross_entropy"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_module_is_readable_python_with_a_docstring(target):
    net = models.understanding()
    source = net.export(target).source
    tree = ast.parse(source)  # valid Python
    doc = ast.get_docstring(tree)
    assert doc.startswith(f"{'PyTorch' if target == 'torch' else 'JAX'} module of the network")
    assert net.describe() in doc and "symbackprop export" in doc
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    assert {"loss", "gradient", "forward"} <= defined
    assert ("LossFunction" in defined and "Model" in defined) if target == "torch" else (
        "loss_function" in defined
    )
    # The parameters in the order of the network, with DESIGN.md's shapes.
    assert f"PARAMETERS = {net.parameter_shapes()!r}" in source


def test_the_array_code_is_the_code_generators_own():
    # One generator, three dialects: the NumPy source and the export share every rule.
    net = models.understanding()
    numpy_lines = [line.strip() for line in net.compile().source.splitlines()]
    torch_source = net.export("torch").source
    for rule in ("gW3 = D3.T @ A2", "D2 = (D3 @ W3) * (A2 > 0)", "gb1 = D1.sum(axis=0)"):
        assert rule in numpy_lines and rule in torch_source


def test_cli_writes_atomically_and_never_overwrites(run_cli, tmp_path):
    path = tmp_path / "model.py"
    result = run_cli("export", *NET, "--to", "torch", "-o", str(path))
    assert result.status == 0, result.stderr
    assert f"to {path}" in result.stdout
    written = path.read_text(encoding="utf-8")
    assert written == export(sbp.Network.from_layers([2, 3, 2], "tanh", "softmax",
                                                     "cross_entropy"), "torch").source
    again = run_cli("export", *NET, "--to", "jax", "-o", str(path))
    assert again.status == 2 and "already exists; pass --force" in again.stderr
    assert path.read_text(encoding="utf-8") == written  # untouched
    forced = run_cli("export", *NET, "--to", "jax", "-o", str(path), "--force")
    assert forced.status == 0 and "jax.custom_vjp" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]  # no temporary left


def test_cli_prints_the_module_without_an_output_file(run_cli):
    result = run_cli("export", *NET, "--to", "jax")
    assert result.status == 0 and result.stdout.startswith('"""JAX module of the network')


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--to", "tensorflow"], "unknown export target 'tensorflow'; expected one of torch, jax"),
        (["--to", "troch"], "did you mean 'torch'?"),
        (["--to", "torch", "-o", "missing-folder/model.py"], "does not exist"),
        ([], "--to"),
    ],
)
def test_bad_input_is_one_sentence_and_status_2(run_cli, args, words):
    result = run_cli("export", *NET, *args)
    assert result.status == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_python_api_refuses_an_unknown_target():
    with pytest.raises(UnknownOptionError, match="unknown export target"):
        models.two_two_two().export("onnx")


def _without(library: str, code: str, tmp_path) -> subprocess.CompletedProcess:
    """Run ``code`` in a Python where ``library`` cannot be imported."""
    (tmp_path / "sitecustomize.py").write_text(
        f"import sys\nsys.modules[{library!r}] = None  # import {library} fails\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.mark.parametrize(("target", "library", "install"),
                         [("torch", "torch", "pip install torch"),
                          ("jax", "jax", "pip install jax jaxlib")])
def test_a_module_whose_library_is_missing_says_so_in_one_sentence(target, library, install,
                                                                   tmp_path):
    path = models.two_two_two().export(target).write(tmp_path / "model.py")
    run = _without(library, f"import runpy; runpy.run_path({str(path)!r}, run_name='__main__')",
                   tmp_path)
    assert run.returncode == 2
    library_name = "PyTorch" if target == "torch" else "JAX"
    assert run.stderr.strip() == f"this module needs {library_name}, which is not installed: {install}"
    imported = _without(library, f"import runpy; runpy.run_path({str(path)!r})", tmp_path)
    assert imported.returncode == 1 and "ImportError: this module needs" in imported.stderr


@pytest.mark.parametrize(("target", "library"), [("torch", "PyTorch"), ("jax", "JAX")])
def test_loading_without_the_library_names_the_extra_to_install(monkeypatch, target, library):
    monkeypatch.setitem(sys.modules, target, None)  # import fails, installed or not
    with pytest.raises(DataError, match=rf"needs {library}, which is not installed: "
                                        rf"pip install 'symbackprop\[{target}\]'"):
        models.two_two_two().export(target).load()


def test_a_layer_operation_without_a_form_for_the_library_is_named(run_cli, tmp_path, monkeypatch):
    # Each layer operation brings its PyTorch and JAX forms; one that lacks them stops the
    # export with one sentence naming it, and nothing is written.
    from symbackprop.layers.pool import MaxRoute

    monkeypatch.delattr(MaxRoute, "torch")
    spec = tmp_path / "conv.json"
    spec.write_text('{"input": [1, 4, 4], "loss": "half_sse", "layers": [{"type": "conv2d", '
                    '"channels": 1, "kernel": 3, "padding": 1}, {"type": "maxpool2d", "size": 2}, '
                    '{"type": "flatten"}, {"type": "dense", "units": 1}]}')
    result = run_cli("export", "--spec", str(spec), "--to", "torch", "-o", str(tmp_path / "m.py"))
    assert result.status == 2 and "Traceback" not in result.stderr
    assert "the PyTorch export has no form yet for MaxRoute" in result.stderr
    assert not (tmp_path / "m.py").exists()
    assert run_cli("export", "--spec", str(spec), "--to", "jax").status == 0
