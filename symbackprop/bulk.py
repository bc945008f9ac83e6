"""Every scalar gradient of a large network, in δ form, built in bulk.

The engine's :class:`~symbackprop.derive.Derivation` favours readability; this
module favours size.  It emits one small expression per parameter,

* ∂L/∂w⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ and ∂L/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ,

plus the δ recursion as separate definitions in which the δ's of the layer
above stay symbols.  Nothing is ever inlined, so the work and the output are
linear in the number of parameters (inlining reaches billions of operations
at 784-256-128-10).  Only the activations' and the loss's derivatives are
differentiated, once, by SymPy on a generic symbol; SymEngine (a C++ core)
then builds the per-unit expressions when it is installed, which is what
makes all 235,146 gradients of 784-256-128-10 take about a second.

>>> from symbackprop import Network
>>> net = Network.from_spec({"layers": [2, 2, 1], "activation": "sigmoid"})
>>> grads = scalar_gradients(net, backend="sympy")
>>> grads["W2"], grads["b2"]
([[a1_1*delta2_1, a1_2*delta2_1]], [[delta2_1]])
>>> grads["delta2"]
[[a2_1*(1 - a2_1)*(a2_1 - y1)]]
>>> grads["delta1"][0]
[a1_1*delta2_1*w2_11*(1 - a1_1)]
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from .activations import S, T
from .losses import A, N, Y
from .symbols import real_symbol, scalar_name

if TYPE_CHECKING:
    from .spec import Network

BACKENDS = ("auto", "symengine", "sympy")


def has_symengine() -> bool:
    """True when the SymEngine package can be imported."""
    return importlib.util.find_spec("symengine") is not None


def resolve_backend(backend: str) -> str:
    """``"auto"`` becomes ``"symengine"`` when it is installed, else ``"sympy"``."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "symengine" if has_symengine() else "sympy"
    if backend == "symengine" and not has_symengine():
        raise ValueError("backend 'symengine' was asked for but SymEngine is not installed")
    return backend


def without_heaviside(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite Heaviside(t, h) as a Piecewise, which SymEngine understands.

    SymEngine has no Heaviside; the value at 0 (``h``, 0 for ReLU) is kept.
    """

    def piecewise(arg, h0=None):
        at_zero = sympy.Rational(1, 2) if h0 is None else h0
        return sympy.Piecewise((1, arg > 0), (at_zero, sympy.Eq(arg, 0)), (0, True))

    if not expr.has(sympy.Heaviside):
        return expr
    return expr.replace(sympy.Heaviside, piecewise)


@dataclass(frozen=True)
class _Kit:
    """How one backend makes symbols, sums and converted expressions."""

    name: str
    symbol: Callable[[str], Any]
    add: Callable[[Sequence[Any]], Any]
    convert: Callable[[sympy.Expr], Any]
    substitute: Callable[[Any, dict], Any]


def _sympy_kit() -> _Kit:
    return _Kit(
        "sympy",
        real_symbol,
        lambda terms: sympy.Add(*terms),
        lambda expr: expr,
        lambda expr, mapping: expr.xreplace(mapping),
    )


def _symengine_kit() -> _Kit:
    import symengine

    def convert(expr: sympy.Expr):
        # Generic symbols (t, s, A, Y) carry SymPy assumptions; by name is enough here.
        return symengine.sympify(without_heaviside(expr))

    return _Kit(
        "symengine",
        symengine.Symbol,
        lambda terms: symengine.Add(*terms),
        convert,
        lambda expr, mapping: expr.xreplace(mapping) if mapping else expr,
    )


def _column(kit: _Kit, stem: str, layer: int | None, size: int) -> list[Any]:
    return [kit.symbol(scalar_name(stem, layer, j)) for j in range(1, size + 1)]


def scalar_gradients(
    network: Network, backend: str = "auto", as_sympy: bool = False
) -> dict[str, list[list[Any]]]:
    """Every scalar ∂L/∂θ in δ form, and the δ definitions, as nested lists.

    The result maps each parameter name (``W1``, ``b1``, …) to its rows
    (W⁽ˡ⁾ is nₗ rows of nₗ₋₁ entries; b⁽ˡ⁾ is a column: nₗ rows of one entry)
    and ``"delta<l>"`` to the column of δ⁽ˡ⁾ⱼ definitions, each written in the
    symbols δ⁽ˡ⁺¹⁾, w⁽ˡ⁺¹⁾, a⁽ˡ⁾, z⁽ˡ⁾ and y.  Symbols are named as in
    :mod:`symbackprop.symbols`.  With the SymEngine backend the entries are
    SymEngine objects (``sympy.sympify`` reads them); ``as_sympy=True``
    converts them to SymPy with the real symbols that ``Derivation`` uses.
    """
    chosen = resolve_backend(backend)
    if chosen == "symengine":
        try:
            result = _build(network, _symengine_kit())
        except Exception:
            # A custom expression SymEngine cannot read: with "auto", SymPy does the job.
            if backend != "auto":
                raise
            chosen, result = "sympy", _build(network, _sympy_kit())
    else:
        result = _build(network, _sympy_kit())
    if as_sympy and chosen != "sympy":
        result = to_sympy(result)
    return result


def _activation_derivatives(network: Network, kit: _Kit, layer: int, z: list, a: list) -> list:
    """σ'(z⁽ˡ⁾ⱼ) per unit, in a⁽ˡ⁾ⱼ where the activation has that form."""
    act = network.layers[layer - 1].activation
    if act.derivative_of_output is not None:
        generic, symbol, values = act.derivative_of_output, S, a
    else:
        generic, symbol, values = act.derivative, T, z
    converted = kit.convert(generic)
    if not generic.has(symbol):
        return [converted] * len(values)
    key = kit.convert(symbol)
    return [kit.substitute(converted, {key: value}) for value in values]


def _output_deltas(network: Network, kit: _Kit, a: list, z: list, y: list) -> list:
    n = len(a)
    out = network.output_activation
    if out.name == "softmax" and network.loss.name == "cross_entropy":
        # Σᵢ (−yᵢ/aᵢ) aᵢ(δᵢⱼ − aⱼ) = aⱼ Σᵢ yᵢ − yⱼ = aⱼ − yⱼ, as Σᵢ yᵢ = 1.
        return [a[j] - y[j] for j in range(n)]
    generic = kit.convert(network.loss.term_derivative.xreplace({N: sympy.Integer(n)}))
    keys = (kit.convert(A), kit.convert(Y))
    grad_a = [kit.substitute(generic, {keys[0]: a[j], keys[1]: y[j]}) for j in range(n)]
    if out.elementwise:
        slopes = _activation_derivatives(network, kit, network.depth, z, a)
        return [grad_a[j] * slopes[j] for j in range(n)]
    # Softmax with another loss: the full Jacobian aᵢ(δᵢⱼ − aⱼ).
    return [
        kit.add([grad_a[i] * a[i] * ((1 if i == j else 0) - a[j]) for i in range(n)])
        for j in range(n)
    ]


def _build(network: Network, kit: _Kit) -> dict[str, list[list[Any]]]:
    sizes = network.sizes
    L = network.depth
    a = [_column(kit, "x", None, sizes[0])]
    a += [_column(kit, "a", layer, sizes[layer]) for layer in range(1, L + 1)]
    delta = [None] + [_column(kit, "delta", layer, sizes[layer]) for layer in range(1, L + 1)]
    z_last = _column(kit, "z", L, sizes[L])
    y = _column(kit, "y", None, sizes[L])

    definitions: dict[int, list[Any]] = {L: _output_deltas(network, kit, a[L], z_last, y)}
    for layer in range(L - 1, 0, -1):
        # The recursion needs W⁽²⁾…W⁽ᴸ⁾ only: the largest matrix, W⁽¹⁾, is never made.
        n_up, n = sizes[layer + 1], sizes[layer]
        w_up = [
            [kit.symbol(scalar_name("w", layer + 1, i, j)) for j in range(1, n + 1)]
            for i in range(1, n_up + 1)
        ]
        in_output_form = network.layers[layer - 1].activation.derivative_of_output is not None
        z = [None] * n if in_output_form else _column(kit, "z", layer, n)
        slopes = _activation_derivatives(network, kit, layer, z, a[layer])
        up = delta[layer + 1]
        definitions[layer] = [
            kit.add([w_up[i][j] * up[i] for i in range(n_up)]) * slopes[j] for j in range(n)
        ]

    result: dict[str, list[list[Any]]] = {}
    for layer in range(1, L + 1):
        prev = a[layer - 1]
        result[f"W{layer}"] = [[d_j * a_k for a_k in prev] for d_j in delta[layer]]
        if network.bias:
            result[f"b{layer}"] = [[d_j] for d_j in delta[layer]]
    for layer in range(1, L + 1):
        result[f"delta{layer}"] = [[entry] for entry in definitions[layer]]
    return result


def to_sympy(result: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
    """Convert every entry to SymPy, with real symbols as ``Derivation`` makes them."""
    realise: dict[sympy.Symbol, sympy.Symbol] = {}

    def convert(entry: Any) -> sympy.Expr:
        expr = sympy.sympify(entry)
        for symbol in expr.free_symbols:
            if symbol not in realise:
                realise[symbol] = real_symbol(symbol.name)
        return expr.xreplace(realise)

    return {key: [[convert(entry) for entry in row] for row in rows] for key, rows in result.items()}


def count_entries(result: dict[str, list[list[Any]]]) -> int:
    """How many scalar gradients ``result`` holds (δ definitions excluded)."""
    return sum(len(row) for key, rows in result.items() if not key.startswith("delta") for row in rows)


def operation_count(result: dict[str, list[list[Any]]]) -> int:
    """Arithmetic operations in all entries, counted per entry (each is small).

    An n-ary sum or product of k terms counts k − 1 operations, a power or a
    function call one; the entries share δ symbols, so nothing is inlined.
    """
    return sum(_ops(entry) for rows in result.values() for row in rows for entry in row)


def inlined_operation_count(result: dict[str, list[list[Any]]]) -> int:
    """Operations the gradients would have if every δ were inlined (the intermediate form).

    Computed layer by layer from the δ definitions, so it never builds or
    walks the inlined trees, whose size grows with the product of the widths.
    """
    deltas = sorted(
        (int(key[len("delta") :]), rows) for key, rows in result.items() if key.startswith("delta")
    )
    inlined: dict[str, int] = {}
    for layer, rows in reversed(deltas):
        for j, (definition,) in enumerate(rows, start=1):
            inlined[scalar_name("delta", layer, j)] = _ops(definition, inlined)
    total = 0
    for key, rows in result.items():
        if key.startswith("delta"):
            continue
        for row in rows:
            total += sum(_ops(entry, inlined) for entry in row)
    return total


def tree_operation_count(exprs: Iterable[Any]) -> int:
    """Operations in the tree form of ``exprs``, without walking the trees.

    A subexpression that occurs many times (an expanded forward pass repeats
    the same a⁽ˡ⁾ in every path) is counted once and its count reused, so
    the cost is that of the distinct subexpressions.
    """
    memo: dict[Any, int] = {}
    return sum(_ops(expr, None, memo) for expr in exprs)


def _ops(expr: Any, leaves: dict[str, int] | None = None, memo: dict | None = None) -> int:
    if memo is not None:
        known = memo.get(expr)
        if known is not None:
            return known
        memo[expr] = out = _ops_once(expr, leaves, memo)
        return out
    return _ops_once(expr, leaves, memo)


def _ops_once(expr: Any, leaves: dict[str, int] | None, memo: dict | None) -> int:
    args = _args(expr)
    if not args:
        return leaves.get(getattr(expr, "name", ""), 0) if leaves else 0
    kind = type(expr).__name__
    if kind == "Mul":
        # a − y is stored as a + (−1)·y: the −1 is part of the subtraction.
        factors = [arg for arg in args if not (arg.is_Number and arg == -1)]
        own = max(len(factors) - 1, 0)
    elif kind == "Add":
        own = len(args) - 1
    else:
        own = 1
    return own + sum(_ops(arg, leaves, memo) for arg in args)


def _args(expr: Any) -> Iterable[Any]:
    args = getattr(expr, "args", ())
    return args() if callable(args) else args
