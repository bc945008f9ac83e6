"""The loss curve of a training run, drawn with matplotlib and written atomically.

The figure is drawn on matplotlib's Agg canvas directly (no pyplot), so it
works without a display and leaves no global figure state behind.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "loss.png"
>>> plot_losses([1.0, 0.5, 0.2, 0.1], path).read_bytes()[:4]
b'\\x89PNG'
>>> plot_losses([1.0, 0.5], path)
Traceback (most recent call last):
...
symbackprop.errors.DataError: ... already exists; pass --force to replace it
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError
from .io import check_output_path, write_atomic

FORMATS = ("png", "svg", "pdf")


def check_plot_path(path: str | Path, force: bool = False) -> tuple[Path, str]:
    """The path and its format when a plot can be written there (see :func:`check_output_path`)."""
    kind = Path(path).suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise DataError(
            f"cannot tell the plot format from {str(path)!r}: it must end in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return check_output_path(path, force), kind


def plot_losses(
    history: Any,
    path: str | Path,
    *,
    validation: Sequence[float] | None = None,
    title: str = "",
    force: bool = False,
    dpi: int = 120,
) -> Path:
    """Draw the loss per epoch on a log scale and write it to ``path``.

    ``history`` is a :class:`~symbackprop.training.TrainResult` (its training
    and held-out losses are drawn) or a sequence of losses, the first being
    the loss before training (epoch 0).  The format follows the extension:
    .png, .svg or .pdf.  An existing file is replaced only with ``force``.
    """
    path, kind = check_plot_path(path, force)  # before drawing, so the refusal is immediate
    if hasattr(history, "history"):
        validation = validation if validation is not None else history.validation_history
        losses = np.asarray(history.history, dtype=np.float64)
    else:
        losses = np.asarray(history, dtype=np.float64)
    if losses.ndim != 1 or losses.size == 0:
        raise DataError("there are no losses to plot")
    data = _draw(losses, validation, title, kind, dpi)
    return write_atomic(path, data, force=force)


def _draw(losses: np.ndarray, validation: Any, title: str, kind: str, dpi: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    epochs = np.arange(losses.size)
    series = [("training loss", losses)]
    if validation is not None:
        series.append(("held-out loss", np.asarray(validation, dtype=np.float64)))
    for label, values in series:
        axes.plot(np.arange(values.size), values, label=label, linewidth=1.6)
    # A log scale shows the whole descent, from the first steep fall to the
    # slow tail; it needs positive values, which every built-in loss gives
    # unless it reaches exactly 0 (or a custom loss goes negative).
    positive = all(np.all(values[np.isfinite(values)] > 0) for _, values in series)
    axes.set_yscale("log" if positive else "linear")
    axes.set_xlabel("epoch")
    axes.set_ylabel("mean loss over the samples" + (" (log scale)" if positive else ""))
    axes.set_xlim(0, max(int(epochs[-1]), 1))
    axes.grid(True, which="major", alpha=0.35)
    axes.grid(True, which="minor", alpha=0.12)
    if title:
        axes.set_title(title)
    if len(series) > 1:
        axes.legend()
    buffer = io.BytesIO()
    metadata = {"Software": None} if kind == "png" else None  # byte-stable files
    figure.savefig(buffer, format=kind, metadata=metadata)
    return buffer.getvalue()
