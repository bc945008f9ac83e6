"""SymPy differentiates a layer's forward rule in index notation, and collapses the chain rule.

For a rule ``out[i…] = expr`` (:class:`~symbackprop.layers.base.IndexRule`)
and one of its inputs θ, SymPy computes the local derivative ∂out[i…]/∂θ[e…]
(a sum of Kronecker deltas for a linear rule) and the chain rule

    ∂L/∂θ[e…] = Σ_{i…} δ[i…] ∂out[i…]/∂θ[e…],

whose deltas ``Sum.doit`` collapses.  The bounds of the sums are made symbols
while SymPy works, so the result keeps its sums (Σ_{i,j} δ[c,i,j] x[…]) instead
of being written out entry by entry.  That collapsed sum is the textbook's
vectorised rule (δ ⋆ x for a kernel, a full convolution for the input); the
tests compare it with each plan entry's NumPy form.

>>> from symbackprop.activations import activation
>>> from symbackprop.layers.dense import Dense
>>> rule = Dense(3, 2, activation("identity")).index_rule(2)
>>> [str(d.collapsed) for d in derivatives(rule)]
['a1[k]*delta[j]', 'delta[j]', 'Sum(W2[j, k]*delta[j], (j, 1, 2))']
>>> str(derivatives(rule)[0].local)
"Sum(KroneckerDelta(j, j')*KroneckerDelta(k, k')*a1[k], (k, 1, 3))"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .base import IndexRule

UPSTREAM = sympy.IndexedBase("delta")


@dataclass(frozen=True)
class Derivative:
    """What SymPy made of one input θ of a rule: local derivative and collapsed chain rule."""

    base: Any
    entry: Any  # θ[e…], with the input's own index names
    local: Any  # ∂out[i…]/∂θ[e…]
    chain: Any  # Σ_{i…} δ[i…] ∂out[i…]/∂θ[e…], unevaluated
    collapsed: Any  # the same, after SymPy collapsed its deltas
    bounded: bool  # True when some terms vanish outside the input's or the kernel's range
    local_entry: Any = None  # θ[e'…], as the local derivative names it


def _symbolic_bounds(expr: Any) -> tuple[Any, dict[Any, Any]]:
    """``expr`` with every numeric upper bound of a sum made a symbol, and the way back."""
    symbols: dict[Any, Any] = {}

    def bound(value: Any) -> Any:
        if not value.is_Integer:
            return value
        if value not in symbols:
            symbols[value] = sympy.Symbol(f"N_{value}", integer=True, positive=True)
        return symbols[value]

    def rebuild(node: Any) -> Any:
        return sympy.Sum(node.function, *[(i, lo, bound(hi)) for i, lo, hi in node.limits])

    out = expr.replace(lambda node: isinstance(node, sympy.Sum), rebuild)
    return out, {symbol: value for value, symbol in symbols.items()}


def _drop_ranges(expr: Any) -> tuple[Any, bool]:
    """Piecewise((term, in range), (0, True)) -> term; True when any range was dropped."""
    found = False

    def first(node: Any) -> Any:
        nonlocal found
        found = True
        return node.args[0][0]

    out = expr.replace(lambda node: isinstance(node, sympy.Piecewise), first)
    return out, found


def _collapse(chain: Any) -> tuple[Any, bool, dict[Any, Any]]:
    """The chain rule's sum with its Kronecker deltas collapsed, the bounds symbols meanwhile;
    whether terms outside some range were dropped; and the way back to the numeric bounds."""
    free, back = _symbolic_bounds(chain)
    collapsed, dropped = _drop_ranges(free.doit())
    collapsed, again = _drop_ranges(collapsed.doit())
    return collapsed, dropped or again, back


def index_names(count: int, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(sympy.Symbol(name, integer=True, positive=True) for name in names[:count])


def derivative(rule: IndexRule, base: Any, names: tuple[str, ...], upstream: Any = UPSTREAM) -> Derivative:
    """SymPy's ∂out/∂base[names…] and the collapsed ∂L/∂base[names…] of one rule."""
    shape = dict((b, s) for b, s, _ in rule.inputs)[base]
    working = tuple(sympy.Symbol(f"e_{n}", integer=True, positive=True) for n in range(len(shape)))
    local = sympy.diff(rule.expr, base[working])
    terms = upstream[rule.indices] * local
    limits = [(i, 1, n) for i, n in zip(rule.indices, rule.ranges, strict=True)]
    chain = sympy.Sum(terms, *limits)
    collapsed, dropped, back = _collapse(chain)
    if collapsed.has(sympy.KroneckerDelta):
        # A delta SymPy could not reach from where it sits (the sum over j outside the one over t
        # of an RNN): the sums over the indices that the deltas name go innermost, and again.
        named = {s for delta in local.atoms(sympy.KroneckerDelta) for s in delta.free_symbols}
        collapsed, dropped, back = _collapse(sympy.Sum(terms, *sorted(limits, key=lambda limit: limit[0] not in named)))
    # Sums left with one term are written as that term; the bounds get their numbers back.
    collapsed = collapsed.xreplace(back)
    shown = index_names(len(shape), names)
    # The local derivative keeps the rule's own index names, so θ's entry is primed there; a
    # summation index of the rule that bears one of those primed names is renamed.
    primed = index_names(len(shape), tuple(name + "'" for name in names))
    renamed = {**_distinct_bound(rule.expr, primed), **dict(zip(working, primed, strict=True))}
    return Derivative(
        base=base,
        entry=base[shown],
        local=local.xreplace(renamed),
        chain=chain.xreplace(renamed),
        collapsed=collapsed.xreplace(dict(zip(working, shown, strict=True))),
        bounded=dropped,
        local_entry=base[primed],
    )


_SPARE_NAMES = ("d", "p", "q", "r", "s", "t")


def _distinct_bound(expr: Any, taken: tuple[Any, ...]) -> dict[Any, Any]:
    """A new name for each summation index of ``expr`` named like one of ``taken``.

    The convolution sums over the input channel c', which is also the primed name of the
    output channel c in ∂z[c,i,j]/∂W[c',c'',u',v']; the sum's c' becomes d.

    >>> c1, c2 = index_names(2, ("c'", "c''"))
    >>> x = sympy.IndexedBase("x")
    >>> _distinct_bound(sympy.Sum(x[c1], (c1, 1, 2)), (c1, c2))
    {c': d}
    """
    used = {symbol.name for symbol in expr.atoms(sympy.Symbol)} | {symbol.name for symbol in taken}
    spare = (name for name in _SPARE_NAMES if name not in used)
    clashing = {v for node in expr.atoms(sympy.Sum) for v, *_ in node.limits if v.name in {t.name for t in taken}}
    return {v: sympy.Symbol(next(spare), integer=True, positive=True) for v in sorted(clashing, key=str)}


def derivatives(rule: IndexRule, upstream: Any = UPSTREAM) -> tuple[Derivative, ...]:
    """The derivative with respect to every input of ``rule``, in the rule's order."""
    return tuple(derivative(rule, base, names, upstream) for base, _, names in rule.inputs)


def at(rule: IndexRule, base: Any, point: tuple[int, ...], upstream: Any = UPSTREAM) -> Any:
    """∂L/∂base[point] (1-based) written out: the chain rule's sum evaluated entry by entry.

    The tests compare this, SymPy's own derivative, with the plan's collapsed NumPy form.
    """
    local = sympy.diff(rule.expr, base[point])
    terms = upstream[rule.indices] * local
    return sympy.Sum(terms, *[(i, 1, n) for i, n in zip(rule.indices, rule.ranges, strict=True)]).doit()
