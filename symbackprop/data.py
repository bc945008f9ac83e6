"""Reading a batch of samples (X, Y) from CSV or ``.npz`` files.

Rows are samples: X is (batch, n0) and Y is (batch, nL); for a network whose
input is an image, X is (batch, C, H, W), or (batch, C·H·W) read row-major (as
a CSV file holds it, columns x1 … x(C·H·W)).  A CSV file either
has a header naming the columns ``x1 … xn0, y1 … ynL`` (in any order; other
columns are refused) or no header, in which case the first n0 columns are the
inputs and the next nL the targets.  An ``.npz`` file holds arrays ``X`` and
``Y``.  Every problem is a :class:`DataError` that names the file and what
was expected; :func:`~symbackprop.batch.check_batch` then checks the values.

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

import array
import csv
import io
import itertools
import math
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .batch import check_batch
from .errors import DataError
from .io import MEGABYTE, read_text, size_text
from .symbols import INPUT, TARGET, Name

if TYPE_CHECKING:
    from .spec import Network

__all__ = ["check_batch", "load_data"]

MAX_CSV_BYTES = 16 * MEGABYTE  # read cell by cell (seconds); beyond this, .npz is the format
MAX_NPZ_ARRAY_BYTES = 1 << 30

_COLUMN = re.compile(r"^\s*([xy])(\d+)\s*$")


def load_data(path: str | Path, network: Network) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) as float64 arrays of shapes (batch, n0) and (batch, nL)."""
    path = Path(path)
    if not path.is_file():
        what = "it is a folder" if path.is_dir() else "no such file"
        raise DataError(f"cannot read data file {str(path)!r}: {what}")
    if path.suffix.lower() in (".npz", ".npy"):
        X, Y = _read_npz(path)
    else:
        X, Y = _read_csv(path, network.sizes[0], network.output_size)
    return check_batch(X, Y, network, source=repr(str(path)))


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    shown = repr(str(path))
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            single = handle.read(6) == b"\x93NUMPY"
        what = "a single .npy array, not a .npz archive" if single else "not a .npz archive"
        raise DataError(
            f"cannot read data file {shown}: it is {what}; "
            "save X and Y together with numpy.savez(path, X=X, Y=Y)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            for key in ("X", "Y"):
                if sizes.get(f"{key}.npy", 0) > MAX_NPZ_ARRAY_BYTES:
                    raise DataError(
                        f"array {key} of {shown} takes {size_text(sizes[key + '.npy'])} unpacked, "
                        f"more than the {size_text(MAX_NPZ_ARRAY_BYTES)} accepted"
                    )
                if f"{key}.npy" in sizes:
                    _check_declared_size(archive, key, sizes[f"{key}.npy"], shown)
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in ("X", "Y") if key not in archive.files]
            if missing:
                found = ", ".join(archive.files) or "none"
                raise DataError(
                    f"data file {shown} has no array {missing[0]!r}; "
                    f"expected arrays X and Y, found {found}"
                )
            return archive["X"], archive["Y"]
    except DataError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # NumPy's own advice would be to unpickle: never
            raise DataError(
                f"data file {shown} holds Python objects, not arrays of numbers; "
                "save X and Y as numeric arrays"
            ) from None
        raise DataError(f"cannot read data file {shown} as .npz: {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise DataError(f"cannot read data file {shown} as .npz: {exc}") from None


def _check_declared_size(archive: zipfile.ZipFile, key: str, stored: int, shown: str) -> None:
    """Refuse an array whose .npy header declares more data than its member holds (NumPy
    would allocate what the header says before finding out), or a header NumPy will not read."""
    with archive.open(f"{key}.npy") as handle:
        try:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(handle)
        except (ValueError, EOFError):
            raise DataError(
                f"array {key} of {shown} has no readable .npy header (damaged, or longer than NumPy's "
                "10,000-byte limit); save X and Y with numpy.savez(path, X=X, Y=Y)"
            ) from None
    declared = math.prod(shape) * dtype.itemsize
    if not dtype.hasobject and declared > stored:
        raise DataError(
            f"array {key} of {shown} declares shape {shape} ({size_text(declared)}), "
            f"more than the {size_text(stored)} it holds; the file is damaged"
        )


def _read_csv(path: Path, n0: int, nL: int) -> tuple[np.ndarray, np.ndarray]:
    text = read_text(path, "data file", MAX_CSV_BYTES)
    rows = _rows(csv.reader(io.StringIO(text)), path)  # one at a time: no list of every cell's text
    header = next(rows, None)
    if header is None:
        raise DataError(f"data file {str(path)!r} is empty; expected columns {_columns(n0, nL, ', ')}")
    if all(_COLUMN.match(cell) for cell in header):
        order = _header_order(header, n0, nL, path)
        first_line = 2
    elif _numeric(header[0]):
        order = list(range(n0 + nL))
        rows = itertools.chain([header], rows)
        first_line = 1
    else:
        bad = next(cell for cell in header if not _COLUMN.match(cell))
        raise DataError(
            f"data file {str(path)!r} has a column named {bad.strip()!r}; "
            f"name the columns {_columns(n0, nL, ', ')}, or give no header"
        )
    width = len(header)
    values = array.array("d")
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
        for source in order:
            cell = row[source].strip()
            try:
                values.append(float(cell))
            except ValueError:
                raise DataError(
                    f"line {line} of {str(path)!r} has {cell!r}, which is not a number"
                ) from None
    table = np.frombuffer(values, dtype=np.float64).reshape(-1, n0 + nL)
    return table[:, :n0], table[:, n0:]


def _rows(reader: Any, path: Path) -> Iterator[list[str]]:
    """The CSV rows that hold something, read as they are needed."""
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield row
    except csv.Error as exc:
        raise DataError(f"line {reader.line_num} of {str(path)!r} is not CSV: {exc}") from None


def _columns(n0: int, nL: int, joiner: str) -> str:
    """The columns a data file needs: ``x1..x3`` and ``y1..y2``."""
    return f"{INPUT.entry(1)}..{INPUT.entry(n0)}{joiner}{TARGET.entry(1)}..{TARGET.entry(nL)}"


def _header_order(header: list[str], n0: int, nL: int, path: Path) -> list[int]:
    position = {}
    for index, cell in enumerate(header):
        kind, number = _COLUMN.match(cell).groups()  # type: ignore[union-attr]
        position[Name(kind).entry(int(number))] = index
    wanted = [INPUT.entry(j) for j in range(1, n0 + 1)] + [TARGET.entry(j) for j in range(1, nL + 1)]
    for name in wanted:
        if name not in position:
            raise DataError(
                f"data file {str(path)!r} has no column {name!r}; this network needs "
                f"{_columns(n0, nL, ' and ')}"
            )
    extra = sorted(set(position) - set(wanted))
    if extra:
        raise DataError(
            f"data file {str(path)!r} has a column {extra[0]!r} that this network does not use; "
            f"it needs {_columns(n0, nL, ' and ')}"
        )
    return [position[name] for name in wanted]


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
