"""How much work a command may start: sizes checked before any work, with what to do instead.

Each bound is a figure measured on a 2-core machine (see docs/bad-input.md):
a network of at most 1,000 layers and 10 million parameters; a printed
scalar-level derivation of at most 5,000 gradients; a verified formula on a
network of at most 20,000 parameters; at most 8 GB of working memory for a batch.

>>> network_size_problems([2, 10**9, 1], bias=True)
['a network may have at most 10,000,000 parameters (weights and biases); 2-1000000000-1 has 4,000,000,001']
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_LAYERS = 1_000
MAX_PARAMETERS = 10_000_000


def _shape(sizes: Sequence[int]) -> str:
    """``2-3-1``, or ``this 10000-layer network`` when writing it out would fill the screen."""
    return "-".join(map(str, sizes)) if len(sizes) <= 12 else f"this {len(sizes) - 1}-layer network"


def parameter_count(sizes: Sequence[int], bias: bool) -> int:
    """Weights and biases of an MLP with layer sizes (n0, …, nL)."""
    return sum(n_out * (n_in + bias) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))


def network_size_problems(sizes: Sequence[int], bias: bool) -> list[str]:
    """What makes a network too large for any command (empty when it is fine)."""
    problems = []
    depth = len(sizes) - 1
    if depth > MAX_LAYERS:
        problems.append(f"a network may have at most {MAX_LAYERS:,} layers, got {depth:,}")
        return problems  # counting the parameters of such a list is wasted work
    count = parameter_count(sizes, bias)
    if count > MAX_PARAMETERS:
        shape = _shape(sizes)
        problems.append(
            f"a network may have at most {MAX_PARAMETERS:,} parameters (weights and biases); "
            f"{shape} has {count:,}"
        )
    return problems


MAX_WORKING_BYTES = 8 << 30
# Per sample and unit: z, a, δ and a temporary, in float64.
_BYTES_PER_UNIT = 4 * 8


def batch_memory_problem(rows: int, sizes: Sequence[int], what: str = "samples") -> str | None:
    """Why ``rows`` samples through a network of ``sizes`` would not fit in memory, or None.

    >>> batch_memory_problem(10**9, [2, 3, 1])
    '1,000,000,000 samples through 2-3-1 need about 179 GB of working memory, more than the 8 GB accepted; use fewer samples'
    """
    needed = rows * sum(sizes) * _BYTES_PER_UNIT
    if needed <= MAX_WORKING_BYTES:
        return None
    shape = _shape(sizes)
    return (
        f"{rows:,} {what} through {shape} need about {needed / (1 << 30):.0f} GB of working "
        f"memory, more than the {MAX_WORKING_BYTES >> 30} GB accepted; use fewer {what}"
    )


MAX_SCALAR_WORK = 5_000
# Printing one entry's chain costs more in a deeper network: measured about
# 2 ms per entry at depth 2 and 7 ms at depth 833 (2 cores, SymPy 1.14).
_DEPTH_COST = 300


def scalar_derivation_problem(entries: int, sizes: Sequence[int]) -> str | None:
    """Why printing ``entries`` scalar gradients step by step is too much work, or None.

    >>> print(scalar_derivation_problem(10_100, [100, 100, 1]))
    the scalar-level derivation of 100-100-1 would print 10,100 gradients step by step, more than the 5,000 it shows; use --level matrix, --wrt with one entry such as W1[1,1], or the bulk form (Derivation.scalar_gradients()) for every entry as data
    """
    depth = len(sizes) - 1
    if entries * (1 + depth / _DEPTH_COST) <= MAX_SCALAR_WORK:
        return None
    shape = _shape(sizes)
    return (
        f"the scalar-level derivation of {shape} would print {entries:,} gradients step by step, "
        f"more than the {MAX_SCALAR_WORK:,} it shows"
        + (" at this depth" if depth > _DEPTH_COST // 10 else "")
        + "; use --level matrix, --wrt with one entry such as W1[1,1], or the bulk form "
        "(Derivation.scalar_gradients()) for every entry as data"
    )


MAX_VERIFY_PARAMETERS = 20_000  # about 10 s at 100-100-1 (10,201 parameters), 67 s at 300-300-1


def verify_problem(parameters: int, sizes: Sequence[int]) -> str | None:
    """Why judging a formula on this network would take too long, or None."""
    if parameters <= MAX_VERIFY_PARAMETERS:
        return None
    shape = _shape(sizes)
    return (
        f"verify judges formulas on networks of at most {MAX_VERIFY_PARAMETERS:,} parameters; "
        f"{shape} has {parameters:,}: check the formula on a smaller network of the same shape of "
        "layers (the rule does not depend on the widths), or compare numbers with symbackprop check"
    )


MAX_CHECK_SECONDS = 60.0
# One loss evaluation: about 17 µs per layer in Python (measured at 500 layers of
# 2 units) plus about 1 ns per multiply-add.
_SECONDS_PER_LAYER = 2e-5
_SECONDS_PER_FLOP = 1e-9


def gradcheck_problem(entries: int, evaluations_per_entry: int, batch: int, sizes: Sequence[int]) -> str | None:
    """Why finite differences over ``entries`` entries would take too long, or None."""
    depth = len(sizes) - 1
    flops = batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    seconds = entries * evaluations_per_entry * (depth * _SECONDS_PER_LAYER + flops * _SECONDS_PER_FLOP)
    if seconds <= MAX_CHECK_SECONDS:
        return None
    return (
        f"checking {entries:,} entries by finite differences would take about {seconds:,.0f} s, "
        f"more than the {MAX_CHECK_SECONDS:.0f} s allowed; check fewer entries per parameter "
        "(--max-entries) or use a smaller batch (--batch)"
    )
