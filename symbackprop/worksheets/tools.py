"""The external programs a format needs, and turning LaTeX into PDF with them.

The PDF is made in a temporary folder with latexmk (pdflatex underneath) so
nothing but the finished file lands beside the user's; a failed run raises
with the first LaTeX error and the log's tail, never leaves a half PDF.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SymbackpropError

# Debian packages that provide each program (what the tests' skip messages name).
PACKAGES = {
    "latexmk": "latexmk",
    "pdflatex": "texlive-latex-base texlive-latex-recommended texlive-pictures",
    "pdftotext": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "chromium": "chromium",
}
LATEX_TIMEOUT = 120  # seconds; a worksheet takes two or three pdflatex runs of about a second


class MissingToolError(SymbackpropError, RuntimeError):
    """A program or asset a format needs (KaTeX, latexmk, pdflatex) is not installed."""


class LatexError(SymbackpropError, RuntimeError):
    """pdflatex rejected the document (a bug in symbackprop when it happens)."""


def require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise MissingToolError(
            f"PDF worksheets need {program!r}, which is not installed; install the Debian "
            f"package(s) {PACKAGES.get(program, program)}, or write .tex and compile it yourself"
        )
    return path


def first_error(log: str) -> str:
    """The first ``! …`` error of a LaTeX log with the line it names."""
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("!"):
            return " ".join(part.strip() for part in lines[index : index + 3])
    return ""


def compile_pdf(tex: str) -> bytes:
    """The PDF of a standalone LaTeX document."""
    latexmk = require("latexmk")
    require("pdflatex")
    with tempfile.TemporaryDirectory(prefix="symbackprop-tex-") as folder:
        source = Path(folder) / "worksheet.tex"
        source.write_text(tex, encoding="utf-8")
        try:
            run = subprocess.run(
                [latexmk, "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                 "-quiet", source.name],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=LATEX_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise LatexError(f"pdflatex did not finish within {LATEX_TIMEOUT} s") from None
        pdf = Path(folder) / "worksheet.pdf"
        log_path = Path(folder) / "worksheet.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        if run.returncode != 0 or not pdf.exists():
            detail = first_error(log) or (run.stdout + run.stderr).strip()[-300:]
            raise LatexError(f"pdflatex could not compile the worksheet: {detail}")
        return pdf.read_bytes()
