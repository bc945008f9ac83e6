"""What the layer benchmarks share: the contenders agree before they are timed, then run interleaved.

>>> import numpy as np
>>> assert_agree("x", 1.0, {"W": np.ones(2)}, 1.0 + 1e-12, {"W": np.ones(2)}, "float64")
>>> sorted(interleaved_times({"a": lambda: None, "b": lambda: None}, rounds=3))
['a', 'b']
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


def tolerance(dtype: Any) -> float:
    """How closely two correct implementations agree in ``dtype``."""
    return 1e-9 if np.dtype(dtype) == np.float64 else 1e-3


def assert_agree(label: str, loss: float, grads: Mapping[str, Any], ref_loss: float,
                 ref_grads: Mapping[str, Any], dtype: Any) -> None:
    """``label``'s loss and gradients equal the reference ones (arrays, or tensors with .numpy())."""
    tol = tolerance(dtype)
    assert abs(loss - ref_loss) <= tol * max(1, abs(ref_loss)), (label, loss, ref_loss)
    for name, ref in ref_grads.items():
        value = grads[name]
        value = value.numpy() if hasattr(value, "numpy") else value
        assert np.allclose(value, ref, rtol=tol * 10, atol=tol), (label, name)


def interleaved_times(contenders: Mapping[str, Callable[[], Any]], rounds: int, seed: int = 0,
                      statistic: Callable[[list[float]], float] = statistics.median) -> dict[str, float]:
    """The seconds of each contender over ``rounds`` rounds (their median, or ``statistic``),
    after one warm-up call each; every round calls each contender once, in a shuffled order,
    so a load that comes and goes on a shared machine falls on all of them alike."""
    for run in contenders.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    order = random.Random(seed)
    for _ in range(rounds):
        order.shuffle(names)
        for name in names:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistic(values) for name, values in times.items()}
