"""The second compile path: per-entry scalar expressions, lambdified with cse.

Each scalar ∂L/∂θ of the derivation (the δ's substituted and the forward pass
expanded, so every entry is an expression in x, y and the parameters) is
turned into NumPy code by SymPy's ``lambdify`` with common-subexpression
elimination.  Every sample of a batch is evaluated at once by passing each
scalar symbol a column of the batch.  It is slow to build and to run beyond
small networks (DESIGN.md measures 13–700× slower than the matrix path); it
exists as an independent check of the matrix path, computed from the same
derivation by a different route.

Like the derivation, a softmax output with cross_entropy uses δ⁽ᴸ⁾ = a − y,
which holds when each target row sums to 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from ..errors import DataError
from ..symbolic import Symbolic
from .stable import HELPERS, ArrayPrinter, stabilize

MAX_PARAMETERS = 200


def _helpers() -> dict[str, Any]:
    namespace: dict[str, Any] = {"numpy": np, "math": __import__("math")}
    for source in HELPERS.values():
        exec(source, namespace)  # noqa: S102 - our own fixed helper source
    return namespace


def compile_scalar(derivation: Symbolic) -> tuple[str, dict[str, Any]]:
    """(source, {"gradient": f, "loss": g}) for the scalar path."""
    network = derivation.network
    if network.parameter_count() > MAX_PARAMETERS:
        raise DataError(
            f"the scalar compile path is for small networks (at most {MAX_PARAMETERS} "
            f"parameters); {network.describe()} has {network.parameter_count()}; use path='matrix'"
        )
    source = scalar_source(derivation)
    namespace = _helpers()
    exec(compile(source, "<symbackprop-scalar>", "exec"), namespace)  # noqa: S102
    function = namespace["entries"]
    names = network.parameter_names()
    shapes = network.parameter_shapes()
    n0, nL = network.sizes[0], network.sizes[-1]

    def evaluate(params_in: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> list[Any]:
        columns = [X[:, j] for j in range(n0)] + [Y[:, j] for j in range(nL)]
        flat = [value for name in names for value in np.asarray(params_in[name]).ravel()]
        values = function(*columns, *flat)
        m = X.shape[0]
        return [np.broadcast_to(np.asarray(v, dtype=X.dtype), (m,)).mean() for v in values]

    def gradient(params_in, X, Y):
        values = evaluate(params_in, X, Y)
        grads, position = {}, 1
        for name in names:
            size = int(np.prod(shapes[name]))
            grads[name] = np.array(values[position : position + size], dtype=X.dtype).reshape(
                shapes[name]
            )
            position += size
        return values[0], grads

    def loss_only(params_in, X, Y):
        return evaluate(params_in, X, Y)[0]

    gradient.__doc__ = function.__doc__
    return source, {"gradient": gradient, "loss": loss_only}


def scalar_source(derivation: Symbolic) -> str:
    """Source of ``entries(x1, …, y1, …, w1_11, …)`` -> [loss, ∂L/∂θ for every entry].

    The forward pass is one assignment per scalar z and a; the loss and the
    gradient entries (δ's substituted, in terms of those z and a) go through
    ``sympy.cse`` so that shared subexpressions are computed once.
    """
    network = derivation.network
    syms = derivation.symbols
    printer = ArrayPrinter()
    names = network.parameter_names()
    args = list(syms.x) + list(syms.y)
    args += [s for name in names for s in syms.parameter(name)]
    lines = [f"def entries({', '.join(map(str, args))}):"]
    doc = f"Loss and every scalar gradient entry of {network.describe()}, sample by sample."
    lines.append(f'    """{doc}"""')
    for layer, z_exprs, spec in zip(
        syms.layers, derivation.pre_activations, network.layers, strict=True
    ):
        for z, expr in zip(layer.z, z_exprs, strict=True):
            lines.append(f"    {z} = {printer.doprint(expr)}")
        if spec.activation.elementwise:
            for z, a in zip(layer.z, layer.a, strict=True):
                lines.append(f"    {a} = {printer.doprint(stabilize(spec.activation(z)))}")
        else:
            zs = list(layer.z)
            top = zs[0].name
            for z in zs[1:]:
                top = f"numpy.maximum({top}, {z})"
            lines.append(f"    zmax{layer.index} = {top}")
            for z in zs:
                lines.append(f"    e_{z} = numpy.exp({z} - zmax{layer.index})")
            total = " + ".join(f"e_{z}" for z in zs)
            lines.append(f"    total{layer.index} = {total}")
            for z, a in zip(zs, layer.a, strict=True):
                lines.append(f"    {a} = e_{z} / total{layer.index}")
    outputs: list[sympy.Expr] = [derivation.loss]
    for name in names:
        outputs.extend(derivation.gradient(name, form="intermediate"))
    replacements, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("c"), order="none")
    for symbol, expr in replacements:
        lines.append(f"    {symbol} = {printer.doprint(stabilize(expr))}")
    results = ", ".join(printer.doprint(stabilize(expr)) for expr in reduced)
    lines.append(f"    return [{results}]")
    helpers = [HELPERS[name] for name in sorted(printer.helpers)]
    return "import math\n\nimport numpy\n\n\n" + "\n\n".join(helpers + ["\n".join(lines)]) + "\n"
