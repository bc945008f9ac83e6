"""Text that reaches a document (Markdown, HTML, LaTeX, PDF) is escaped for it; payloads never run.

A custom expression may hold only the characters of its grammar (no comment,
no backslash), and a name only plain words, so a payload is refused at the
boundary; what is allowed (``x*sigmoid(x)``, ``a_b``) is escaped by each
format's writer, so it shows as typed and never becomes markup.
"""

from __future__ import annotations

import json

import pytest

from symbackprop import Network, worksheet
from symbackprop.printing.latex import text_to_latex
from symbackprop.printing.markdown import markdown_words
from symbackprop.worksheets import MissingToolError
from symbackprop.worksheets.html import words as html_words
from symbackprop.worksheets.katex import find_katex

from .bad_input import assert_refused, unchanged
from .conftest import require_latex

MARKER = "pwned-marker"


def payload_specs(marker: str) -> list[dict]:
    return [
        {"activation": "x*sigmoid(x) # <script>alert(1)</script>"},
        {"activation": f"x*sigmoid(x) # \\immediate\\write18{{touch {marker}}}"},
        {"activation": f"x*sigmoid(x) # $\\input{{{marker}}}$"},
        {"activation": {"custom": "x*sigmoid(x)", "name": "<script>alert(1)</script>"}},
        {"activation": {"custom": "x*sigmoid(x)", "name": f"\\write18{{touch {marker}}}"}},
        {"activation": {"custom": "x*sigmoid(x)", "name": f"$\\immediate\\write18{{touch {marker}}}$"}},
        {"loss": {"custom": "(a - y)**2", "name": "<img src=x onerror=alert(1)>"}},
        {"name": f"net\\input{{{marker}}}"},
        {"activation": "__import__('os').system('touch " + marker + "')"},
    ]


OUTPUTS = [
    ("derive", "--format", "latex"),
    ("derive", "--format", "markdown"),
    ("worksheet", "-o", "sheet.md"),
    ("worksheet", "-o", "sheet.html"),
    ("worksheet", "-o", "sheet.tex"),
    ("worksheet", "-o", "sheet.pdf"),
]


@pytest.mark.parametrize("index", range(len(payload_specs(MARKER))))
def test_payloads_are_refused_by_every_writer_and_run_nothing(run_cli, tmp_path, monkeypatch, index):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / MARKER
    spec = {"layers": [2, 2, 1], **payload_specs(str(marker))[index]}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec))
    with unchanged(tmp_path):
        for args in OUTPUTS:
            result = run_cli(args[0], "--spec", str(path), *args[1:])
            assert_refused(result, "invalid network")
    assert not marker.exists()


NAMED = {"layers": [2, 2, 1], "activation": {"custom": "x*sigmoid(x) + x**2/4", "name": "a_b*c (x+1)/2: y'=1;"}}


def test_allowed_characters_are_escaped_in_markdown_and_latex(tmp_path):
    net = Network.from_spec(NAMED)
    markdown = worksheet(net, tmp_path / "sheet.md").read_text()
    words = [line for line in markdown.splitlines() if "\\text{" not in line]  # outside LaTeX math
    assert any("a\\_b\\*c (x+1)/2: y'=1;" in line for line in words)
    assert not any("a_b*c" in line for line in words)
    tex = worksheet(net, tmp_path / "sheet.tex").read_text()
    assert "a\\_b*c (x+1)/2: y'=1;" in tex and "a_b*c" not in tex


def test_allowed_characters_are_escaped_in_html(tmp_path):
    try:
        find_katex()
    except MissingToolError:
        pytest.skip("KaTeX is not installed: run make system-deps")
    html = worksheet(Network.from_spec(NAMED), tmp_path / "sheet.html").read_text()
    assert "a_b*c (x+1)/2: y&#x27;=1;" in html


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", "**bold** _it_ [link](http://x) `code` # head | cell ~ & \\", "a < b > c & d"],
)
def test_every_writer_escapes_words(text):
    assert "<" not in markdown_words(text) and ">" not in markdown_words(text)
    for char in "*_[]`#|~\\":
        assert markdown_words(char) == "\\" + char
    assert "<" not in html_words(text) and ">" not in html_words(text)
    latex = text_to_latex(text)
    for char in "#&%_{}~^":
        assert char not in latex.replace("\\" + char, "").replace("\\textbackslash{}", "").replace("\\~{}", "").replace("\\^{}", "")


def test_a_pdf_with_such_names_compiles(tmp_path):
    require_latex()
    path = worksheet(Network.from_spec(NAMED), tmp_path / "sheet.pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
