"""Worksheets and derivations as a reader gets them: the pages, their margins, and what the student sees.

PDFs are compiled (latexmk) and read back with ``pdftotext -bbox``: no word
of any page lies beyond the margins, for the sheets and the printed
derivations of networks up to the worksheet size limit (8 units a layer, 80
parameters); the classic 2-2-2 sheet fits in 6 pages with its key and 3
without; the student's PDF and the student's HTML page, as rendered by
headless Chromium, show none of the key's numbers.  Skips, naming the
package, where a tool is missing.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from symbackprop import Network, models
from symbackprop.worksheets import build, render

from .conftest import require_installed, require_latex
from .test_worksheet import CLASSIC
from .test_worksheet_review import key_numbers, shown_numbers
from .test_worksheet_toolchain import _chromium, _katex_or_skip, _Visible

MARGIN_PT = 56.69  # 2 cm: every document here has 2 cm margins
SLACK_PT = 1.0

# The canonical networks, and networks at the size limit: the widest layers, the
# deepest stack, every kind of output and loss.
SPECS = {
    "beginner": {"layers": [2, 3, 3, 2], "activation": "sigmoid", "bias": False, "loss": "half_sse"},
    "understanding": {"layers": [2, 4, 4, 3], "activation": "relu", "output_activation": "softmax",
                      "loss": "cross_entropy"},
    "8-7-2": {"layers": [8, 7, 2], "activation": "sigmoid"},
    "1-8-8": {"layers": [1, 8, 8], "activation": "tanh", "output_activation": "identity", "bias": False,
              "loss": "mse"},
    "2-4-4-4-3": {"layers": [2, 4, 4, 4, 3], "activation": "relu", "output_activation": "softmax",
                  "loss": "cross_entropy"},
    "4-8-4": {"layers": [4, 8, 4], "activation": "tanh", "output_activation": "sigmoid",
              "loss": "binary_cross_entropy"},
    "3-8-3": {"layers": [3, 8, 3], "activation": "leaky_relu", "output_activation": "softmax", "loss": "half_sse"},
    "l2": {"layers": [2, 3, 2], "activation": "sigmoid", "loss": "half_sse", "l2": 0.1},
}


def compile_tex(tex: str, path: Path) -> Path:
    path.write_text(tex)
    run = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={path.parent}", path.name],
        cwd=path.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    return path.with_suffix(".pdf")


def words(pdf: Path) -> list[tuple[int, str, float, float, float]]:
    """(page, word, xMin, xMax, page width) of every word of a PDF."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for number, (width, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', xml, re.S), 1):
        for m in re.finditer(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', body):
            out.append((number, m.group(3), float(m.group(1)), float(m.group(2)), float(width)))
    return out


def beyond_margins(pdf: Path) -> list[tuple[int, str]]:
    """(page, word) of every word of a PDF that reaches past its 2 cm margins."""
    return [(page, word) for page, word, left, right, width in words(pdf)
            if left < MARGIN_PT - SLACK_PT or right > width - MARGIN_PT + SLACK_PT]


def pages(pdf: Path) -> int:
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return xml.count("<page ")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, tuple[Path, object]]:
    """Every sheet (teacher's and student's) and every ``derive --format latex``, compiled."""
    require_latex()
    require_installed("pdftotext")
    from click.testing import CliRunner

    from symbackprop.cli import cli

    folder = tmp_path_factory.mktemp("pages")
    out: dict[str, tuple[Path, object]] = {}
    sheets = {"classic": build(models.two_two_two(), seed=0, **CLASSIC)}
    sheets |= {name: build(Network.from_spec(spec), seed=1) for name, spec in SPECS.items()}
    for name, sheet in sheets.items():
        for copy, document in (("teacher", sheet), ("student", sheet.student_copy())):
            out[f"{name}-{copy}"] = (compile_tex(render(document, "tex"), folder / f"{name}-{copy}.tex"), sheet)
    for name, spec in {"2-2-2": {"layers": [2, 2, 2], "activation": "sigmoid"}, **SPECS}.items():
        (folder / f"{name}.json").write_text(json.dumps(spec))
        result = CliRunner().invoke(cli, ["derive", "--spec", str(folder / f"{name}.json"), "--format", "latex"])
        assert result.exit_code == 0, result.output
        out[f"{name}-derive"] = (compile_tex(result.output, folder / f"{name}-derive.tex"), None)
    return out


def test_no_word_of_any_page_is_beyond_the_margins(documents):
    outside = {}
    for name, (pdf, _) in documents.items():
        bad = beyond_margins(pdf)
        if bad:
            outside[name] = bad[:5]
    assert not outside, outside
    assert len(documents) == 2 * (len(SPECS) + 1) + len(SPECS) + 1
    for name, (pdf, _) in documents.items():  # nothing was shrunk to fit either
        tex = pdf.with_suffix(".tex").read_text()
        assert "\\resizebox" not in tex and "\\scalebox" not in tex, name


def test_the_classic_sheet_fits_six_pages_with_its_key_and_three_without(documents):
    assert pages(documents["classic-teacher"][0]) <= 6
    assert pages(documents["classic-student"][0]) <= 3


def test_the_student_pdf_shows_none_of_the_keys_numbers(documents):
    checked = 0
    for name, (pdf, sheet) in documents.items():
        if not name.endswith("-student"):
            continue
        text = pdf_text(pdf).replace("−", "-")
        teacher = pdf_text(documents[name.replace("student", "teacher")][0]).replace("−", "-")
        hidden = {n.lstrip("-") for n in key_numbers(sheet) if "e" not in n}
        assert hidden and any(n in teacher for n in hidden), name  # the key prints them
        found = sorted(n for n in hidden if re.search(rf"(?<![0-9.]){re.escape(n)}(?![0-9])", text))
        assert not found, f"{name}: {found[:5]}"
        assert "Name:" in text and "Key" not in text
        checked += 1
    assert checked == len(SPECS) + 1


def _print_html(page: str, folder: Path) -> Path:
    """The page printed by Chromium on A4 (narrower than Letter)."""
    path, pdf = folder / "page.html", folder / "page.pdf"
    path.write_text(page.replace("</head>", "<style>@page { size: A4 }</style></head>", 1))
    run = _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri(), tmp=folder)
    assert run.returncode == 0 and pdf.is_file(), run.stderr[-2000:]
    return pdf


def _heights(pdf: Path, word: str) -> set[float]:
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return {round(float(b) - float(a), 1)
            for a, b in re.findall(rf'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">{word}<', xml)}


@pytest.fixture(scope="module")
def unshrunk(tmp_path_factory) -> float:
    """The height of a word of text on a printed page that nothing made the browser shrink."""
    _katex_or_skip()
    require_installed("pdftotext")
    from symbackprop.worksheets.html import STYLE

    folder = tmp_path_factory.mktemp("print")
    pdf = _print_html(f"<html><head><style>{STYLE}</style></head><body><main><p>One sample</p></main></body></html>",
                      folder)
    (height,) = _heights(pdf, "sample")
    return height


@pytest.mark.parametrize(
    ("name", "copy"),
    [("classic", "teacher"), ("8-7-2", "teacher"), ("3-8-3", "teacher"), ("2-4-4-4-3", "teacher"),
     ("understanding", "student")],
)
def test_the_html_page_prints_at_its_size_within_the_margins(tmp_path, unshrunk, name, copy):
    """A line wider than the printed page makes Chromium shrink the whole page to fit (or, in a
    scrolling box, cuts it off); printed on A4, the sheet's text keeps its size and every number it
    shows is on the paper, inside the margins."""
    sheet = build(models.two_two_two(), seed=0, **CLASSIC) if name == "classic" else build(
        Network.from_spec(SPECS[name]), seed=1)
    document = sheet if copy == "teacher" else sheet.student_copy()
    pdf = _print_html(render(document, "html"), tmp_path)
    assert _heights(pdf, "sample") == {unshrunk}, "the page was shrunk to fit"
    found = words(pdf)
    margin = min(left for _, _, left, _, _ in found)  # Chromium's own margin, the same on both sides
    assert 20 < margin < 60
    beyond = [(page, word) for page, word, _, right, width in found if right > width - margin + SLACK_PT]
    assert not beyond, beyond[:5]
    printed = pdf_text(pdf).replace("−", "-")
    numbers = {n.lstrip("-") for n in shown_numbers(sheet) | (key_numbers(sheet) if copy == "teacher" else set())
               if "e" not in n}
    missing = sorted(n for n in numbers if not re.search(rf"(?<![0-9.]){re.escape(n)}(?![0-9])", printed))
    assert len(numbers) > 20 and not missing, missing[:5]


def test_the_student_html_shows_none_of_the_keys_numbers(tmp_path):
    _katex_or_skip()
    sheet = build(models.understanding(), seed=2)
    page = tmp_path / "student.html"
    page.write_text(render(sheet.student_copy(), "html"))
    run = _chromium("--dump-dom", page.as_uri(), tmp=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    visible = _Visible()
    visible.feed(run.stdout)
    shown = " ".join(visible.text).replace("−", "-")
    assert visible.errors == 0 and "Exercise 5" in shown and "Name:" in shown
    hidden = {n.lstrip("-") for n in key_numbers(sheet)}
    found = sorted(n for n in hidden if re.search(rf"(?<![0-9.]){re.escape(n)}(?![0-9])", shown))
    assert not found, found[:5]
