"""The time limit holds even when its signal lands in a callback Python calls from C."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from symbackprop.timer import TimedOut, time_limit


def test_the_limit_holds_when_the_signal_lands_in_a_weakref_callback():
    class Thing:
        pass

    def slow_callback(_):
        time.sleep(0.05)  # the timer fires in here; the exception is swallowed by Python

    started = time.perf_counter()
    with pytest.raises(TimedOut), time_limit(0.01):
        ref = weakref.ref(Thing(), slow_callback)  # the object dies at once: the callback runs now
        while True:
            time.sleep(0.001)
    assert time.perf_counter() - started < 1.0
    del ref


def test_the_limit_holds_when_the_signal_lands_in_a_gc_callback():
    def slow_callback(phase, info):
        if phase == "start":
            time.sleep(0.05)

    gc.callbacks.append(slow_callback)
    try:
        with pytest.raises(TimedOut), time_limit(0.01):
            gc.collect()
            while True:
                time.sleep(0.001)
    finally:
        gc.callbacks.remove(slow_callback)


def test_no_timer_is_left_running():
    import signal

    with time_limit(5):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
