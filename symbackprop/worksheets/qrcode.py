"""A sheet's code as a QR code, drawn in each format the worksheet is written in.

The QR code holds the code as text (``7-ada-JHVJ``); a phone's camera reads
it, and ``symbackprop variant NET --code 7-ada-JHVJ`` writes that sheet
again.  segno makes the modules; the drawing is ours, so the same code gives
the same bytes (segno's own TeX output is dated).

>>> modules = matrix("7-ada-JHVJ")
>>> len(modules), len(modules[0])       # version 1: 21 × 21 modules
(21, 21)
>>> tikz("7-ada-JHVJ").count("rectangle") == sum(len(runs(row)) for row in modules)
True
"""

from __future__ import annotations

from functools import lru_cache

QUIET = 2  # modules of white border (the standard asks 4; the sheet's margin adds to it)


@lru_cache(maxsize=64)
def matrix(code: str) -> tuple[tuple[bool, ...], ...]:
    """The dark (True) and light modules of the QR code of ``code``, row by row from the top."""
    import segno

    qr = segno.make(code, error="m", micro=False)
    return tuple(tuple(bool(cell) for cell in row) for row in qr.matrix)


def runs(row: tuple[bool, ...]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    out, start = [], None
    for i, dark in enumerate((*row, False)):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            out.append((start, i - start))
            start = None
    return out


def svg(code: str, size_px: int = 96) -> str:
    """An inline SVG of the QR code, ``size_px`` wide."""
    modules = matrix(code)
    n = len(modules) + 2 * QUIET
    path = "".join(f"M{x + QUIET} {y + QUIET}h{length}v1h-{length}z"
                   for y, row in enumerate(modules) for x, length in runs(row))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            f'viewBox="0 0 {n} {n}" role="img" aria-label="QR code: {code}">'
            f'<rect width="{n}" height="{n}" fill="#fff"/><path d="{path}" fill="#000"/></svg>')


def tikz(code: str, size_cm: float = 2.2) -> str:
    """A TikZ picture of the QR code, ``size_cm`` wide."""
    modules = matrix(code)
    n = len(modules)
    unit = size_cm / (n + 2 * QUIET)
    rows = [rf"\fill ({x},{-y}) rectangle +({length},-1);"
            for y, row in enumerate(modules) for x, length in runs(row)]
    return rf"\begin{{tikzpicture}}[x={unit:.4f}cm,y={unit:.4f}cm]" + " ".join(rows) + r"\end{tikzpicture}"
