"""Worksheets without external tools: the document, its numbers, its key, the .tex/.md text, the CLI.

The worked example is checked against two oracles that share no code with
symbackprop: the published numbers of the classic 2-2-2 worked example, and
PyTorch autograd.  The key's final formulas are checked against central
finite differences computed here.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import sympy

import symbackprop as sbp
from symbackprop import DataError, Network, ShapeError, SymbackpropError, models
from symbackprop.display import Partial
from symbackprop.display import value as plain
from symbackprop.layers.l2 import LAMBDA
from symbackprop.symbols import LOSS
from symbackprop.worksheets import build, render
from symbackprop.worksheets.check import check_gradients
from symbackprop.worksheets.drawing import layout, svg

# The classic step-by-step example (Mazur, "A Step by Step Backpropagation Example").
CLASSIC = {
    "params": {
        "W1": [[0.15, 0.20], [0.25, 0.30]],
        "b1": [0.35, 0.35],
        "W2": [[0.40, 0.45], [0.50, 0.55]],
        "b2": [0.60, 0.60],
    },
    "x": [0.05, 0.10],
    "y": [0.01, 0.99],
}


@pytest.fixture(scope="module")
def classic():
    return build(models.two_two_two(), seed=0, **CLASSIC)


def test_classic_example_reproduces_the_published_numbers(classic):
    v = classic.values
    assert v.loss == pytest.approx(0.298371109, abs=1e-9)
    assert v.a[0] == pytest.approx((0.593269992, 0.596884378), abs=1e-9)
    assert v.a[1] == pytest.approx((0.75136507, 0.772928465), abs=1e-8)
    # Updated weights with α = 0.5 as published: w5..w8 then w1..w4.
    assert v.updated["W2"].ravel() == pytest.approx([0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=1e-8)
    assert v.updated["W1"].ravel() == pytest.approx([0.149780716, 0.19956143, 0.24975114, 0.29950229], abs=1e-8)


def _torch_pass(network, values):
    torch = pytest.importorskip("torch")
    p = {n: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True) for n, v in values.params.items()}
    a = torch.tensor(values.x, dtype=torch.float64)
    for index, layer in enumerate(network.layers, start=1):
        z = p[f"W{index}"] @ a + (p[f"b{index}"] if network.bias else 0)
        name = layer.activation.name
        a = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}.get(name)
        a = torch.softmax(z, 0) if name == "softmax" else a(z)
    y = torch.tensor(values.y, dtype=torch.float64)
    loss = -(y * torch.log(a)).sum() if network.loss.name == "cross_entropy" else 0.5 * ((a - y) ** 2).sum()
    loss.backward()
    return float(loss.detach()), {n: t.grad.numpy() for n, t in p.items()}


@pytest.mark.parametrize("make", [models.understanding, models.beginner], ids=["understanding", "beginner"])
def test_worked_example_matches_pytorch(make):
    network = make()
    sheet = build(network, seed=5)
    loss, grads = _torch_pass(network, sheet.values)
    assert sheet.values.loss == pytest.approx(loss, rel=1e-12)
    for name, grad in grads.items():
        np.testing.assert_allclose(sheet.values.grads[name], grad, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(
            sheet.values.updated[name], sheet.values.params[name] - 0.5 * grad, rtol=1e-10, atol=1e-14
        )


def _fd(network, values, name, row, col, h=1e-6):
    """Central difference of the loss, through a forward pass written here."""

    def loss(params):
        a = np.asarray(values.x)
        for index, layer in enumerate(network.layers, start=1):
            z = params[f"W{index}"] @ a + (params[f"b{index}"] if network.bias else 0)
            act = layer.activation.name
            if act == "softmax":
                e = np.exp(z - z.max())
                a = e / e.sum()
            else:
                a = {"relu": lambda t: np.maximum(t, 0), "sigmoid": lambda t: 1 / (1 + np.exp(-t))}[act](z)
        y = np.asarray(values.y)
        penalty = network.l2 / 2 * sum((params[f"W{i}"] ** 2).sum() for i in range(1, network.depth + 1))  # DESIGN's L2 term
        return penalty + (-(y * np.log(a)).sum() if network.loss.name == "cross_entropy" else 0.5 * ((a - y) ** 2).sum())

    index = (row - 1, col - 1) if name.startswith("W") else (row - 1,)
    up = {n: np.array(v, dtype=float) for n, v in values.params.items()}
    down = {n: np.array(v, dtype=float) for n, v in values.params.items()}
    up[name][index] += h
    down[name][index] -= h
    return (loss(up) - loss(down)) / (2 * h)


@pytest.mark.parametrize("make", [models.two_two_two, models.understanding, models.beginner, models.l2_mlp])
def test_each_keyed_formula_equals_finite_differences(make):
    """The last line of each exercise's key, evaluated at the example, is the true derivative
    (with L2, the key's λw included: the answers of weights say λ, the bias's does not)."""
    network = make()
    sheet = build(network, seed=11)
    d = network.derive()
    v = sheet.values
    point = {LAMBDA: network.l2} if network.l2 else {}
    point.update(zip(d.symbols.x, v.x, strict=True))
    point.update(zip(d.symbols.y, v.y, strict=True))
    for layer, z, a in zip(d.symbols.layers, v.z, v.a, strict=True):
        point.update(zip(layer.z, z, strict=True))
        point.update(zip(layer.a, a, strict=True))
        for name in ("W", "b"):
            symbols = getattr(layer, name)
            if symbols is not None:
                point.update(zip(symbols, np.asarray(v.params[f"{name}{layer.index}"]).ravel(), strict=True))
    gradients = [sol for sol in sheet.solutions if sol.exercise.asks_gradient]
    assert len(gradients) == 3 and len(sheet.solutions) == len(sheet.exercises)
    # Where an answer stops at the δ form, the δ's are those the key derives, each once on the sheet.
    deltas = {
        step.lhs: plain(step.rhs[-1])
        for sol in gradients for section in sol.sections for step in section.steps
        if isinstance(step.lhs, sympy.Symbol) and step.lhs.name.startswith("delta")
    }
    for sol in gradients:
        ex = sol.exercise
        final = sol.sections[-1].steps[-1]
        assert final.lhs == Partial(LOSS, ex.symbol) and final.rhs[-1] == sol.answer
        formula = plain(sol.answer)
        for _ in range(network.depth):
            formula = formula.xreplace(deltas)
        assert not formula.free_symbols - set(point), "the key's answer uses only a, z, x, y and parameters"
        keyed = float(formula.xreplace({s: sympy.Float(val) for s, val in point.items()}).doit())
        expected = _fd(network, v, ex.parameter, ex.row, ex.col)
        assert (LAMBDA in formula.free_symbols) == (bool(network.l2) and ex.parameter[0] == "W")
        assert keyed == pytest.approx(expected, rel=1e-6, abs=1e-9)
        assert sol.value == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_exercises_cover_an_output_weight_a_hidden_weight_and_a_bias():
    network = models.understanding()
    L = network.depth
    for seed in range(6):
        exercises = build(network, seed=seed).exercises
        kinds = [e.kind for e in exercises]
        assert kinds == ["output weight", "hidden weight", "bias", "vectorised", "numbers"]
        out, hidden, bias = exercises[:3]
        assert out.parameter == f"W{L}" and int(hidden.parameter[1:]) < L and hidden.parameter[0] == "W"
        assert bias.parameter.startswith("b")
        for e in exercises[:3]:
            shape = network.parameter_shapes()[e.parameter]
            assert 1 <= e.row <= shape[0] and 1 <= e.col <= (shape[1] if len(shape) == 2 else 1)


def test_without_biases_a_third_weight_is_asked_instead():
    kinds = [(e.kind, e.parameter) for e in build(models.beginner(), seed=0).exercises][:3]
    assert [k for k, _ in kinds] == ["output weight", "hidden weight", "hidden weight"]
    assert kinds[1][1] != kinds[2][1], "the two hidden weights come from different layers"


def test_the_seed_varies_the_sheet_and_repeats_it():
    network = models.two_two_two()
    first = build(network, seed=1)
    again = build(network, seed=1)
    assert [e.wrt for e in first.exercises] == [e.wrt for e in again.exercises]
    assert first.values.x == again.values.x
    sheets = {(tuple(e.wrt for e in s.exercises), s.values.x) for s in (build(network, seed=k) for k in range(5))}
    assert len(sheets) >= 4


def test_drawn_numbers_are_on_a_grid_and_avoid_relu_kinks():
    sheet = build(models.understanding(), seed=3)
    for value in sheet.values.params.values():
        np.testing.assert_allclose(np.asarray(value) / 0.05, np.round(np.asarray(value) / 0.05), atol=1e-9)
    for layer, z in zip(models.understanding().layers, sheet.values.z, strict=True):
        if layer.activation.name == "relu":
            assert min(abs(t) for t in z) >= 0.02
    assert sum(sheet.values.y) == pytest.approx(1.0)  # cross-entropy targets are a distribution


def test_a_wrong_key_is_refused():
    sheet = build(models.two_two_two(), seed=0)
    grads = {n: g.copy() for n, g in sheet.values.grads.items()}
    grads["W1"][0, 1] *= 1.01
    wrong = dataclasses.replace(sheet.values, grads=grads)
    with pytest.raises(SymbackpropError, match="disagrees with finite differences"):
        check_gradients(models.two_two_two().derive(), wrong)


def test_check_reports_a_small_error(classic):
    assert classic.check.passed
    assert 0 <= classic.check.fd_error < 1e-6
    assert classic.check.key_error < 1e-12
    assert classic.check.entries == 12


SECTIONS = ("The chain rule and the four equations", "Notation", "The worked example", "Exercises")


def test_tex_has_the_parts_and_the_picture(classic):
    tex = render(classic, "tex")
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert "\\begin{tikzpicture}" in tex and "\\usepackage{amsmath" in tex
    positions = [tex.index(f"\\section*{{{title}}}") for title in SECTIONS]
    assert positions == sorted(positions)
    assert [tex.count(f"\\subsection*{{Exercise {n}:") for n in range(1, 6)] == [1] * 5
    assert "0.298371" in tex  # the loss, to 6 significant digits
    assert "\\paragraph*{Check}" in tex and tex.count("\\paragraph*{Key: ") == 3
    student = render(classic.student_copy(), "tex")
    assert "Key" not in student and "Check" not in student and "The worked example" in student
    assert "Name: \\rule" in student and student.count("\\fbox{\\begin{minipage}[t]") == 4
    for document in (tex, student):  # nothing shrunk to fit
        assert "\\resizebox" not in document and "\\scalebox" not in document


def test_markdown_has_math_and_an_svg(classic):
    md = render(classic, "md")
    assert md.count("$$") % 2 == 0 and md.count("$$") >= 20
    assert "#### Key: the chain" in md and "## Exercises" in md and "### Exercise 5:" in md
    ET.fromstring(md[md.index("<svg"): md.index("</svg>") + 6])  # well-formed
    assert "0.298371" in md


def test_svg_drawing_marks_the_exercise_parameters():
    network = models.understanding()
    picture = layout(network, highlight=("w3_12", "b1_2"))
    root = ET.fromstring(svg(picture))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall("s:circle", ns)) == sum(network.sizes)
    weights = sum(network.sizes[i] * network.sizes[i + 1] for i in range(network.depth))
    assert len(root.findall("s:line", ns)) == weights + network.sizes[-1]  # plus the edges into L
    red = [e for e in root.findall("s:line", ns) if e.get("stroke") == "#c0392b"]
    assert len(red) == 1
    assert len([c for c in root.findall("s:circle", ns) if c.get("stroke") == "#c0392b"]) == 1


def test_worksheet_function_writes_atomically_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "sheet.md"
    assert sbp.worksheet(models.two_two_two(), target, seed=2) == target
    first = target.read_text()
    with pytest.raises(DataError, match="already exists"):
        sbp.worksheet(models.two_two_two(), target, seed=3)
    assert target.read_text() == first
    sbp.worksheet(models.two_two_two(), target, seed=3, force=True)
    assert target.read_text() != first
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.md"]  # no temporary files left


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"path": "sheet.docx"}, DataError, "end the file name in"),
        ({"x": [0.1, 0.2, 0.3]}, ShapeError, "x has 3 entries"),
        ({"params": {"W1": [[1.0]]}}, SymbackpropError, "W1"),
        ({"digits": 1}, DataError, "digits must be"),
        ({"lr": -1.0}, DataError, "learning rate"),
    ],
)
def test_user_mistakes_name_the_value(tmp_path, kwargs, error, message):
    kwargs = {"path": tmp_path / "sheet.md", **kwargs}
    if not str(kwargs["path"]).startswith(str(tmp_path)):
        kwargs["path"] = tmp_path / kwargs["path"]
    with pytest.raises(error, match=message):
        sbp.worksheet(models.two_two_two(), **kwargs)


def test_cross_entropy_targets_must_sum_to_one(tmp_path):
    with pytest.raises(DataError, match="sum to 1"):
        sbp.worksheet(models.understanding(), tmp_path / "s.md", y=[0.5, 0.2, 0.2])


def test_networks_too_large_for_a_hand_worksheet_are_refused(tmp_path):
    with pytest.raises(DataError, match="at most 8 units"):
        sbp.worksheet(Network.from_layers([2, 20, 1]), tmp_path / "s.md")


def test_cli_writes_a_student_copy_and_refuses_to_overwrite(run_cli, tmp_path):
    target = tmp_path / "student.md"
    args = ["worksheet", "--layers", "2,2,2", "--activation", "sigmoid", "-o", str(target)]
    result = run_cli(*args, "--no-solutions", "--seed", "4", "--x", "0.05,0.10", "--y", "0.01,0.99")
    assert result.status == 0, result.stderr
    text = target.read_text()
    assert "Key" not in text and "Exercise 3" in text and "Name: " in text
    assert "0.05" in text and "0.99" in text
    again = run_cli(*args)
    assert again.status == 2
    assert again.stderr.startswith("symbackprop: error:") and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    assert run_cli(*args, "--force").status == 0
    assert "#### Key: the chain" in target.read_text()


def test_cli_bad_vector_is_one_sentence(run_cli, tmp_path):
    result = run_cli("worksheet", "--layers", "2,2,2", "-o", str(tmp_path / "s.md"), "--x", "0.1,abc")
    assert result.status == 2
    assert "--x takes numbers" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_example_writes_both_articles_sheets(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "examples" / "worksheets.py"
    run = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path), "--formats", "md,tex", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    names = sorted(Path(p).name for p in outcome["written"])
    assert names == sorted(
        f"{net}-{copy}.{fmt}" for net in ("beginner", "understanding")
        for copy in ("key", "student") for fmt in ("md", "tex")
    )
    assert "2-3-3-2" in (tmp_path / "beginner-key.md").read_text()
    assert "Key" not in (tmp_path / "understanding-student.tex").read_text()
    assert all(c["largest_relative_error"] < 1e-6 for c in outcome["checks"].values())


def test_example_writes_what_it_can_and_reports_the_rest(tmp_path):
    """Without latexmk the PDFs are reported, naming the package, and the others written."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "examples" / "worksheets.py"
    run = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path), "--formats", "pdf,md"],
        capture_output=True, text=True, timeout=120, check=False, env={"PATH": str(tmp_path)},
    )
    assert run.returncode == 1 and run.stderr == ""
    lines = run.stdout.splitlines()
    assert sum(line.startswith("wrote ") for line in lines) == 4
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert [line.split(":")[0] for line in skipped] == [
        f"skipped {net}-{copy}.pdf" for net in ("beginner", "understanding") for copy in ("key", "student")
    ]
    assert all("needs the program latexmk" in line and "Debian package latexmk" in line for line in skipped)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{net}-{copy}.md" for net in ("beginner", "understanding") for copy in ("key", "student")
    )


def test_given_numbers_on_a_relu_kink_are_refused_with_a_reason(tmp_path):
    net = Network.from_spec({"layers": [2, 2, 1], "activation": "relu", "output_activation": "identity"})
    params = {"W1": [[1.0, -1.0], [0.5, 0.5]], "b1": [0.0, 0.1], "W2": [[1.0, 1.0]], "b2": [0.0]}
    with pytest.raises(DataError, match="unit 1 of layer 1 has z = 0, on the kink of relu"):
        sbp.worksheet(net, tmp_path / "s.md", params=params, x=[0.3, 0.3], y=[1.0])


def test_given_numbers_where_the_loss_is_undefined_are_refused(tmp_path):
    net = Network.from_spec({"layers": [2, 1], "activation": "sigmoid", "loss": "-log(y - a)"})
    params = {"W1": [[0.1, 0.2]], "b1": [0.0]}
    with pytest.raises(DataError, match="loss is not finite at x = \\[0.3, 0.3\\], y = \\[0.0\\]"):
        sbp.worksheet(net, tmp_path / "s.md", params=params, x=[0.3, 0.3], y=[0.0])
