"""A formula's values against the truth at every sample point, entry by entry.

One comparison gives everything a verdict says: whether the formula is right
(every entry within the tolerance at every point), which entries are right
(partial credit), the largest relative difference, and the point and entry of
the counterexample — so the verdict and its evidence come from the same
numbers.  An entry is right when it agrees with the true gradient to 25
digits, relative to the gradient's largest entry, at every point.

>>> import mpmath
>>> from symbackprop.verification.grid import Grid
>>> truth = Grid.column([1, 2])
>>> c = compare([Grid.column([1, 3])], [truth])
>>> c.correct, c.right, c.score, c.failed_point
(False, (True, False), 0.5, 0)
>>> c.worst(0)
((1, 0), mpf('3.0'), mpf('2.0'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath

from .equivalence import RELATIVE, relative_differences
from .grid import entries


@dataclass(frozen=True)
class Comparison:
    """``differences[p][k]``: relative difference of entry k at point p (None: no real value there)."""

    rows: int
    cols: int
    values: tuple[Any, ...]
    truths: tuple[Any, ...]
    differences: tuple[tuple[Any, ...] | None, ...]

    @property
    def right(self) -> tuple[bool, ...]:
        """Per entry (row-major): right at every point."""
        return tuple(
            all(d is not None and d[k] <= RELATIVE for d in self.differences)
            for k in range(self.rows * self.cols)
        )

    @property
    def correct(self) -> bool:
        return all(self.right)

    @property
    def score(self) -> float:
        """The fraction of entries that are right."""
        right = self.right
        return sum(right) / len(right)

    @property
    def failed_point(self) -> int | None:
        """The first point (0-based) where some entry is wrong."""
        for p, d in enumerate(self.differences):
            if d is None or any(v > RELATIVE for v in d):
                return p
        return None

    @property
    def largest(self) -> float:
        """The largest relative difference at any point (infinite where there is no value)."""
        if any(d is None for d in self.differences):
            return float("inf")
        return float(max((v for d in self.differences for v in d), default=0))

    def wrong_entries(self) -> list[tuple[int, int]]:
        return [divmod(k, self.cols) for k, ok in enumerate(self.right) if not ok]

    def worst(self, point: int) -> tuple[tuple[int, int], Any, Any]:
        """(row, col) 0-based of the largest difference at ``point``, the formula's and the true value there."""
        truth = _spread(self.truths[point], self.rows * self.cols)
        d = self.differences[point]
        if d is None:
            return (0, 0), None, truth[0]
        k = max(range(len(d)), key=d.__getitem__)
        return divmod(k, self.cols), _spread(self.values[point], len(truth))[k], truth[k]


def compare(values: Sequence[Any], truths: Sequence[Any]) -> Comparison:
    """Compare a formula's value with the truth at each point (a value of None: undefined there)."""
    first = truths[0]
    rows, cols = getattr(first, "shape", (1, 1))
    differences = []
    for value, truth in zip(values, truths, strict=True):
        t = list(entries(truth))
        if value is None:
            differences.append(None)
            continue
        differences.append(tuple(relative_differences(_spread(value, len(t)), t)))
    return Comparison(rows, cols, tuple(values), tuple(truths), tuple(differences))


def _spread(value: Any, n: int) -> list[Any]:
    """The value's entries in the truth's layout (a number stands for every entry of a 1×1)."""
    values = list(entries(value))
    return values if len(values) == n else values[:1] * n


def digits_apart(value: Any, truth: Any) -> tuple[str, str]:
    """Both numbers with as many digits as it takes to see that they differ (12 at least)."""
    for n in (12, 17, 22, 27, 32, 40):
        a, b = mpmath.nstr(value, n), mpmath.nstr(truth, n)
        if a != b:
            return a, b
    return a, b
