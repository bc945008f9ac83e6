"""The key's check: its gradients against central finite differences of the loss.

Two comparisons, each with its largest relative error:

* the gradients printed on the sheet against central differences of the
  compiled loss (step scaled to each entry, by :func:`symbackprop.gradcheck`),
  at the worked example;
* the key's own equations (δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ evaluated from the derivation) against
  the compiled gradients.

A worksheet is written only when both are small: a sheet whose key is wrong
would teach the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SymbackpropError
from .numbers import Values

if TYPE_CHECKING:
    from ..derive import Derivation

TOLERANCE = 1e-4  # the "fine" band of symbackprop.gradcheck; these sheets reach ~1e-8
KEY_TOLERANCE = 1e-9  # the same float64 numbers by two routes agree to rounding


@dataclass(frozen=True)
class Check:
    fd_error: float  # largest relative error, the sheet's gradients vs finite differences
    fd_where: str  # the entry where it occurs, e.g. "W1[2,1]"
    key_error: float  # largest relative error, key's equations vs compiled numbers
    entries: int  # how many scalar gradients were compared
    kinks: int = 0  # entries whose difference stencil crossed a ReLU kink (not compared)
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        return self.fd_error < self.tolerance and self.key_error < KEY_TOLERANCE


def check_gradients(derivation: Derivation, values: Values, compiled=None) -> Check:
    """Compare at the worked example; raise when the key is wrong (a bug, not a user mistake).

    The gradients under test are the numbers printed on the sheet (``values.grads``);
    the differences are of the compiled loss, by :func:`symbackprop.gradcheck`.
    """
    from ..gradient_check import gradcheck

    f = compiled if compiled is not None else derivation.compile()
    X = np.asarray(values.x, dtype=float).reshape(1, -1)
    Y = np.asarray(values.y, dtype=float).reshape(1, -1)
    report = gradcheck(
        f, values.params, X, Y, gradient=lambda p, x, y: (values.loss, values.grads), tolerance=TOLERANCE
    )
    worst = max(report.rows, key=lambda row: row.max_relative_error)
    where = f"{worst.name}[{','.join(map(str, worst.where))}]" if worst.where else worst.name
    check = Check(
        float(worst.max_relative_error),
        where,
        float(values.key_agreement()),
        sum(row.checked for row in report.rows),
        report.kinks,
    )
    if not check.passed:
        raise SymbackpropError(
            f"the solution key disagrees with finite differences (largest relative error "
            f"{check.fd_error:.2e} at {check.fd_where}, key vs compiled {check.key_error:.2e}); "
            "this is a bug in symbackprop, please report it"
        )
    return check
