"""Numbers a caller passes as arrays (parameters, samples), read as floats or refused.

NumPy would turn the text ``"0.4"`` into 0.4, ``True`` into 1.0 and drop the
imaginary part of a complex number with a warning; here each of these is a
:class:`~symbackprop.errors.DataError` that says what was found.

>>> float_array([[1, 2], [3, 4.5]], "X").tolist()
[[1.0, 2.0], [3.0, 4.5]]
>>> float_array(["0.4"], "parameter b1")
Traceback (most recent call last):
...
symbackprop.errors.DataError: parameter b1 must be an array of numbers, got text ('0.4'); write numbers without quotes
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import DataError

_KINDS = {
    "b": "true/false values",
    "U": "text",
    "S": "bytes",
    "c": "complex numbers (whose imaginary part would be lost)",
    "M": "dates",
    "m": "time spans",
    "V": "records",
}


def float_array(
    value: Any, what: str, dtype: Any = np.float64, copy: bool = True,
    expected: str = "an array of numbers", finite: bool = True,
) -> np.ndarray:
    """``value`` as an array of finite floats of ``dtype``; ``copy=False`` reuses a matching array.

    ``what`` names the value in messages, ``expected`` says what it should be;
    ``finite=False`` lets NaN and infinity through (values a computation made).
    """
    if not copy and type(value) is np.ndarray and value.dtype == dtype:
        out = value  # already what is wanted: only its values are left to check
    else:
        out = _converted(value, what, dtype, copy, expected)
    if finite and not np.isfinite(out).all():
        raise DataError(f"{what} contains a value that is not a finite number")
    return out


def _converted(value: Any, what: str, dtype: Any, copy: bool, expected: str) -> np.ndarray:
    """``value`` read as numbers and cast to ``dtype``, or a DataError saying what it holds instead."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        array = value
    else:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError, RecursionError):
            raise DataError(f"{what} must be {expected}, with every row as long as the others") from None
    kind = array.dtype.kind
    if kind == "O":
        array = _objects(array, what, expected)
    elif kind not in "fiu":
        sample = str(array.flat[0])[:40] if array.size else ""
        shown, hint = (repr(sample), "; write numbers without quotes") if kind in "US" else (sample, "")
        raise DataError(f"{what} must be {expected}, got {_KINDS.get(kind, kind)} ({shown}){hint}")
    with np.errstate(over="ignore"):  # a float64 beyond the float32 range becomes inf: refused below
        return np.array(array, dtype=dtype) if copy else np.asarray(array, dtype=dtype)


def _objects(array: np.ndarray, what: str, expected: str) -> np.ndarray:
    """An object array (mixed Python numbers, or ints too large for int64) checked entry by entry."""
    for entry in array.flat:
        if isinstance(entry, bool | np.bool_) or not isinstance(entry, numbers.Real):
            raise DataError(f"{what} must be {expected}, got {type(entry).__name__} {entry!r:.40}")
    try:
        return array.astype(np.float64)
    except OverflowError:
        raise DataError(f"{what} holds a number too large for a float (beyond 1.8e308)") from None
