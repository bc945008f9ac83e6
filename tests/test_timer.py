"""The time limit holds even when its signal lands in a callback Python calls from C."""

from __future__ import annotations

import gc
import signal
import sys
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
    with time_limit(5):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_signal_that_lands_as_the_block_ends_leaves_no_timer_behind():
    # Made certain here: the signal is sent as the block's exit is called.  The block is
    # done, so nothing is raised, and the limit is taken down in full: no handler and no
    # timer left to raise TimedOut later in code that has no limit.
    previous = signal.getsignal(signal.SIGALRM)

    def signal_at_exit(frame, event, arg):
        sys.settrace(None)
        signal.raise_signal(signal.SIGALRM)

    with time_limit(5):
        sys.settrace(signal_at_exit)  # the next call is the exit
    time.sleep(0.05)  # a timer left running would raise in here
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous


def test_a_signal_that_lands_as_the_limit_is_set_up_raises_in_the_block():
    def signal_at_return(frame, event, arg):  # the first call made: the limit's set-up
        sys.settrace(None)

        def on_return(frame, event, arg):
            if event == "return":
                signal.raise_signal(signal.SIGALRM)
            return on_return

        return on_return

    limit = time_limit(5)
    with pytest.raises(TimedOut):
        sys.settrace(signal_at_return)
        with limit as limited:
            assert limited
            while True:
                time.sleep(0.001)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_cpu_time_limit_counts_work_not_waiting():
    with time_limit(0.05, clock="cpu"):
        time.sleep(0.2)  # waiting: no CPU time spent
    started = time.process_time()
    with pytest.raises(TimedOut), time_limit(0.05, clock="cpu"):
        while True:
            pass
    assert 0.025 <= time.process_time() - started < 5  # the timer and the clock count in ticks
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_an_unknown_clock_is_named():
    with pytest.raises(ValueError, match="clock must be one of wall, cpu, not 'gpu'"):
        time_limit(1, clock="gpu")
