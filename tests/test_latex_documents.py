"""Every kind of LaTeX document symbackprop writes compiles where ``make system-deps`` has run.

The preambles load only what symbackprop/system-deps.txt lists, and the set-up
script installs everything listed, so a new ``\\usepackage`` without an install
step fails here rather than on a user's machine.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from symbackprop import Network, models, system_deps
from symbackprop.cli import cli
from symbackprop.printing.preamble import MATH, usepackage
from symbackprop.worksheets import build, render

from .conftest import require_installed, require_latex
from .test_layers import CONV
from .test_layers_dropout import DROPOUT_MLP
from .test_layers_normalise import BATCHNORM_CONV, LAYERNORM_MLP
from .test_layers_rnn import RNN

PACKAGE = Path(__file__).resolve().parent.parent / "symbackprop"


def _derive_command() -> str:
    args = ["derive", "--layers", "2,3,1", "--activation", "relu", "--output-activation", "sigmoid",
            "--loss", "binary_cross_entropy", "--format", "latex"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _body_only_wrapped() -> str:
    """``derive --body-only`` inside the smallest document its help names (amsmath, amssymb)."""
    body = models.understanding().derive().latex(level="matrix")
    preamble = [r"\documentclass{article}", *(usepackage(name) for name in MATH)]
    return "\n".join([*preamble, r"\begin{document}", body, r"\end{document}"]) + "\n"


DOCUMENTS = {
    "worksheet": lambda: render(build(models.two_two_two(), seed=0), "tex"),
    "student-copy": lambda: render(build(models.beginner(), seed=1, solutions=False), "tex"),
    "derive-format-latex": _derive_command,
    # What the demo writes as derivation.txt's LaTeX twin (tests/test_cli_demo.py checks it is this).
    "standalone": lambda: models.beginner().derive().latex(standalone=True),
    "body-only-wrapped": _body_only_wrapped,
    # A conv net's derivation: index notation (SymPy's sums and Iverson brackets) and matrix level.
    "conv-index": lambda: Network.from_spec(CONV).derive().latex(standalone=True),
    "conv-matrix": lambda: Network.from_spec(CONV).derive().latex(level="matrix", standalone=True),
    # Batch norm's graph μ, σ², x̂; layer norm; dropout's mask; backpropagation through time.
    **{
        f"{name}-{level}": (lambda spec=spec, level=level: Network.from_spec(spec).derive().latex(level=level, standalone=True))
        for name, spec in (("batchnorm", BATCHNORM_CONV), ("layernorm", LAYERNORM_MLP), ("dropout", DROPOUT_MLP), ("rnn", RNN))
        for level in ("scalar", "matrix")
    },
}


def loaded_files(tex: str) -> set[str]:
    r"""The TeX files a preamble loads: its class, packages and TikZ libraries.

    >>> sorted(loaded_files("\\documentclass[a]{article}\\usepackage[x]{amsmath, tikz}\\usetikzlibrary{calc}"))
    ['amsmath.sty', 'article.cls', 'tikz.sty', 'tikzlibrarycalc.code.tex']
    """
    found = set()
    for command, template in (("documentclass", "{}.cls"), ("usepackage", "{}.sty"),
                              ("RequirePackage", "{}.sty"), ("usetikzlibrary", "tikzlibrary{}.code.tex")):
        for names in re.findall(rf"\\{command}\s*(?:\[[^\]]*\])?\s*\{{([^}}]*)\}}", tex):
            found |= {template.format(name.strip()) for name in names.split(",") if name.strip()}
    return found


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return {name: make() for name, make in DOCUMENTS.items()}


def test_every_file_a_document_loads_is_in_the_list_set_up_installs(documents):
    listed = {name for name, entry in system_deps.requirements().items() if entry.kind == "tex"}
    for name, tex in documents.items():
        assert loaded_files(tex) <= listed, (name, loaded_files(tex) - listed)
    # And the list holds no package that no document loads any more.
    loaded = set().union(*(loaded_files(tex) for tex in documents.values()))
    assert {f for f in listed if f.endswith((".sty", ".cls", ".code.tex"))} <= loaded


def test_only_the_preamble_module_writes_usepackage():
    """So the documents above, written through it, are every preamble the project emits."""
    writers = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if re.search(r"\\(usepackage|RequirePackage|documentclass|usetikzlibrary)\b", path.read_text())
    )
    assert writers == ["printing/preamble.py"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_compiles_cleanly_with_scalable_fonts(documents, name, tmp_path):
    require_latex()
    require_installed("pdffonts")
    source = tmp_path / "document.tex"
    source.write_text(documents[name], encoding="utf-8")
    run = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
        stdin=subprocess.DEVNULL,
    )
    log = (tmp_path / "document.log").read_text(errors="replace")
    assert run.returncode == 0, log[-2000:]
    assert not re.search(r"^! ", log, re.M)
    assert "Undefined control sequence" not in log and "Missing character" not in log
    assert "Font shape" not in log, "a font was substituted"
    if name.startswith(("conv-", "batchnorm-", "layernorm-", "dropout-", "rnn-")):
        assert "Overfull \\hbox" not in log, "a line of a layer's derivation runs into the margin"
    pdf = tmp_path / "document.pdf"
    assert pdf.stat().st_size > 10_000
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    # Type 1 fonts (Latin Modern where the preamble loads it), not bitmaps that mktexpk
    # renders on the first run, as T1 text in Computer Modern would need.
    assert "Type 3" not in fonts, fonts
    assert ("LMRoman" in fonts) == ("lmodern.sty" in loaded_files(documents[name])), fonts
