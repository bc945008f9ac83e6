"""The scaling benchmark still runs: one tiny network through every column."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "derive_scaling.py"


def _load():
    spec = importlib.util.spec_from_file_location("derive_scaling", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_row_of_the_table():
    bench = _load()
    row = bench.measure((2, 2, 1), "sigmoid", "half_sse", limit=60, skip_naive=False)
    assert row["params"] == 9
    # 2-2-1 with bias: 6 products δ a (biases are δ's themselves),
    # δ⁽²⁾ = a(1 − a)(a − y): 4, δ⁽¹⁾ⱼ = w δ⁽²⁾ a(1 − a): 4 each.
    assert row["delta_ops"] == 6 + 4 + 2 * 4
    assert row["naive"] is not None and row["naive"]["ops"] > row["inlined_ops"] > row["delta_ops"]
    text = bench.table([row], 60)
    assert text.splitlines()[2].startswith("| 2-2-1 | 9 |")


def test_a_stopped_naive_run_is_reported():
    bench = _load()
    assert bench.naive((2, 8, 8, 8, 1), "sigmoid", "half_sse", limit=0.5) is None


def test_the_gradient_access_benchmark_runs():
    spec = importlib.util.spec_from_file_location("gradient_access", BENCH.parent / "gradient_access.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.measure("tanh", "intermediate", sizes=(3, 4, 2))
    assert [row[0] for row in rows] == ["W1", "b1", "W2", "b2"]
    assert "| W1 |" in bench.table(rows)
