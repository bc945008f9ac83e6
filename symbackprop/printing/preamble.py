r"""The preamble of every LaTeX document symbackprop writes.

Every ``\usepackage`` the project emits is written here, and only for a
package that ``system-deps.txt`` lists with the Debian package providing it,
so ``make system-deps`` installs whatever a document loads.

>>> print(preamble(geometry="margin=2cm,landscape"))
\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[margin=2cm,landscape]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
>>> usepackage("nosuch")
Traceback (most recent call last):
...
ValueError: nosuch.sty is not in symbackprop/system-deps.txt; add it with the Debian package that provides it
"""

from __future__ import annotations

from collections.abc import Sequence

from ..system_deps import requirement

FONTS = (("fontenc", "T1"), ("lmodern", ""))  # Latin Modern in T1: scalable Type 1 fonts
MATH = ("amsmath", "amssymb")  # what a derivation's body needs (align*, \text, \mathbb)


def _listed(file: str) -> str:
    if requirement(file) is None:
        raise ValueError(
            f"{file} is not in symbackprop/system-deps.txt; add it with the Debian package that provides it"
        )
    return file


def usepackage(name: str, options: str = "") -> str:
    r"""``\usepackage[options]{name}`` for a listed package."""
    _listed(f"{name}.sty")
    return rf"\usepackage[{options}]{{{name}}}" if options else rf"\usepackage{{{name}}}"


def preamble(
    class_options: str = "11pt",
    geometry: str = "margin=2cm",
    packages: Sequence[str] = (),
    tikz_libraries: Sequence[str] = (),
) -> str:
    """An ``article`` preamble: Latin Modern fonts, the page geometry, amsmath, then ``packages``."""
    _listed("article.cls")
    lines = [rf"\documentclass[{class_options}]{{article}}"]
    lines += [usepackage(name, options) for name, options in FONTS]
    lines.append(usepackage("geometry", geometry))
    lines += [usepackage(name) for name in (*MATH, *packages)]
    for library in tikz_libraries:
        _listed(f"tikzlibrary{library}.code.tex")
        lines.append(rf"\usetikzlibrary{{{library}}}")
    return "\n".join(lines)

