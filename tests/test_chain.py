"""The printed chain rule is right: every step that can be evaluated has the value it claims.

Display objects (Chain, Terms, σ(·), σ'(·), entrywise σ of a vector) are
turned back into ordinary SymPy and evaluated at a random point, then compared
with the forward pass, the δ's and the gradients.  Steps at the matrix level
are evaluated with the matrices of the same point, and their shapes checked.
"""

from __future__ import annotations

import pytest
import sympy
from sympy.matrices.expressions.matexpr import MatrixExpr

from symbackprop import Network, UnknownParameterError, models
from symbackprop.activations import T
from symbackprop.chain import LOSS
from symbackprop.display import Applied, Chain, Elementwise, Named, Partial, Terms

from .derive_support import close, random_point, value


class Unevaluable(Exception):
    """A step part that is notation only (∂L/∂a, a named ∇ or Jacobian)."""


def realize(expr, d, matrices: dict | None = None):
    """The ordinary SymPy value of a displayed expression."""
    acts = {layer.activation.latex_symbol: layer.activation for layer in d.network.layers}

    def walk(e):
        if isinstance(e, Partial | Named | sympy.Indexed):
            raise Unevaluable(e)
        if isinstance(e, Chain):
            return sympy.Mul(*map(walk, e.args))
        if isinstance(e, Terms):
            return sympy.Add(*map(walk, e.args))
        if isinstance(e, Applied):
            symbol, _, arg, prime = e.args
            act = acts[symbol.name]
            rule = act.derivative if prime else act.expr
            return rule.xreplace({T: walk(arg)})
        if isinstance(e, Elementwise):
            symbol, _, arg, prime = e.args
            act = acts[symbol.name]
            vector = walk(arg)
            if not act.elementwise:  # softmax: a vector function
                assert not prime
                exps = vector.applyfunc(sympy.exp)
                return exps / sum(exps)
            rule = act.derivative if prime else act.expr
            return vector.applyfunc(lambda t: rule.xreplace({T: t}))
        if isinstance(e, sympy.MatrixSymbol):
            if matrices is None or e.name not in matrices:
                raise Unevaluable(e)
            return matrices[e.name]
        if not e.args or isinstance(e, sympy.Symbol | sympy.Number):
            return e
        out = e.func(*map(walk, e.args))
        return out.doit() if isinstance(out, MatrixExpr) else out

    return walk(expr)


def scalar_value(expr, d, point) -> float | None:
    try:
        return value(realize(expr, d), point)
    except Unevaluable:
        return None


NETWORKS = [
    lambda: Network.from_layers((2, 2, 1, 2), ["erf(x)", "x*sigmoid(x)", "softmax"], loss="mse"),
    models.two_two_two,
    models.understanding,
    lambda: Network.from_layers((2, 2, 2), "tanh", "softmax", "half_sse"),
    lambda: Network.from_layers((2, 2, 1), "leaky_relu(0.2)", "identity", "mse", bias=False),
    lambda: Network.from_layers((1, 2, 2), "x*sigmoid(x)", "sigmoid", "binary_cross_entropy"),
    lambda: Network.from_layers((2, 2, 2), "identity", "softplus", "(a - y)**4"),
]


def _known_values(d, point) -> dict:
    """L, z, a, δ and every scalar gradient at the point, from the engine's checked forms."""
    known = dict(point.everything)
    known[LOSS] = value(d.expanded_loss(), point.inputs)
    grads = d.gradients("delta")
    for name, grad in grads.items():
        matrix = d.symbols.parameter(name)
        for index, symbol in enumerate(matrix):
            known[Partial(LOSS, symbol)] = value(grad[index], point.everything)
    return known


@pytest.mark.parametrize("make", NETWORKS)
def test_every_evaluable_scalar_step_has_its_claimed_value(make):
    net = make()
    d = net.derive()
    point = random_point(net, seed=3)
    known = _known_values(d, point)
    checked = 0
    for section in d.sections(level="scalar"):
        if section.title == "Derivatives used":
            continue  # generic symbols; checked below
        for step in section.steps:
            if step.lhs not in known:
                continue
            want = known[step.lhs]
            for part in step.rhs:
                got = scalar_value(part, d, point.everything)
                if got is not None:
                    assert close(got, want), (section.title, step.lhs, part, got, want)
                    checked += 1
    # Forward (z, a, L), δ and gradient steps were all checked.
    assert checked >= len(point.everything) - len(point.inputs) + net.parameter_count()


@pytest.mark.parametrize("make", NETWORKS)
def test_derivatives_used_are_the_derivatives(make):
    d = make().derive()
    steps = [s for s in d.sections()[1].steps if isinstance(s.lhs, Applied)]
    for step in steps:
        act = {layer.activation.latex_symbol: layer.activation for layer in d.network.layers}[
            step.lhs.args[0].name
        ]
        for t in (-0.7, 0.3, 1.9):
            want = value(sympy.diff(act.expr, T), {T: t})
            for part in step.rhs:
                assert close(value(realize(part, d), {T: t}), want), (step, part)


@pytest.mark.parametrize("make", NETWORKS)
def test_chain_for_each_entry_agrees_with_the_gradient(make):
    net = make()
    d = net.derive()
    point = random_point(net, seed=4)
    known = _known_values(d, point)
    for name, shape in net.parameter_shapes().items():
        cols = shape[1] if len(shape) == 2 else 1
        for row in range(1, shape[0] + 1):
            for col in range(1, cols + 1):
                (step,) = d.chain(name, row, col)
                want = known[step.lhs]
                values = [scalar_value(part, d, point.everything) for part in step.rhs]
                values = [v for v in values if v is not None]
                assert values and all(close(v, want) for v in values), (name, row, col, values)


def test_chain_refuses_entries_outside_the_parameter():
    d = Network.from_layers((2, 3, 1), "sigmoid").derive()
    with pytest.raises(UnknownParameterError, match="outside"):
        d.chain("W1", 4, 1)
    with pytest.raises(UnknownParameterError, match="outside"):
        d.chain("W1", 1, 3)
    with pytest.raises(UnknownParameterError, match="W3"):
        d.chain("W3", 1, 1)


def _matrices(d, point) -> dict:
    """Numeric matrices named as ``Derivation.matrix_symbols`` names them."""
    syms = d.symbols
    numbers = point.everything
    out = {"x": syms.x.xreplace(numbers), "y": syms.y.xreplace(numbers)}
    for layer in syms.layers:
        i = layer.index
        out[f"W{i}"] = layer.W.xreplace(numbers)
        if layer.b is not None:
            out[f"b{i}"] = layer.b.xreplace(numbers)
        for stem in ("z", "a", "delta"):
            out[f"{stem}{i}"] = getattr(layer, stem).xreplace(numbers)
    return out


@pytest.mark.parametrize("make", NETWORKS + [models.beginner])
def test_every_evaluable_matrix_step_has_its_claimed_value(make):
    net = make()
    d = net.derive()
    point = random_point(net, seed=5)
    matrices = _matrices(d, point)
    grads = {name: g.xreplace(point.everything) for name, g in d.gradients("delta").items()}
    checked = 0
    for section in d.sections(level="matrix"):
        for step in section.steps:
            lhs = step.lhs
            if isinstance(lhs, Partial):
                want = grads[lhs.args[1].name]
            elif isinstance(lhs, sympy.MatrixSymbol):
                want = matrices[lhs.name]
            else:
                continue
            for part in step.rhs:
                try:
                    got = realize(part, d, matrices)
                except Unevaluable:
                    continue
                got = sympy.Matrix(got)
                assert got.shape == want.shape
                for g, w in zip(got, want, strict=True):
                    assert close(value(g, {}), value(w, {})), (step.lhs, part)
                checked += 1
    # z and a per layer, δ per hidden layer (BP2), and every gradient (BP3, BP4).
    assert checked >= 2 * net.depth + (net.depth - 1) + len(net.parameter_names())


@pytest.mark.parametrize("make", NETWORKS + [models.beginner])
def test_matrix_steps_state_the_shape_of_every_factor(make):
    net = make()
    d = net.derive()
    for section in d.sections(level="matrix"):
        for step in section.steps:
            assert step.result_shape is not None
            lhs_shape = tuple(int(n) for n in step.lhs.args[1].shape) if isinstance(
                step.lhs, Partial
            ) else tuple(int(n) for n in step.lhs.shape)
            assert lhs_shape == step.result_shape, step
            for part in step.rhs:
                assert tuple(int(n) for n in part.shape) == step.result_shape, (step, part)
            if step.shapes:
                # the shapes listed are those of the factors, in the order printed
                assert [_shape(f) for f in _factors(step.rhs[0])] == list(step.shapes), step


def _shape(m) -> tuple[int, int]:
    return tuple(int(n) for n in m.shape)


def _factors(expr) -> list:
    """The matrix factors of an expression as printed, left to right (b of W a + b left out)."""
    if isinstance(expr, sympy.MatAdd):
        return _factors(expr.args[0])  # W a + b: the product's factors
    if isinstance(expr, sympy.MatMul | sympy.HadamardProduct):
        return [f for arg in expr.args for f in _factors(arg)]
    return [expr]


def test_matrix_level_is_the_four_equations():
    d = models.understanding().derive()
    whys = [s.why for section in d.sections(level="matrix") for s in section.steps]
    assert sum("BP2" in w for w in whys) == 2
    assert sum("BP3" in w for w in whys) == 3
    assert sum("BP4" in w for w in whys) == 3
    assert any("BP1" in w and "a - y" in w for w in whys)


def test_wrt_narrows_the_derivation():
    d = Network.from_layers((2, 2, 2, 1), "sigmoid").derive()
    full = d.sections()
    only = d.sections(wrt="W3")
    titles = [s.title for s in only]
    assert not any("layer 1" in t.lower() for t in titles[2:])
    gradient_lhs = [s.lhs for section in only if section.title.startswith("Gradients") for s in section.steps]
    assert {p.args[1] for p in gradient_lhs} == set(d.symbols.parameter("W3"))
    assert len(full) > len(only)
    with pytest.raises(UnknownParameterError):
        d.sections(wrt="W9")
    with pytest.raises(ValueError, match="level"):
        d.sections(level="vector")
