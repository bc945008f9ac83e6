"""A time limit on pure-Python work (SymPy, mpmath), by an interval timer and a signal.

Only the main thread receives signals; elsewhere :func:`time_limit` cannot
interrupt, and says so (``available()`` is False), so callers decide what is safe.
The limit counts wall-clock time (SIGALRM) or the process's CPU time (SIGPROF);
a CPU-time limit allows the same work on a loaded machine as on an idle one.

A signal that arrives while Python runs a callback it was called from C for
(a garbage-collection callback, a weak reference's, a ``__del__``) raises
there, where Python swallows the exception and reports it as "unraisable";
so the handler sets the timer again before it raises, and goes on raising
every few milliseconds until the exception reaches the block, and those
swallowed exceptions are not reported.  A signal that arrives while the limit
is being set up or taken down does not raise there (the clean-up would be cut
short and the timer left running): taking down the limit stops it, and
setting one up raises a few milliseconds later, in the block.

>>> import time
>>> with time_limit(0.05) as limited:
...     try:
...         while True:
...             time.sleep(0.001)
...     except TimedOut:
...         print("stopped", limited)
stopped True
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

RETRY = 0.005  # seconds before raising again, in case the last one was swallowed

# clock -> (interval timer, the signal it sends, the clock it counts)
_CLOCKS = {
    "wall": ("ITIMER_REAL", "SIGALRM", time.perf_counter),
    "cpu": ("ITIMER_PROF", "SIGPROF", time.process_time),
}


class TimedOut(Exception):
    """The time limit of :func:`time_limit` is up."""


def available() -> bool:
    """Whether this thread can be interrupted by a timer."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


def time_limit(seconds: float, clock: str = "wall") -> TimeLimit:
    """Raise TimedOut in the ``with`` block after ``seconds`` of ``clock`` ("wall" or "cpu").

    Entering the block gives whether the limit is enforced.  A timer of the same
    clock that was already running (an outer limit) gets back what is left of it.
    """
    return TimeLimit(seconds, clock)


class TimeLimit:
    """The context manager of :func:`time_limit`."""

    def __init__(self, seconds: float, clock: str = "wall"):
        if clock not in _CLOCKS:
            raise ValueError(f"clock must be one of {', '.join(_CLOCKS)}, not {clock!r}")
        self.seconds = seconds
        timer, signum, self.clock = _CLOCKS[clock]
        self.timer, self.signum = getattr(signal, timer, None), getattr(signal, signum, None)
        self.enforced = False
        self.finished = False

    def __enter__(self) -> bool:
        if not available() or self.seconds <= 0:
            return False
        self.report = sys.unraisablehook
        self.previous = signal.signal(self.signum, self.expire)
        sys.unraisablehook = self.swallowed
        self.started = self.clock()
        self.enforced = True
        self.outer = signal.setitimer(self.timer, self.seconds)  # last: the limit starts here
        return True

    def __exit__(self, *exc_info: Any) -> None:
        if not self.enforced:
            return
        self.finished = True
        signal.setitimer(self.timer, 0)
        signal.signal(self.signum, self.previous)
        sys.unraisablehook = self.report
        old_delay, old_interval = self.outer
        if old_delay > 0:
            left = old_delay - (self.clock() - self.started)
            signal.setitimer(self.timer, max(left, 0.001), old_interval)

    def expire(self, signum: int, frame: FrameType | None) -> None:
        if self.finished:
            return
        entering, leaving = _limits_changing(frame)
        if self in leaving:
            return  # __exit__ stops the timer
        signal.setitimer(self.timer, RETRY)
        if entering or leaving:  # a limit is being set up or taken down: raise after that
            return
        raise TimedOut

    def swallowed(self, unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, TimedOut):  # ours is raised again by the timer
            self.report(unraisable)


def _limits_changing(frame: FrameType | None) -> tuple[list[TimeLimit], list[TimeLimit]]:
    """The limits whose __enter__, and whose __exit__, is running in ``frame`` or its callers."""
    entering: list[TimeLimit] = []
    leaving: list[TimeLimit] = []
    while frame is not None:
        if frame.f_code is TimeLimit.__enter__.__code__:
            entering.append(frame.f_locals["self"])
        elif frame.f_code is TimeLimit.__exit__.__code__:
            leaving.append(frame.f_locals["self"])
        frame = frame.f_back
    return entering, leaving
