"""Numbers and named choices a caller passes: each checked once, here, for the API and the CLI.

Every function returns the value in its working type or raises an error
whose message names the value and what was expected.  The command line wraps
the same functions as click parameter types (``symbackprop.cli.common``), so
a bad ``--lr`` and a bad ``lr=`` say the same thing.

>>> learning_rate(0.5), seed(3), fraction(0.2, "validation")
(0.5, 3, 0.2)
>>> learning_rate(float("nan"))
Traceback (most recent call last):
...
symbackprop.errors.DataError: the learning rate must be a finite, positive number, got nan
>>> choose("adm", ("sgd", "momentum", "adam"), "optimizer")
Traceback (most recent call last):
...
symbackprop.errors.UnknownOptionError: unknown optimizer 'adm' (did you mean 'adam'?); expected one of sgd, momentum, adam
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from typing import Any

from .errors import DataError, UnknownOptionError

# NumPy's integer and float scalars register as numbers.Integral and numbers.Real;
# its booleans do not, and Python's bool is refused by name.  No NumPy import:
# the command line's option checks stay light.


def _real(value: Any) -> float | None:
    """``value`` as a float when it is a real number (not a bool, not text), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range
        return math.inf if value > 0 else -math.inf


def learning_rate(value: Any) -> float:
    """A learning rate α: a finite number above 0."""
    rate = _real(value)
    if rate is None or not math.isfinite(rate) or rate <= 0:
        raise DataError(f"the learning rate must be a finite, positive number, got {value!r:.60}")
    return rate


def tolerance(value: Any) -> float:
    """A tolerance of a relative error: a finite number above 0 (NaN would pass everything)."""
    number = _real(value)
    if number is None or not math.isfinite(number) or number <= 0:
        raise DataError(f"the tolerance must be a finite, positive number, got {value!r:.60}")
    return number


def fraction(value: Any, name: str) -> float:
    """A fraction strictly between 0 and 1."""
    number = _real(value)
    if number is None or not 0 < number < 1:  # NaN fails both comparisons
        raise DataError(f"{name} must be a fraction between 0 and 1 (both excluded), got {value!r:.60}")
    return number


def seconds(value: Any, name: str, maximum: float = 600.0) -> float:
    """A time budget: a number of seconds from 0 to ``maximum`` (NaN and infinity refused)."""
    number = _real(value)
    if number is None or not 0 <= number <= maximum:  # NaN fails both comparisons
        raise DataError(f"{name} must be a number of seconds from 0 to {maximum:g}, got {value!r:.60}")
    return number


def whole(value: Any, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number within [minimum, maximum]."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Integral)
    if not ok or value < minimum or (maximum is not None and value > maximum):
        limits = f"from {minimum:,} to {maximum:,}" if maximum is not None else f"of at least {minimum:,}"
        raise DataError(f"{name} must be a whole number {limits}, got {value!r:.60}")
    return int(value)


def seed(value: Any, name: str = "the seed") -> int:
    """A random seed: a whole number of at least 0 (NumPy refuses negative ones)."""
    return whole(value, name, 0)


def choose(value: Any, choices: Iterable[str], what: str) -> str:
    """``value`` when it is one of ``choices``; else an UnknownOptionError with a suggestion."""
    choices = tuple(choices)
    if isinstance(value, str) and value in choices:
        return value
    close = difflib.get_close_matches(value, choices, n=1) if isinstance(value, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownOptionError(f"unknown {what} {value!r:.60}{hint}; expected one of {', '.join(choices)}")


def unknown_settings(given: Iterable[str], known: Iterable[str], owner: str) -> None:
    """Refuse settings (keyword options) that ``owner`` does not have."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise UnknownOptionError(
            f"unknown {owner} setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"known settings are {', '.join(sorted(known))}"
        )
