"""Reading a batch of samples (X, Y) from CSV or ``.npz`` files.

Rows are samples: X is (batch, n0) and Y is (batch, nL).  A CSV file either
has a header naming the columns ``x1 … xn0, y1 … ynL`` (in any order; other
columns are refused) or no header, in which case the first n0 columns are the
inputs and the next nL the targets.  An ``.npz`` file holds arrays ``X`` and
``Y``.  Every problem is a :class:`DataError` that names the file and what
was expected.

>>> import tempfile, pathlib
>>> from symbackprop import Network
>>> net = Network.from_spec({"layers": [2, 2, 1], "activation": "sigmoid"})
>>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
>>> _ = path.write_text("x1,x2,y1\\n0,1,1\\n1,1,0\\n")
>>> X, Y = load_data(path, net)
>>> X.shape, Y.shape, Y.ravel().tolist()
((2, 2), (2, 1), [1.0, 0.0])
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DataError

if TYPE_CHECKING:
    from .spec import Network

_COLUMN = re.compile(r"^\s*([xy])(\d+)\s*$")


def load_data(path: str | Path, network: Network) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) as float64 arrays of shapes (batch, n0) and (batch, nL)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"cannot read data file {str(path)!r}: no such file")
    if path.suffix.lower() == ".npz":
        X, Y = _read_npz(path)
    else:
        X, Y = _read_csv(path, network.sizes[0], network.sizes[-1])
    return check_batch(X, Y, network, source=repr(str(path)))


def check_batch(
    X: Any, Y: Any, network: Network, source: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """X and Y as 2-D float64 arrays with the network's widths, or a DataError.

    A single sample may be given as 1-D vectors.
    """
    where = f" in {source}" if source else ""
    n0, nL = network.sizes[0], network.sizes[-1]
    arrays = []
    for label, value, width in (("X", X, n0), ("Y", Y, nL)):
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(f"{label}{where} must be numbers, got {type(value).__name__}") from None
        if array.ndim == 1 and width == 1:
            array = array.reshape(-1, 1)  # one column: a value per sample
        elif array.ndim == 1 and array.size == width:
            array = array.reshape(1, -1)  # one sample
        if array.ndim != 2 or array.shape[1] != width:
            raise DataError(
                f"{label}{where} has shape {array.shape} but this network "
                f"({'-'.join(map(str, network.sizes))}) expects (batch, {width})"
            )
        if not np.all(np.isfinite(array)):
            raise DataError(f"{label}{where} contains a value that is not a finite number")
        arrays.append(array)
    if arrays[0].shape[0] != arrays[1].shape[0]:
        raise DataError(
            f"X{where} has {arrays[0].shape[0]} samples but Y has {arrays[1].shape[0]}; "
            "they must have one row per sample each"
        )
    if arrays[0].shape[0] == 0:
        raise DataError(f"the data{where} has no samples")
    return arrays[0], arrays[1]


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in ("X", "Y") if key not in archive.files]
            if missing:
                found = ", ".join(archive.files) or "none"
                raise DataError(
                    f"data file {str(path)!r} has no array {missing[0]!r}; "
                    f"expected arrays X and Y, found {found}"
                )
            return archive["X"], archive["Y"]
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read data file {str(path)!r} as .npz: {exc}") from None


def _read_csv(path: Path, n0: int, nL: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read data file {str(path)!r}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise DataError(f"data file {str(path)!r} is empty; expected columns x1..x{n0}, y1..y{nL}")
    header = rows[0]
    if all(_COLUMN.match(cell) for cell in header):
        order = _header_order(header, n0, nL, path)
        rows = rows[1:]
        first_line = 2
    elif _numeric(header[0]):
        order = list(range(n0 + nL))
        first_line = 1
    else:
        bad = next(cell for cell in header if not _COLUMN.match(cell))
        raise DataError(
            f"data file {str(path)!r} has a column named {bad.strip()!r}; "
            f"name the columns x1..x{n0}, y1..y{nL}, or give no header"
        )
    width = len(header)
    values = np.empty((len(rows), n0 + nL))
    for r, row in enumerate(rows):
        line = first_line + r
        if len(row) != width:
            raise DataError(
                f"line {line} of {str(path)!r} has {len(row)} values "
                f"but the file has {width} columns"
            )
        if len(row) != n0 + nL:
            raise DataError(
                f"line {line} of {str(path)!r} has {len(row)} values; this network needs "
                f"{n0} inputs and {nL} targets, {n0 + nL} in all"
            )
        for c, source in enumerate(order):
            cell = row[source].strip()
            try:
                values[r, c] = float(cell)
            except ValueError:
                raise DataError(
                    f"line {line} of {str(path)!r} has {cell!r}, which is not a number"
                ) from None
    return values[:, :n0], values[:, n0:]


def _header_order(header: list[str], n0: int, nL: int, path: Path) -> list[int]:
    position = {}
    for index, cell in enumerate(header):
        kind, number = _COLUMN.match(cell).groups()  # type: ignore[union-attr]
        position[f"{kind}{int(number)}"] = index
    wanted = [f"x{j}" for j in range(1, n0 + 1)] + [f"y{j}" for j in range(1, nL + 1)]
    for name in wanted:
        if name not in position:
            raise DataError(
                f"data file {str(path)!r} has no column {name!r}; this network needs "
                f"x1..x{n0} and y1..y{nL}"
            )
    extra = sorted(set(position) - set(wanted))
    if extra:
        raise DataError(
            f"data file {str(path)!r} has a column {extra[0]!r} that this network does not use; "
            f"it needs x1..x{n0} and y1..y{nL}"
        )
    return [position[name] for name in wanted]


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
