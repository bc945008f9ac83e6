"""Files in and out: bounded, checked reads; atomic writes that never replace a file by surprise.

Every path a command will write is checked before the work starts
(:func:`check_output_path`), so a long run never ends in "no such folder".

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(folder / "a.txt", "one").read_text()
'one'
>>> write_atomic(folder / "a.txt", "two")
Traceback (most recent call last):
...
symbackprop.errors.DataError: ... already exists; pass --force to replace it
>>> check_output_path(folder / "missing" / "b.txt")
Traceback (most recent call last):
...
symbackprop.errors.DataError: cannot write '.../missing/b.txt': the folder '.../missing' does not exist
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import DataError, SymbackpropError

MEGABYTE = 1 << 20


def _name_limit(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def check_output_path(path: str | Path, force: bool = False) -> Path:
    """``path`` as a Path, once it is sure a file can be written there.

    Refuses a missing folder, a folder in the file's place, a file name longer
    than the file system takes, a folder without write permission and, unless
    ``force``, an existing file.
    """
    if isinstance(path, str) and path.endswith(("/", os.sep)):  # Path() would drop the slash
        raise DataError(f"cannot write {path!r}: it names a folder, not a file")
    path = Path(path)
    shown = repr(str(path))
    if not path.name:
        raise DataError(f"cannot write {shown}: it names no file")
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DataError(f"cannot write {shown}: the folder {str(folder)!r} {what}")
    limit = _name_limit(folder)
    if len(os.fsencode(path.name)) > limit:
        raise DataError(
            f"cannot write {shown}: the file name has {len(os.fsencode(path.name))} bytes, "
            f"more than the {limit} this file system takes"
        )
    if path.is_dir():
        raise DataError(f"cannot write {shown}: it is a folder")
    if path.exists() and not force:
        raise DataError(f"{str(path)!r} already exists; pass --force to replace it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataError(f"cannot write {shown}: the folder {str(folder)!r} is not writable")
    return path


def write_atomic(path: str | Path, data: str | bytes, force: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = check_output_path(path, force)
    mode = "wb" if isinstance(data, bytes) else "w"
    # A short temporary name: a long target name must not make it too long.
    try:
        fd, tmp = tempfile.mkstemp(prefix=".symbackprop-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DataError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as handle:
            handle.write(data)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a file system that refuses the rename
        Path(tmp).unlink(missing_ok=True)
        raise DataError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_unless_same(path: str | Path, data: str | bytes, force: bool = False) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly it; True when written.

    A rerun that makes the same file is not a surprise, so it needs no ``force``;
    a different file in its place does.
    """
    if _holds(Path(path), data):
        return False
    write_atomic(path, data, force=force)
    return True


def write_files_unless_same(files: Sequence[tuple[Path, str | bytes]], force: bool = False) -> list[Path]:
    """Write each (path, data) as :func:`write_unless_same` does, but refuse before writing any.

    A run that would replace one file it made before with different content,
    without ``force``, leaves every file as it was.
    """
    if not force:
        differ = [path for path, data in files if path.exists() and not _holds(path, data)]
        if differ:
            if len(differ) == 1:
                raise DataError(f"{str(differ[0])!r} already exists; pass --force to replace it")
            raise DataError(f"{str(differ[0])!r} and {len(differ) - 1} other files already exist with "
                            "other content; pass --force to replace them")
    for path, _ in files:
        check_output_path(path, force=True)
    return [path for path, data in files if write_unless_same(path, data, force=True)]


def _holds(path: Path, data: str | bytes) -> bool:
    """True when the file at ``path`` holds exactly ``data``."""
    encoded = data.encode("utf-8") if isinstance(data, str) else data
    try:
        return path.is_file() and path.stat().st_size == len(encoded) and path.read_bytes() == encoded
    except OSError:
        return False


def read_text(
    path: str | Path, what: str, limit: int, error: type[SymbackpropError] = DataError
) -> str:
    """The UTF-8 text of a file of at most ``limit`` bytes, or ``error`` saying what is wrong.

    Reads at most ``limit + 1`` bytes, so ``/dev/zero`` or a huge file is
    refused at once instead of filling the memory.
    """
    path = Path(path)
    shown = repr(str(path))
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise error(f"cannot read {what} {shown}: it is a folder") from None
    except OSError as exc:
        raise error(f"cannot read {what} {shown}: {(exc.strerror or str(exc)).lower()}") from None
    if len(data) > limit:
        raise error(f"{what} {shown} is larger than the {size_text(limit)} accepted")
    return utf8_text(data, f"{what} {shown}", error)


def utf8_text(data: bytes, what: str, error: type[SymbackpropError] = DataError) -> str:
    """``data`` decoded as UTF-8, or ``error`` naming the first byte that is not.

    >>> utf8_text(b"caf\\xe9", "the file")
    Traceback (most recent call last):
    ...
    symbackprop.errors.DataError: the file is not UTF-8 text (byte 0xe9 at position 3)
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")  # a byte-order mark some editors write


class DuplicateKey(ValueError):
    """A JSON object that gives one key twice."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads`: a key given twice is refused, where
    ``json`` would silently keep the last value.

    >>> import json
    >>> json.loads('{"W1": 1, "W1": 2}', object_pairs_hook=unique_keys)
    Traceback (most recent call last):
    ...
    symbackprop.io.DuplicateKey: 'W1'
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(repr(key))
        out[key] = value
    return out


def size_text(n: int) -> str:
    """A number of bytes for a message: ``'1 MB'``, ``'3.1 GB'``.

    >>> size_text(1 << 20), size_text(3_300_000_000), size_text(4096)
    ('1 MB', '3.1 GB', '4 kB')
    """
    for unit, size in (("GB", 1 << 30), ("MB", MEGABYTE), ("kB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"
