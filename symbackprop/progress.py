"""The training progress bar: epoch, loss and speed, drawn by rich on stderr.

On stderr so that ``--json`` output on stdout stays clean.  When stderr is
not a terminal (tests, CI, a pipe) rich draws no live bar and prints the
final state once, so logs get one line instead of escape codes.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text


class _Speed(ProgressColumn):
    """Epochs per second, measured by rich over the recent epochs."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f} epochs/s", style="progress.data.speed")


class ProgressBar:
    """Called with each Epoch, and with None once when training stops."""

    def __init__(self, epochs: int, console: Console | None = None):
        if console is None:
            console = Console(stderr=True)
            if not console.is_terminal:
                # Logs have no width; rich's default of 80 would wrap the line.
                console = Console(stderr=True, width=120)
        width = len(str(epochs))
        self._progress = Progress(
            TextColumn(f"epoch {{task.completed:>{width}}}/{{task.total}}"),
            BarColumn(bar_width=24),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[validation]}"),
            _Speed(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task("train", total=epochs, loss="…", validation="")
        self._shown_at = -1.0
        self._last: Any = None
        self._progress.start()

    def __call__(self, epoch: Any) -> None:
        if epoch is None:
            if self._last is not None:
                self._show(self._last)  # the state training stopped in, even if early
            self._progress.stop()
            return
        self._last = epoch
        # Small networks run thousands of epochs a second; telling rich about
        # each one would cost more than the epoch itself.
        if epoch.seconds - self._shown_at >= 0.05:
            self._shown_at = epoch.seconds
            self._show(epoch)

    def _show(self, epoch: Any) -> None:
        validation = "" if epoch.validation_loss is None else f"held-out {epoch.validation_loss:.4g}"
        self._progress.update(
            self._task, completed=epoch.epoch, loss=f"{epoch.loss:.4g}", validation=validation
        )
