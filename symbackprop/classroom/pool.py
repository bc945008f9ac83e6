"""Work spread over worker processes, results in the order of the work.

Each worker is a forked copy of this process, started with ``initializer``
so it loads the network once.  With one job everything runs here, which is
what a debugger and a small class want.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any


def default_jobs() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(
    func: Callable[[Any], Any],
    items: Sequence[Any],
    jobs: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[Any]:
    """``func(item)`` for every item, yielded in the items' order as each is ready."""
    if jobs <= 1 or len(items) <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, items)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(min(jobs, len(items)), initializer, initargs) as pool:
        yield from pool.imap(func, items, chunksize=1)
