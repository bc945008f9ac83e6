"""The external programs a format needs, and turning LaTeX into PDF with them.

The PDF is made in a temporary folder with latexmk (pdflatex underneath) so
nothing but the finished file lands beside the user's.  A missing program or
TeX file is reported with the Debian package that provides it (from
``system-deps.txt``); any other failed run raises with the first LaTeX error,
and never leaves a half PDF.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SymbackpropError
from ..system_deps import install_advice, requirement

LATEX_TIMEOUT = 120  # seconds; a worksheet takes two or three pdflatex runs of about a second

# How pdflatex says that a file is missing (a package, class or input file, a font's
# metrics, a TikZ library), and the file name made from what it names.
_MISSING_FILE = (
    (re.compile(r"^! LaTeX Error: File `([^']+)' not found", re.M), "{}"),
    (re.compile(r"^! I can't find file `([^']+)'", re.M), "{}"),
    (re.compile(r"^! Font \S+=(\S+) at \S+ not loadable: Metric \(TFM\) file not found", re.M), "{}.tfm"),
    (re.compile(r"^! Package tikz Error: I did not find the tikz library '([^']+)'", re.M),
     "tikzlibrary{}.code.tex"),
)
# Lines of TeX's interactive help, which say nothing to someone reading an error message.
_HELP = re.compile(
    r"^(Type {2}H <return>|Type X to quit|or enter new name|See the LaTeX manual|You're in trouble|Try typing)"
)


class MissingToolError(SymbackpropError, RuntimeError):
    """A program or asset a format needs (KaTeX, latexmk, pdflatex, a LaTeX package) is not installed."""


class LatexError(SymbackpropError, RuntimeError):
    """pdflatex rejected the document (a bug in symbackprop when it happens)."""


def _advice(name: str) -> str:
    if requirement(name) is None:
        return f"install the Debian package that provides it ('apt-file search {name}' names it)"
    return install_advice([name])


def require(program: str) -> str:
    """The path of ``program``; a MissingToolError naming its Debian package when it is not installed."""
    path = shutil.which(program)
    if path is None:
        raise MissingToolError(
            f"PDF output needs the program {program}, which is not installed; {_advice(program)}"
        )
    return path


def missing_file(log: str) -> str | None:
    """The file a LaTeX log says it could not find (a package, a font's metrics), if any.

    >>> missing_file("! LaTeX Error: File `lmodern.sty' not found.")
    'lmodern.sty'
    >>> missing_file("! Font T1/lmr/m/n/10.95=ec-lmr10 at 10.95pt not loadable: Metric (TFM) file not found.")
    'ec-lmr10.tfm'
    """
    for pattern, file in _MISSING_FILE:
        match = pattern.search(log)
        if match:
            return file.format(match.group(1))
    return None


def first_error(log: str) -> str:
    """The first ``! …`` error of a LaTeX log, with the source line it names.

    >>> first_error("x\\n! Undefined control sequence.\\nl.3 \\\\nosuchmacro\\n\\nmore")
    '! Undefined control sequence. l.3 \\\\nosuchmacro'
    """
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("!"):
            kept = []
            for part in lines[index : index + 6]:
                if part.strip() and not _HELP.match(part):
                    kept.append(part.strip())
                if part.startswith("l."):
                    break
            return " ".join(kept)
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
            lost = missing_file(log)
            if lost:
                raise MissingToolError(
                    f"PDF output needs the LaTeX file {lost}, which is not installed; {_advice(lost)}"
                )
            detail = first_error(log) or (run.stdout + run.stderr).strip()[-300:]
            raise LatexError(f"pdflatex could not compile the document: {detail}")
        return pdf.read_bytes()
