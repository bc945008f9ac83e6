"""The result of verifying a formula: frozen data with a text report and a JSON form.

>>> v = Verdict(True, "W2", "delta2 @ a1.T", "python", 0, 8, "symbolic", 0.0, None, None)
>>> v.exit_code, bool(v)
(0, True)
>>> print(v.report())
correct: delta2 @ a1.T is ∂L/∂W2 (proved symbolically, and equal at 8 random points, seed 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .diagnosis import Diagnosis


@dataclass(frozen=True)
class Counterexample:
    """Where a wrong formula fails: the inputs, the entry, both values.

    ``inputs`` maps x, y and every parameter to floats (vectors as lists,
    matrices as lists of rows); they are multiples of 0.01 (targets of
    cross-entropy sum to 1), so they can be typed back exactly.
    ``formula_value`` is None where the formula has no real value.
    """

    point: int
    inputs: dict[str, Any]
    entry: str
    formula_value: float | None
    true_value: float
    formula_matrix: Any
    true_matrix: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "inputs": self.inputs,
            "entry": self.entry,
            "formula_value": self.formula_value,
            "true_value": self.true_value,
            "formula": self.formula_matrix,
            "gradient": self.true_matrix,
        }


@dataclass(frozen=True)
class Verdict:
    """Whether ``formula`` is ∂L/∂``wrt``; when not, a counterexample and maybe a diagnosis.

    ``proof`` is ``"symbolic"`` when SymPy proved the equality, ``"numeric"``
    when the verdict rests on the random points; ``max_difference`` is the
    largest relative difference seen at points where the formula agreed.
    """

    correct: bool
    wrt: str
    formula: str
    syntax: str
    seed: int
    points: int
    proof: str
    max_difference: float
    counterexample: Counterexample | None
    diagnosis: Diagnosis | None

    def __bool__(self) -> bool:
        return self.correct

    @property
    def exit_code(self) -> int:
        """0 when correct, 1 when not (the command line's exit status)."""
        return 0 if self.correct else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "correct": self.correct,
            "wrt": self.wrt,
            "formula": self.formula,
            "syntax": self.syntax,
            "seed": self.seed,
            "points": self.points,
            "proof": self.proof,
            "max_relative_difference": self.max_difference,
            "counterexample": None if self.counterexample is None else self.counterexample.to_dict(),
            "diagnosis": None
            if self.diagnosis is None
            else {"name": self.diagnosis.name, "message": self.diagnosis.message},
        }

    def report(self) -> str:
        """The verdict as text for people."""
        if self.correct:
            how = "proved symbolically, and equal" if self.proof == "symbolic" else "equal"
            extra = "" if self.proof == "symbolic" else f"; largest relative difference {self.max_difference:.1e}"
            return (
                f"correct: {self.formula} is ∂L/∂{self.wrt} ({how} at {self.points} random points, "
                f"seed {self.seed}{extra})"
            )
        c = self.counterexample
        assert c is not None
        lines = [
            f"incorrect: {self.formula} is not ∂L/∂{self.wrt}",
            f"counterexample (point {c.point} of {self.points}, seed {self.seed}):",
        ]
        width = max(len(name) for name in c.inputs)
        for name, value in c.inputs.items():
            lines.append(f"  {name.ljust(width)} = {_format(value)}")
        got = "no real value" if c.formula_value is None else f"{c.formula_value:.12g}"
        lines.append(f"  at {c.entry} the formula gives {got}; the true value is {c.true_value:.12g}")
        if self.diagnosis is not None:
            lines.append(f"diagnosis: {self.diagnosis.message}")
        else:
            lines.append(
                "diagnosis: none of the classic mistakes matches; "
                "compare with `symbackprop derive … --wrt " + self.wrt.split("[")[0] + "`"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def _format(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return f"{value:g}"
