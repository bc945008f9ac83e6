"""A time limit on pure-Python work (SymPy, mpmath), by an interval timer and SIGALRM.

Only the main thread receives signals; elsewhere :func:`time_limit` cannot
interrupt, and says so (``available()`` is False), so callers decide what is safe.
A signal that arrives while Python runs a callback it was called from C for
(a garbage-collection callback, a weak reference's, a ``__del__``) raises
there, where Python swallows the exception and reports it as "unraisable";
so the handler sets the timer again before it raises, and goes on raising
every few milliseconds until the exception reaches the block, and those
swallowed exceptions are not reported.

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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

RETRY = 0.005  # seconds before raising again, in case the last one was swallowed


class TimedOut(Exception):
    """The time limit of :func:`time_limit` is up."""


def available() -> bool:
    """Whether this thread can be interrupted by a timer."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Raise TimedOut in the block after ``seconds``; yields whether the limit is enforced.

    A timer that was already running (an outer limit) gets back what is left of it.
    """
    if not available() or seconds <= 0:
        yield False
        return

    def expire(signum: int, frame: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, RETRY)
        raise TimedOut

    report = sys.unraisablehook

    def swallowed(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, TimedOut):  # ours is raised again by the timer
            report(unraisable)

    started = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, expire)
    sys.unraisablehook = swallowed
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = report
        if old_delay > 0:
            left = old_delay - (time.perf_counter() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), old_interval)
