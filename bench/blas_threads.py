"""The number of BLAS threads a benchmark runs with, set before NumPy loads (BLAS reads it then).

One thread by default: on a shared machine, spinning BLAS threads make the timings
of every contender meaningless; ``--threads N`` on a benchmark's command line gives
all of its contenders N threads.  A benchmark imports this module before NumPy.
"""

from __future__ import annotations

import os
import sys


def threads_from_argv(argv: list[str]) -> str:
    """The N of ``--threads N`` (or ``--threads=N``) in ``argv``; "1" without one.

    >>> threads_from_argv(["--quick", "--threads", "2"]), threads_from_argv(["--threads=4"]), threads_from_argv([])
    ('2', '4', '1')
    """
    for index, arg in enumerate(argv):
        if arg == "--threads" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = threads_from_argv(sys.argv[1:])
