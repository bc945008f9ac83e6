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
        shape = "-".join(map(str, sizes)) if len(sizes) <= 12 else f"this {depth}-layer network"
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
    shape = "-".join(map(str, sizes)) if len(sizes) <= 12 else f"this {len(sizes) - 1}-layer network"
    return (
        f"{rows:,} {what} through {shape} need about {needed / (1 << 30):.0f} GB of working "
        f"memory, more than the {MAX_WORKING_BYTES >> 30} GB accepted; use fewer {what}"
    )
