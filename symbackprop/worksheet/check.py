"""The key's check: its gradients against central finite differences of the loss.

Two comparisons, each with its largest relative error:

* the compiled gradients against central differences of the compiled loss
  (step scaled to each entry), at the worked example;
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
from .numbers import Values, relative_error

if TYPE_CHECKING:
    from ..derive import Derivation

TOLERANCE = 1e-5  # relative, with errors below 1e-4 in size counted against 1e-4


@dataclass(frozen=True)
class Check:
    fd_error: float  # largest relative error, compiled gradients vs finite differences
    fd_where: str  # the entry where it occurs, e.g. "W1[2,1]"
    key_error: float  # largest relative error, key's equations vs compiled gradients
    entries: int  # how many scalar gradients were checked
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        return self.fd_error <= self.tolerance and self.key_error <= self.tolerance


def _entry(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(str(i + 1) for i in index)}]"


def finite_differences(loss, params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray):
    """Central differences of the compiled loss for every parameter entry."""
    out = {}
    for name, value in params.items():
        grad = np.zeros_like(value, dtype=float)
        for index in np.ndindex(value.shape):
            h = 1e-6 * max(1.0, abs(float(value[index])))
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[name][index] = value[index] + h
            up = loss(shifted, X, Y)
            shifted[name][index] = value[index] - h
            down = loss(shifted, X, Y)
            grad[index] = (up - down) / (2 * h)
        out[name] = grad
    return out


def check_gradients(derivation: Derivation, values: Values, compiled=None) -> Check:
    """Compare at the worked example; raise when the key is wrong (a bug, not a user mistake)."""
    f = compiled if compiled is not None else derivation.compile()
    X = np.asarray(values.x, dtype=float).reshape(1, -1)
    Y = np.asarray(values.y, dtype=float).reshape(1, -1)
    numeric = finite_differences(f.loss, values.params, X, Y)
    worst, where, count = 0.0, "", 0
    for name, grad in values.grads.items():
        errors = relative_error(grad, numeric[name], tiny=1e-4)
        count += errors.size
        index = np.unravel_index(int(np.argmax(errors)), errors.shape)
        if errors[index] >= worst:
            worst, where = float(errors[index]), _entry(name, tuple(int(i) for i in index))
    check = Check(worst, where, float(values.key_agreement()), count)
    if not check.passed:
        raise SymbackpropError(
            f"the solution key disagrees with finite differences (largest relative error "
            f"{check.fd_error:.2e} at {check.fd_where}, key vs compiled {check.key_error:.2e}); "
            "this is a bug in symbackprop, please report it"
        )
    return check
