"""The class roster: a CSV file with a header that has an ``id`` column.

Ids name folders (``students/<id>/``) and files (``feedback/<id>.md``), so an
id is checked before anything is written: letters, digits and ``. _ - @``,
at most 64 characters, not starting with ``.`` or ``-``, unique regardless of
case (``Ada`` and ``ada`` would be one folder on some file systems).

>>> check_id("ada.lovelace")
'ada.lovelace'
>>> check_id("../etc")
Traceback (most recent call last):
...
symbackprop.errors.DataError: student id '../etc' cannot name a folder; use letters, digits and . _ - @ (at most 64, not starting with . or -)
>>> read_roster_text("name,id\\nAda,ada\\nAlan,alan\\n", "roster.csv")
('ada', 'alan')
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..errors import DataError
from ..io import MEGABYTE, read_text

MAX_STUDENTS = 5_000
_ID = re.compile(r"[A-Za-z0-9_@][A-Za-z0-9._@-]{0,63}")


def check_id(student: object) -> str:
    """``student`` when it can name a folder and a file, else a DataError saying what is allowed."""
    if not isinstance(student, str) or not _ID.fullmatch(student):
        raise DataError(
            f"student id {student!r:.80} cannot name a folder; use letters, digits and . _ - @ "
            "(at most 64, not starting with . or -)"
        )
    return student


def read_roster(path: str | Path) -> tuple[str, ...]:
    """The ids of the roster file at ``path``, in the file's order."""
    return read_roster_text(read_text(path, "roster", MEGABYTE), str(path))


def read_roster_text(text: str, shown: str) -> tuple[str, ...]:
    """The ids of a roster given as CSV text (``shown`` names it in errors)."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    columns = [column.strip().lower() for column in header or []]
    if "id" not in columns:
        raise DataError(
            f"roster {shown!r} needs a header line with an 'id' column, got "
            f"{','.join(header) if header else 'an empty file'!r:.80}"
        )
    where = columns.index("id")
    ids: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= where or not row[where].strip():
            raise DataError(f"roster {shown!r} line {line} has no id")
        student = check_id(row[where].strip())
        folded = student.casefold()
        if folded in seen:
            raise DataError(
                f"roster {shown!r} lists {student!r} twice (lines {seen[folded]} and {line}); "
                "ids differing only in case count as the same"
            )
        seen[folded] = line
        ids.append(student)
        if len(ids) > MAX_STUDENTS:
            raise DataError(f"roster {shown!r} has more than {MAX_STUDENTS:,} students")
    if not ids:
        raise DataError(f"roster {shown!r} lists no student")
    return tuple(ids)
