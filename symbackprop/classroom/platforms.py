"""An assignment for the platform a course runs: PrairieLearn, Moodle, Canvas, nbgrader, Otter-Grader.

Each export is made from the assignment folder's key (``key/assignment.json``
and each student's ``variant.json``), so it asks what the sheets ask, with
each student's own numbers.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError, UnknownOptionError
from ..options import choose

PLATFORMS = ("prairielearn", "moodle", "canvas", "nbgrader", "otter")
FOLDERS = ("prairielearn", "nbgrader", "otter")  # the others write one file


def export(folder: str | Path, platform: str, output: str | Path, force: bool = False,
           tolerance: float = 0.005) -> list[Path]:
    """Write the assignment in ``folder`` for ``platform``; returns the files written."""
    from .assignment import load_assignment
    from .judging import Settings

    platform = choose(platform, PLATFORMS, "platform")
    Settings(tolerance=tolerance)  # the tolerance is checked as grade checks it
    assignment = load_assignment(folder)
    output = Path(output)
    if platform in FOLDERS:
        _check_folder(output, platform)
    if platform == "prairielearn":
        from .prairielearn import write_questions

        return write_questions(assignment, output, force, tolerance)
    if platform in ("moodle", "canvas"):
        from .lms import write_canvas, write_moodle

        return (write_moodle if platform == "moodle" else write_canvas)(assignment, output, tolerance, force)
    if platform in ("nbgrader", "otter"):
        from .notebooks import write_nbgrader, write_otter

        return (write_nbgrader if platform == "nbgrader" else write_otter)(assignment, output, force)
    raise UnknownOptionError(platform)  # choose() has refused anything else


def _check_folder(output: Path, platform: str) -> None:
    """A folder export goes into a folder that exists or can be made in one that does."""
    if output.exists() and not output.is_dir():
        raise DataError(f"cannot write {str(output)!r}: it is a file, and the {platform} export is a folder")
    if not output.parent.is_dir():
        raise DataError(f"cannot write {str(output)!r}: the folder {str(output.parent)!r} does not exist")
