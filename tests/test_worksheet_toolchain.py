"""Worksheets through the real toolchain: pdflatex/latexmk, poppler, headless Chromium, KaTeX.

Each test skips, naming what to install, when its tool is missing.  PNG
pictures of a PDF page and of the HTML page are saved under artifacts/ so a
person can look at them.  Only two documents are compiled (LaTeX runs cost
seconds): the classic 2-2-2 sheet as PDF and the ReLU/softmax sheet as HTML;
tests/test_latex_documents.py compiles every kind of LaTeX document the project writes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from symbackprop import models
from symbackprop.worksheets import worksheet
from symbackprop.worksheets.katex import KATEX_VERSION, find_katex
from symbackprop.worksheets.tools import MissingToolError

from .conftest import require_installed, require_latex
from .test_worksheet import CLASSIC

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
SECTIONS = ("The chain rule and the four equations", "Notation", "The worked example", "Exercises", "Check")


@pytest.fixture(scope="module")
def classic_pdf(tmp_path_factory):
    require_latex()
    require_installed("pdftotext")
    path = tmp_path_factory.mktemp("pdf") / "classic.pdf"
    worksheet(models.two_two_two(), path, seed=0, **CLASSIC)
    return path


def test_pdf_has_every_section_and_the_example_numbers(classic_pdf):
    text = subprocess.run(
        ["pdftotext", "-layout", str(classic_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    positions = [text.find(title) for title in SECTIONS]
    assert all(p >= 0 for p in positions), dict(zip(SECTIONS, positions, strict=True))
    assert positions == sorted(positions), "sections appear in order"
    # The published numbers of this example, to the sheet's 6 significant digits: the loss,
    # a⁽¹⁾₁, a⁽²⁾₁, the updated w₈ and w₄, and ∂ℒ/∂w₅.
    for number in ("0.298371", "0.593270", "0.751365", "0.561370", "0.299502", "0.0821670"):
        assert number in text, number
    assert "Exercise 1: an output weight" in text and "Exercise 3: a bias" in text


def test_pdf_first_page_is_saved_as_png(classic_pdf):
    require_installed("pdftoppm")
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "worksheet-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(classic_pdf), str(target)],
        check=True,
    )
    png = target.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


# -- HTML ----------------------------------------------------------------------


def _katex_or_skip():
    try:
        return find_katex()
    except MissingToolError:
        pytest.skip(f"KaTeX is not installed: install npm, then run make system-deps (katex@{KATEX_VERSION})")


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        require_installed("chromium")
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         # Any attempt to fetch something would fail: the page must not need the network.
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


class _Visible(HTMLParser):
    """Text a reader sees: not scripts, styles, or KaTeX's hidden TeX annotations."""

    HIDDEN = {"script", "style", "annotation", "title"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.math = self.rendered = self.errors = self.katex = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        self.math += "sbp-math" in classes
        self.rendered += "sbp-rendered" in classes
        self.errors += "katex-error" in classes
        self.katex += "katex" in classes
        if tag not in ("br", "hr", "meta", "img", "path", "line", "rect", "circle", "use"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if not self.HIDDEN & set(self.stack):
            self.text.append(data)


@pytest.fixture(scope="module")
def html_sheet(tmp_path_factory):
    _katex_or_skip()
    path = tmp_path_factory.mktemp("html") / "understanding.html"
    worksheet(models.understanding(), path, seed=0)
    return path


def test_html_is_self_contained(html_sheet):
    page = html_sheet.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and not re.search(r"url\((?!data:|#)", page)
    assert "katex.min.js" not in page  # inlined, not linked
    assert "data:font/woff2;base64," in page


def test_html_renders_every_formula_in_chromium(html_sheet, tmp_path):
    run = _chromium("--dump-dom", html_sheet.as_uri(), tmp=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    parser = _Visible()
    parser.feed(run.stdout)
    source = _Visible()
    source.feed(html_sheet.read_text())
    assert source.math > 60, "the page has its formulas"
    assert parser.math == source.math and parser.rendered == source.math
    assert parser.katex >= source.math, "every formula became KaTeX output"
    assert parser.errors == 0
    visible = " ".join(parser.text)
    leftovers = re.findall(r"\\[A-Za-z]+|\$|\\\\", visible)
    assert not leftovers, f"raw LaTeX is visible: {sorted(set(leftovers))[:10]}"
    for title in SECTIONS:
        assert title in visible


def test_html_page_screenshot_is_saved(html_sheet, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "worksheet-html.png"
    target.unlink(missing_ok=True)
    run = _chromium("--hide-scrollbars", "--window-size=1000,2400", f"--screenshot={target}",
                    html_sheet.as_uri(), tmp=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 50_000


def test_katex_version_is_the_one_set_up_installs():
    script = (ROOT / "scripts" / "install-system-deps.sh").read_text()
    assert f"KATEX_VERSION={KATEX_VERSION}" in script


# -- failures say what to do ---------------------------------------------------------


def test_missing_latexmk_names_the_package(monkeypatch, tmp_path):
    from symbackprop.worksheets import tools

    monkeypatch.setattr(tools.shutil, "which", lambda name: None)
    with pytest.raises(MissingToolError, match="install the Debian package latexmk"):
        worksheet(models.two_two_two(), tmp_path / "s.pdf")
    assert not (tmp_path / "s.pdf").exists()


def _fake_latex(folder: Path, log: str) -> None:
    """latexmk and pdflatex that fail as TeX Live does, leaving ``log`` as the run's log."""
    folder.mkdir()
    (folder / "log.txt").write_text(log)
    for program in ("latexmk", "pdflatex"):
        script = folder / program
        script.write_text(f'#!/bin/sh\ncp "{folder / "log.txt"}" worksheet.log\nexit 12\n')
        script.chmod(0o755)


# What pdflatex writes when lmodern is missing (TeX Live 2022, Debian 12).
NO_LMODERN = """(/usr/share/texlive/texmf-dist/tex/latex/base/fontenc.sty

! LaTeX Error: File `lmodern.sty' not found.

Type X to quit or <RETURN> to proceed,
or enter new name. (Default extension: sty)

Enter file name:
! Emergency stop.
"""


def test_a_missing_latex_package_names_the_file_and_its_debian_package(run_cli, monkeypatch, tmp_path):
    _fake_latex(tmp_path / "bin", NO_LMODERN)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    result = run_cli("worksheet", "--layers", "2,2,2", "-o", str(tmp_path / "s.pdf"))
    assert result.status == 2
    assert result.stderr == (
        "symbackprop: error: PDF output needs the LaTeX file lmodern.sty, which is not installed; "
        "install the Debian package lmodern (apt-get install lmodern, or make system-deps as root)\n"
    )
    assert not (tmp_path / "s.pdf").exists()


def test_a_missing_file_outside_the_list_says_how_to_find_its_package(monkeypatch, tmp_path):
    from symbackprop.worksheets.tools import compile_pdf

    _fake_latex(tmp_path / "bin", "! LaTeX Error: File `nosuch.sty' not found.\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(MissingToolError, match="nosuch.sty, which is not installed; .*apt-file search nosuch.sty"):
        compile_pdf("\\documentclass{article}\\usepackage{nosuch}\\begin{document}x\\end{document}\n")


def test_missing_katex_names_the_install_command(monkeypatch, tmp_path):
    from symbackprop.worksheets import katex

    monkeypatch.setattr(katex, "candidates", lambda: [tmp_path / "nowhere"])
    katex.assets.cache_clear()
    try:
        with pytest.raises(MissingToolError, match=f"npm install --prefix build/katex katex@{KATEX_VERSION}"):
            worksheet(models.two_two_two(), tmp_path / "s.html")
    finally:
        katex.assets.cache_clear()
    assert not (tmp_path / "s.html").exists()


def test_a_latex_error_is_reported_with_its_message():
    from symbackprop.worksheets.tools import LatexError, compile_pdf

    require_latex()
    with pytest.raises(LatexError, match="Undefined control sequence"):
        compile_pdf("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}\n")


def test_cli_end_to_end_in_a_subprocess(tmp_path):
    """``python -m symbackprop worksheet`` with a spec file and a parameter file."""
    import json
    import sys

    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"layers": [2, 2, 2], "activation": "sigmoid", "loss": "half_sse"}))
    params = tmp_path / "p.json"
    params.write_text(json.dumps(CLASSIC["params"]))
    out = tmp_path / "classic.tex"
    args = [sys.executable, "-m", "symbackprop", "worksheet", "--spec", str(spec), "-o", str(out),
            "--params", str(params), "--x", "0.05,0.10", "--y", "0.01,0.99", "--digits", "5"]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    tex = out.read_text()
    assert "0.29837" in tex and "0.298371" not in tex  # the loss, to 5 digits
    again = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
