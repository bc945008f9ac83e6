"""Derivations as printable data: titled sections of steps ``lhs = rhs₁ = rhs₂ …``.

The printed derivations (:mod:`symbackprop.chain`) and the worksheets make
these; the printers (:mod:`symbackprop.printing`) walk them.

>>> import sympy
>>> step = Step(sympy.Symbol("L"), (sympy.Integer(0),), "nothing to learn")
>>> Section("Example", (step,)).steps[0].why
'nothing to learn'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs = rhs[0] = rhs[1] …`` with a reason.

    ``shapes`` (matrix level) lists the shape of each factor on the right and
    ``result_shape`` the shape of the result, so printers can annotate them;
    ``elementwise`` holds the positions in ``shapes`` of the factors joined to
    the one before by ⊙ rather than by a matrix product.
    """

    lhs: Any
    rhs: tuple[Any, ...]
    why: str = ""
    shapes: tuple[tuple[int, int], ...] = ()
    result_shape: tuple[int, int] | None = None
    elementwise: tuple[int, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled group of steps, with an optional sentence before them."""

    title: str
    steps: tuple[Step, ...] = ()
    intro: str = ""
