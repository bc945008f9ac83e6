"""A time limit on pure-Python work (SymPy, mpmath), by an interval timer and SIGALRM.

Only the main thread receives signals; elsewhere :func:`time_limit` cannot
interrupt, and says so (``available()`` is False), so callers decide what is safe.
A signal that arrives while Python runs a garbage-collection callback would
raise inside that callback, where the exception is swallowed; the handler
then waits a few milliseconds and tries again, so the limit still holds.

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

import gc
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

RETRY = 0.005  # seconds before trying again when the signal came during a gc callback


class TimedOut(Exception):
    """The time limit of :func:`time_limit` is up."""


def available() -> bool:
    """Whether this thread can be interrupted by a timer."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


def _in_gc_callback(frame: Any) -> bool:
    codes = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    codes.discard(None)
    while frame is not None and codes:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


@contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Raise TimedOut in the block after ``seconds``; yields whether the limit is enforced.

    A timer that was already running (an outer limit) gets back what is left of it.
    """
    if not available() or seconds <= 0:
        yield False
        return

    def expire(signum: int, frame: Any) -> None:
        if _in_gc_callback(frame):
            signal.setitimer(signal.ITIMER_REAL, RETRY)
            return
        raise TimedOut

    started = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, expire)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay > 0:
            left = old_delay - (time.perf_counter() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), old_interval)
