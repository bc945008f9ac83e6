"""Worksheets: exercises, a worked example and a solution key, as PDF, HTML, LaTeX or Markdown.

``build`` makes the document (frozen data from the Derivation); ``worksheet``
writes it to a file whose extension picks the format.  The seed picks the
exercises and the example's numbers, so each student can get their own sheet.

>>> from symbackprop.models import two_two_two
>>> sheet = build(two_two_two(), seed=2)
>>> [(e.kind, e.parameter) for e in sheet.exercises]
[('output weight', 'W2'), ('hidden weight', 'W1'), ('bias', 'b1'), ('vectorised', 'W2'), ('numbers', '')]
>>> sheet.check.fd_error < 1e-6
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError, UnknownOptionError, UnsupportedError
from ..io import check_output_path, write_atomic
from ..spec import Network
from .layered import LayerSheet, featured_layer
from .layered import build as build_layered
from .model import Exercise, Solution, Worksheet, build
from .tools import LatexError, MissingToolError

FORMATS = {".tex": "LaTeX", ".pdf": "PDF", ".html": "HTML", ".htm": "HTML", ".md": "Markdown"}


def render(sheet: Worksheet, fmt: str) -> str | bytes:
    """The worksheet in one format: ``"tex"``, ``"pdf"``, ``"html"`` or ``"md"``."""
    fmt = fmt.lstrip(".").lower()
    if fmt == "tex":
        from .latex import render as tex

        return tex(sheet)
    if fmt == "pdf":
        from .latex import render as tex
        from .tools import compile_pdf

        return compile_pdf(tex(sheet))
    if fmt in ("html", "htm"):
        from .html import render as html

        return html(sheet)
    if fmt == "md":
        from .markdown import render as md

        return md(sheet)
    raise UnknownOptionError(f"unknown worksheet format {fmt!r:.40}; expected one of tex, pdf, html, md")


def worksheet(
    net: Network | Mapping[str, Any] | str | Path,
    path: str | Path,
    solutions: bool = True,
    seed: int = 0,
    params: Mapping[str, Any] | str | Path | None = None,
    x: Sequence[float] | None = None,
    y: Sequence[float] | None = None,
    lr: float | None = None,
    digits: int | None = None,
    force: bool = False,
) -> Path:
    """Write the worksheet of ``net`` to ``path``; the extension picks the format.

    An existing file is replaced only with ``force``; the write is atomic.
    ``solutions=False`` leaves out the key (a student's copy).
    """
    given, path = path, Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            f"cannot tell the worksheet format from {str(path)!r}; end the file name in "
            ".pdf, .html, .tex or .md"
        )
    # Checked before the work, so a long PDF run is not wasted; write_atomic checks again.
    check_output_path(given, force)
    network = net if isinstance(net, Network) else Network.from_spec(net)
    unsupported = network.unsupported("a worksheet")
    if unsupported:
        raise UnsupportedError(unsupported)
    if featured_layer(network) is not None:  # a convolution, a recurrent layer, a normalisation, dropout
        if params is not None or x is not None or y is not None:
            raise UnsupportedError(
                "a worksheet of a convolution, a recurrent layer, a normalisation or dropout draws its own worked "
                "example from the seed; params, x and y are for the sheets of an MLP"
            )
        if lr is not None:
            raise UnsupportedError(
                "a worksheet of a convolution, a recurrent layer, a normalisation or dropout has no update "
                "step; lr is for the sheets of an MLP"
            )
        sheet: Any = build_layered(network, seed=seed, solutions=solutions, **({"digits": digits} if digits else {}))
    else:
        sheet = build(network, seed=seed, solutions=solutions, params=params, x=x, y=y,
                      lr=0.5 if lr is None else lr, digits=6 if digits is None else digits)
    return write_atomic(path, render(sheet, suffix), force=force)


__all__ = [
    "Exercise",
    "FORMATS",
    "LayerSheet",
    "LatexError",
    "MissingToolError",
    "Solution",
    "Worksheet",
    "build",
    "render",
    "worksheet",
]
