"""``l2``: the penalty (λ/2) Σ w² on every weight entry of W (and U), and its gradient λW.

The batch loss is the mean of the per-sample losses plus the penalty once.
Since the penalty is the same for every sample, that equals the mean of
(ℓᵢ + penalty): the plan can add it to the per-sample loss, and each weight's
gradient gains λW, which the mean over a batch leaves as it is.  Biases (and
the gammas and betas of normalisation layers) are not penalised.

>>> import numpy as np
>>> from symbackprop.symbols import weight
>>> from symbackprop.tensor import Quantity
>>> W = Quantity(weight(1), 2, 2)
>>> penalty = L2Penalty(0.5, (W,))
>>> float(penalty.compute(np.array([[1.0, 2.0], [0.0, 1.0]]))), str(WeightDecay(0.5, W))
(1.5, '0.5 * W1')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..display import Formula
from ..tensor import Op, Quantity, Tensor

LAMBDA = sympy.Symbol("lambda", positive=True)


def strength_symbol() -> sympy.Symbol:
    """λ, as the printed derivations write the strength."""
    return LAMBDA


@dataclass(frozen=True)
class L2Penalty(Op):
    """(λ/2) Σ_W Σ w², a 1×1 matrix added to the per-sample loss."""

    strength: float
    weights: tuple[Quantity, ...]

    @property
    def args(self) -> tuple[Tensor, ...]:
        return self.weights

    @property
    def shape(self) -> tuple[int, ...]:
        return (1, 1)

    def compute(self, *arrays: Any) -> Any:
        return self.strength / 2 * sum((W * W).sum() for W in arrays)

    def symbolic(self, *arrays: Any) -> Any:
        import numpy as np

        total = sympy.Add(*[entry**2 for W in arrays for entry in np.ravel(W)])
        return np.array([[sympy.Float(self.strength) / 2 * total]], dtype=object)

    def numpy(self, args: list[str]) -> str:
        squares = " + ".join(f"numpy.vdot({W}, {W})" for W in args)
        return f"{self.strength!r} / 2 * ({squares})"

    def torch(self, args: list[str]) -> str:
        squares = " + ".join(f"({W} * {W}).sum()" for W in args)
        return f"{self.strength!r} / 2 * ({squares})"

    jax = torch  # the same array methods

    def display(self, args: list[Any]) -> Any:
        norms = " + ".join(rf"\lVert {{{k}}} \rVert^2" for k in range(len(args)))
        texts = " + ".join(f"‖{{{k}}}‖²" for k in range(len(args)))
        return Formula(rf"\frac{{\lambda}}{{2}} \left({norms}\right)", f"λ/2 ({texts})", *args)

    def show(self, args: list[str]) -> str:
        return f"{self.strength!r}/2 * ({' + '.join(f'|{W}|^2' for W in args)})"


@dataclass(frozen=True)
class WeightDecay(Op):
    """λW: the penalty's gradient with respect to one weight, added to the data gradient."""

    strength: float
    W: Quantity

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.W,)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.W.shape

    summed_over_batch = True  # the same for every sample: the batch mean keeps it as it is
    portable = True

    def compute(self, W: Any) -> Any:
        return self.strength * W

    def symbolic(self, W: Any) -> Any:
        return sympy.Float(self.strength) * W

    def numpy(self, args: list[str]) -> str:
        return f"{self.strength!r} * {args[0]}"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\lambda {0}", "λ {0}", args[0])

    def show(self, args: list[str]) -> str:
        return f"{self.strength!r} * {args[0]}"

    def formula(self, args: list[Any], f: Any) -> Any:
        return f.scale(f.strength(), args[0])

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        return (
            ("l2-factor-2",
             "2λW where λW belongs: the penalty (λ/2) Σ w² gives λw (2λw is the gradient of λ Σ w²)",
             f.scale(2, f.scale(f.strength(), args[0]))),
        )
