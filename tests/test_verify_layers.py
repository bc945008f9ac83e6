"""verify on the layers beyond the MLP: convolution, pooling, flatten and L2.

Correct formulas in both syntaxes, each classic mistake diagnosed with a
counterexample that is recomputed here from the compiled NumPy gradient, the
verifier's truth against the compiled gradient and finite differences, the
operations on images against the layers' own NumPy forms, the documented
examples, refusals, payloads in the new notation, and a bounded fuzz of the
new grammar.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network, models
from symbackprop.derive import Derivation
from symbackprop.errors import ExpressionError, ShapeError, SymbackpropError, UnsupportedError
from symbackprop.verification import reference, verify
from symbackprop.verification.checking import value_lookup
from symbackprop.verification.context import names_for
from symbackprop.verification.evaluate import evaluate
from symbackprop.verification.grid import Grid
from symbackprop.verification.images import OPERATIONS
from symbackprop.verification.points import sample
from symbackprop.verification.shapes import check

from .test_verify_notation import documented_examples as notation_examples

DOCS = Path(__file__).resolve().parent.parent / "docs"


def docs_spec(name: str) -> dict:
    """A spec from docs/files (the networks the docs show)."""
    return json.loads((DOCS / "files" / name).read_text(encoding="utf-8"))


CONV = models.small_conv()  # C: 1×4×4, a 2×2 kernel with ReLU, flatten, one sigmoid unit
MAXPOOL = Network.from_spec(docs_spec("conv-pool.json"))  # M: two convolutions, a 3×3 max pooling
_avg = docs_spec("conv-pool.json")
_avg["layers"][2] = {"type": "avgpool2d", "size": 3}
AVGPOOL = Network.from_spec(_avg)  # A
L2 = models.l2_mlp()  # Λ: 2-3-2 sigmoid, λ = 0.1
L2_CONV = Network.from_spec({**docs_spec("conv.json"), "l2": 0.05})
_strided = docs_spec("conv.json")
_strided["layers"][0] |= {"stride": 2, "padding": 1}
STRIDED = Network.from_spec(_strided)  # S: C with stride 2 and padding 1: a 3×3 output


# -- right formulas, both syntaxes ------------------------------------------------------------------

RIGHT = [
    (CONV, "W1", "python", "correlate(x, delta1)"),
    (CONV, "W1", "python", "scipy.signal.correlate2d(x, delta1, 'valid')"),
    (CONV, "W1", "python", "dA1 = np.reshape(W3.T @ delta3, (3, 3)); dZ1 = dA1 * relu_prime(z1); dW1 = correlate(x, dZ1)"),
    (CONV, "W1", "latex", r"\delta^{(1)} \star x"),
    (CONV, "W1", "latex",
     r"\frac{\partial L}{\partial W^{(1)}_{uv}} = \sum_{i=1}^{3} \sum_{j=1}^{3} \delta^{(1)}_{ij} x_{i+u-1,j+v-1}"),
    (CONV, "W1", "latex",
     r"dA^{(1)} = \operatorname{vec}^{-1}\left((W^{(3)})^T \delta^{(3)}\right) \\ "
     r"\delta^{(1)} = dA^{(1)} \odot \operatorname{ReLU}'(z^{(1)}) \\ \frac{\partial L}{\partial W^{(1)}} = \delta^{(1)} \star x"),
    # A stride spreads δ out (dilate), a padding pads x: the same correlation, stride 1 again.
    (STRIDED, "W1", "python", "correlate(pad(x, 1), dilate(delta1, 2))"),
    (STRIDED, "W1", "latex", r"\operatorname{dilate}_{2}(\delta^{(1)}) \star \operatorname{pad}_{1}(x)"),
    (STRIDED, "W1", "latex",
     r"\frac{\partial L}{\partial W^{(1)}_{uv}} = \sum_{i=1}^{3} \sum_{j=1}^{3} \delta^{(1)}_{ij} x_{2i+u-3,2j+v-3}"),
    (CONV, "b1", "python", "np.sum(delta1)"),
    (CONV, "b1", "latex", r"\sum_i \sum_j \delta^{(1)}_{ij}"),
    (CONV, "W3", "python", "delta3 @ a1.reshape(1, -1)"),
    (CONV, "W3", "latex", r"\delta^{(3)} \operatorname{vec}(a^{(1)})^T"),
    (CONV, "W1[2,1]", "python",
     " + ".join(f"delta1_1_{i}_{j} * x_1_{i + 1}_{j}" for i in range(1, 4) for j in range(1, 4))),
    (MAXPOOL, "W1", "python", "correlate(x, convolve_full(delta2, W2) * tanh_prime(z1))"),
    (MAXPOOL, "W1", "python", "correlate(x, signal.convolve2d(delta2, W2) * (1 - a1**2))"),
    (MAXPOOL, "W1", "latex",
     r"\left((\operatorname{rot180}(W^{(2)}) \star_{\mathrm{full}} \delta^{(2)}) \odot \tanh'(z^{(1)})\right) \star x"),
    (MAXPOOL, "W1", "latex",
     r"\left((W^{(2)} \ast_{full} \delta^{(2)}) \odot (1 - (a^{(1)})^2)\right) \star x"),
    (MAXPOOL, "b2", "python", "sum(route_argmax(reshape(W5.T @ delta5, 1, 1), a2, 3) * relu_prime(z2))"),
    (MAXPOOL, "W2", "latex",
     r"\left(\operatorname{route}_{\arg\max}(\operatorname{vec}^{-1}((W^{(5)})^T \delta^{(5)}), a^{(2)}) "
     r"\odot \operatorname{ReLU}'(z^{(2)})\right) \star a^{(1)}"),
    (AVGPOOL, "W2", "python", "correlate(a1, upsample(reshape(W5.T @ delta5, 1, 1), 3) / 9 * relu_prime(z2))"),
    (AVGPOOL, "W2", "latex",
     r"\left(\operatorname{upsample}_{3}(\delta^{(3)}) / 9 \odot \operatorname{ReLU}'(z^{(2)})\right) \star a^{(1)}"),
    (L2, "W1", "python", "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T + lam * W1"),
    (L2, "W2", "python", "delta2 @ a1.T + reg * W2"),
    (L2, "b1", "python", "(W2.T @ delta2) * sigmoid_prime(z1)"),
    (L2, "W2", "latex", r"\delta^{(2)} (a^{(1)})^T + \lambda W^{(2)}"),
    (L2, "W2[1,2]", "latex", r"\delta^{(2)}_1 a^{(1)}_2 + \lambda w^{(2)}_{12}"),
    (L2_CONV, "W1", "python", "correlate(x, delta1) + lmbda * W1"),
]


@pytest.mark.parametrize(("net", "wrt", "syntax", "formula"), RIGHT, ids=range(len(RIGHT)))
def test_right_formulas_are_right(net, wrt, syntax, formula):
    assert_right(net, wrt, syntax, formula)


def assert_right(net, wrt, syntax, formula):
    """The formula is judged right, with full credit."""
    verdict = verify(net, wrt, formula, syntax=syntax, points=4)
    assert verdict.correct, verdict.report()
    assert verdict.score == 1


# -- each classic mistake: its name, and a counterexample recomputed from the compiled gradient ------

WRONG = [
    ("conv-gradient-flipped", CONV, "W1", "python", "convolve(x, delta1)"),
    ("conv-gradient-flipped", CONV, "W1", "latex", r"\delta^{(1)} \ast x"),
    ("conv-gradient-flipped", STRIDED, "W1", "python", "convolve(pad(x, 1), dilate(delta1, 2))"),
    ("conv-kernel-not-flipped", MAXPOOL, "W1", "python", "correlate(x, correlate_full(delta2, W2) * tanh_prime(z1))"),
    ("conv-kernel-not-flipped", MAXPOOL, "W1", "latex",
     r"\left((W^{(2)} \star_{\mathrm{full}} \delta^{(2)}) \odot \tanh'(z^{(1)})\right) \star x"),
    ("maxpool-spread", MAXPOOL, "b2", "python", "sum(upsample(reshape(W5.T @ delta5, 1, 1), 3) * relu_prime(z2))"),
    ("maxpool-spread", MAXPOOL, "W2", "latex",
     r"\left(\operatorname{upsample}_{3}(\delta^{(3)}) \odot \operatorname{ReLU}'(z^{(2)})\right) \star a^{(1)}"),
    ("maxpool-averaged", MAXPOOL, "b2", "python", "sum(upsample(reshape(W5.T @ delta5, 1, 1), 3) / 9 * relu_prime(z2))"),
    ("avgpool-missing-1/k²", AVGPOOL, "W2", "python",
     "correlate(a1, upsample(reshape(W5.T @ delta5, 1, 1), 3) * relu_prime(z2))"),
    ("avgpool-missing-1/k²", AVGPOOL, "b2", "latex", r"\operatorname{sum}(\operatorname{spread}_{3}(\delta^{(3)}) \odot \operatorname{ReLU}'(z^{(2)}))"),
    ("missing-derivative", CONV, "W1", "python", "correlate(x, (W3.T @ delta3).reshape(3, 3))"),
    ("missing-derivative", CONV, "W1", "latex", r"\operatorname{vec}^{-1}((W^{(3)})^T \delta^{(3)}) \star x"),
    ("l2-missing", L2, "W1", "python", "delta1 @ x.T"),
    ("l2-missing", L2_CONV, "W1", "latex", r"\delta^{(1)} \star x"),
    ("l2-on-bias", L2, "b2", "python", "delta2 + lam * b2"),
    ("l2-on-bias", L2, "b1", "latex", r"\delta^{(1)} + \lambda b^{(1)}"),
    ("l2-factor-2", L2, "W2", "python", "delta2 @ a1.T + 2 * lam * W2"),
    ("l2-factor-2", L2, "W2", "latex", r"\delta^{(2)} (a^{(1)})^T + 2\lambda W^{(2)}"),
]


def _compiled_gradient(net, point, name):
    """∂L/∂(name) at the counterexample's inputs, from the compiled NumPy gradient (float64)."""
    inputs = point.inputs(net.parameter_names())
    params = {k: np.array(v, dtype=float).reshape(net.parameter_shapes()[k]) for k, v in inputs.items() if k not in ("x", "y")}
    X = np.array(inputs["x"], dtype=float)[None]
    Y = np.array(inputs["y"], dtype=float)[None]
    return net.compile()(params, X, Y)[1][name]


def assert_diagnosed(mistake, net, wrt, syntax, formula, compiled_gradient):
    """The formula is wrong, diagnosed as ``mistake``, with a counterexample whose true value is
    ``compiled_gradient(net, point, wrt)`` at its inputs, entry by entry; returns the verdict."""
    verdict = verify(net, wrt, formula, syntax=syntax, points=4)
    assert not verdict.correct
    assert verdict.diagnosis is not None and verdict.diagnosis.name == mistake, verdict.report()
    c = verdict.counterexample
    assert c is not None and c.relative_difference > 1e-6
    point = sample(Derivation(net), wrt, count=c.point, seed=0)[c.point - 1]
    compiled = compiled_gradient(net, point, wrt).reshape(np.array(c.true_matrix).shape)
    assert np.allclose(np.array(c.true_matrix, dtype=float), compiled, rtol=1e-10, atol=1e-12)
    assert not np.allclose(np.array(c.formula_matrix, dtype=float), compiled, rtol=1e-6)
    return verdict


@pytest.mark.parametrize(("mistake", "net", "wrt", "syntax", "formula"), WRONG, ids=[f"{w[0]}-{w[3]}" for w in WRONG])
def test_each_mistake_is_diagnosed_with_a_counterexample(mistake, net, wrt, syntax, formula):
    assert_diagnosed(mistake, net, wrt, syntax, formula, _compiled_gradient)


def test_a_wrong_line_of_a_derivation_is_diagnosed_at_that_line():
    verdict = verify(
        MAXPOOL, "W1",
        "dZ2 = route_argmax(reshape(W5.T @ delta5, 1, 1), a2) * relu_prime(z2); "
        "dA1 = correlate_full(dZ2, W2); dW1 = correlate(x, dA1 * tanh_prime(z1))",
        points=4,
    )
    assert verdict.first_wrong_line == 2
    assert verdict.diagnosis.name == "conv-kernel-not-flipped"
    assert verdict.counterexample.entry.startswith("dA1[")


# -- the verifier's truth: the plan, against the compiled gradient and finite differences ---------


@pytest.mark.parametrize("net", [CONV, MAXPOOL, AVGPOOL, L2_CONV], ids=["conv", "maxpool", "avgpool", "l2-conv"])
def test_the_truth_is_the_compiled_gradient_and_finite_differences(net):
    points = sample(Derivation(net), "W1", count=3, seed=2)
    f = net.compile()
    for point in points:
        inputs = point.inputs(net.parameter_names())
        shapes = net.parameter_shapes()
        params = {k: np.array(v, dtype=float).reshape(shapes[k]) for k, v in inputs.items() if k not in ("x", "y")}
        X, Y = np.array(inputs["x"], dtype=float)[None], np.array(inputs["y"], dtype=float)[None]
        loss, grads = f(params, X, Y)
        assert abs(float(point.loss) - loss) < 1e-12
        for name in net.parameter_names():
            truth = np.array([float(v) for v in point.values[f"d{name}"].flat]).reshape(shapes[name])
            assert np.allclose(truth, grads[name], rtol=1e-10, atol=1e-13), name
            h = 1e-6
            numeric = np.zeros(shapes[name])
            for index in np.ndindex(shapes[name]):
                for sign in (1, -1):
                    shifted = {k: v.copy() for k, v in params.items()}
                    shifted[name][index] += sign * h
                    numeric[index] += sign * f(shifted, X, Y)[0] / (2 * h)
            assert np.allclose(truth, numeric, atol=1e-6), name


def assert_reference_formulas_equal_the_plan(net):
    """The diagnoses compare against formula trees built from the plan's operations (each
    operation's ``formula``, with those of verification/images.py): unmutated, they must give
    the plan's values, for every parameter a formula can name (a kernel larger than 1×1 on a
    batch of images cannot be)."""
    table = names_for(net)
    extra = reference.functions(net)
    for name in net.parameter_names():
        if name in table.hidden:
            with pytest.raises(UnsupportedError):
                verify(net, name, "0", points=1)
            continue
        tree, _ = check(
            reference.gradient_tree(net, name), dict(table.shapes), images=table.images,
            sequences=table.sequences, batch=table.samples > 1,
        )
        for point in sample(Derivation(net), name, count=3, seed=1):
            value = evaluate(tree, value_lookup(point, table), extra)
            got = value.flat if isinstance(value, Grid) else (value,)
            assert all(abs(u - v) < 1e-30 for u, v in zip(got, point.gradient.flat, strict=True)), name


@pytest.mark.parametrize("net", [CONV, MAXPOOL, AVGPOOL, L2, L2_CONV], ids=["conv", "maxpool", "avgpool", "l2", "l2-conv"])
def test_the_reference_formulas_equal_the_plan(net):
    assert_reference_formulas_equal_the_plan(net)


# -- the operations on images, against the layers' own NumPy forms ---------------------------------


def _grid(array):
    return Grid.of(array.tolist())


def test_operations_on_images_match_numpy_and_the_layers():
    from symbackprop.layers.conv2d import _convolve_full, _correlate, _patches
    from symbackprop.layers.pool import _avgpool, _maxpool, _maxpool_route

    rng = np.random.default_rng(0)
    A, K, D = rng.normal(size=(5, 5)), rng.normal(size=(2, 2)), rng.normal(size=(4, 4))

    def value(name, *args):
        return np.array([float(v) for v in OPERATIONS[name].value(*args).flat]).reshape(
            OPERATIONS[name].shape(*[a.shape if isinstance(a, Grid) else a for a in args])
        )

    correlated = _correlate(_patches(A[None, None], 2, 1, 0), K[None, None], (4, 4))[0, 0]
    assert np.allclose(value("correlate", _grid(A), _grid(K)), correlated)
    assert np.allclose(value("convolve_full", _grid(D), _grid(K)), _convolve_full(D[None, None], K[None, None], (5, 5), 1, 0)[0, 0])
    assert np.allclose(value("correlate_full", _grid(D), _grid(np.flip(K))), value("convolve_full", _grid(D), _grid(K)))
    assert np.allclose(value("convolve", _grid(A), _grid(K)), value("correlate", _grid(A), _grid(np.rot90(K, 2))))
    assert np.allclose(value("convolve", _grid(K), _grid(A)), value("convolve", _grid(A), _grid(K)))  # it commutes
    B = rng.normal(size=(4, 4))
    pooled = _maxpool(B[None, None], 2, 2)
    assert np.allclose(value("maxpool", _grid(B), 2), pooled[0, 0])
    assert np.allclose(value("avgpool", _grid(B), 2), _avgpool(B[None, None], 2, 2)[0, 0])
    E = rng.normal(size=(2, 2))
    assert np.allclose(value("route_argmax", _grid(E), _grid(B)), _maxpool_route(E[None, None], B[None, None], pooled, 2, 2)[0, 0])
    assert np.allclose(value("upsample", _grid(E), 2), np.kron(E, np.ones((2, 2))))
    assert np.allclose(value("reshape", _grid(B), 2, -1), B.reshape(2, -1))
    assert np.allclose(value("vec", _grid(B)), B.reshape(-1, 1))


# -- documented examples --------------------------------------------------------------------------

DOC_NETS = {"C": CONV, "M": MAXPOOL, "A": AVGPOOL, "Λ": L2}


def documented_examples() -> list[tuple[str, str, str, str]]:
    return notation_examples("layer notation table")


def test_the_layer_tables_are_there():
    assert len(documented_examples()) >= 18


@pytest.mark.parametrize(("syntax", "example", "net", "wrt"), documented_examples())
def test_every_documented_layer_example_is_right(syntax, example, net, wrt):
    verdict = verify(DOC_NETS[net], wrt, example, syntax=syntax, points=4)
    assert verdict.correct, verdict.report()


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "wrt", "syntax", "formula", "error", "message"),
    [
        (CONV, "W1", "python", "correlate(delta1, x)", ShapeError,
         r"correlate\(delta1, x\): what slides \(4×4\) is larger than what it slides over \(3×3\); correlate\(A, K\) slides"),
        (CONV, "W1", "latex", r"x \star \delta^{(1)}", ShapeError, r"the kernel comes first, as in \\delta\^\{\(1\)\} \\star x"),
        (CONV, "W1", "python", "correlate(x, delta1.reshape(2, 2))", ShapeError, r"cannot reshape a 3×3 \(9 entries\) into 2×2"),
        (CONV, "W1", "python", "maxpool(x, 5)", ShapeError, r"a 5×5 window is larger than the 4×4 it pools"),
        (CONV, "W1", "python", "maxpool(x, z1)", ShapeError, r"maxpool\(A, k\) takes whole numbers after the matrix"),
        (CONV, "W1", "python", "route_argmax(delta1, x)", ShapeError, r"cannot tell the window size"),
        (CONV, "W1", "latex", r"\operatorname{vec}^{-1}(x) \star x", ShapeError, r"vec⁻¹ puts a column back into an image"),
        (CONV, "W1", "python", "correlate(x, delta1.flatten())", ExpressionError, r"\.flatten\(\) gives a 1-D array"),
        (CONV, "W1", "python", "signal.correlate2d(x, delta1, mode='same')", ExpressionError, "mode='valid' or mode='full'"),
        (CONV, "W1", "python", "np.rot90(delta1)", ExpressionError, r"np.rot90\(\) is understood by 180° only"),
        (CONV, "W1", "python", "sum(upsample(x, 1000))", ShapeError, r"asks for more than 200,000 products"),
        (CONV, "W1", "latex", r"\delta^{(1)} \star_{same} x", ExpressionError, r"takes the subscript full or none"),
        (CONV, "W1", "python", "correlate(x, delta1) + lam * W1", ExpressionError, r"lam is the L2 strength λ, but this network has no L2 term"),
        (CONV, "W1", "latex", r"\lambda W^{(1)}", ExpressionError, r"\\lambda is the L2 strength, but this network has no L2 term"),
        (L2, "W1", "python", "lam = delta1 @ x.T; lam", ExpressionError, r"lam is given .* and cannot be assigned"),
    ],
)
def test_refusals_say_what_and_why(net, wrt, syntax, formula, error, message):
    with pytest.raises(error, match=message):
        verify(net, wrt, formula, syntax=syntax, points=2)


def test_arrays_of_more_axes_are_named_and_refused():
    net = Network.from_spec({"input": [2, 4, 4], "layers": [
        {"type": "conv2d", "channels": 1, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]})
    with pytest.raises(UnsupportedError, match=r"^verify cannot judge ∂L/∂W1: W1 has shape 1×2×2×2"):
        verify(net, "W1", "delta1")
    with pytest.raises(ExpressionError, match=r"x has shape 2×4×4: a formula sees an image of one channel as a matrix"):
        verify(net, "W3", "delta3 @ vec(x).T")
    assert verify(net, "W3", "delta3 @ vec(a1).T", points=2).correct


# -- payloads and a bounded fuzz of the new grammar --------------------------------------------------

PAYLOADS = [
    ("python", "signal.correlate2d(x, delta1, mode=__import__('os').system('touch {p}'))"),
    ("python", "scipy.signal.__dict__['os'].system('touch {p}')"),
    ("python", "scipy.io.savemat('{p}', {{}})"),
    ("python", "x.reshape(*open('{p}', 'w'))"),
    ("python", "x.reshape(3, 3).__class__"),
    ("python", "np.kron(x, np.ones((2, 2))).tofile('{p}')"),
    ("python", "np.kron(x, open('{p}', 'w'))"),
    ("python", "np.reshape(x, (open('{p}', 'w'), 1))"),
    ("python", "correlate(x, delta1, '{p}')"),
    ("latex", r"\operatorname{upsample}_{\input{{p}}}(x)"),
    ("latex", r"\delta^{{(1)}} \star_{{\write18{{touch {p}}}}} x"),
    ("latex", r"\operatorname{vec}^{{\input{{{p}}}}}(x)"),
    ("latex", r"\operatorname{route}_{{\input{{{p}}}}}(x, x)"),
    ("latex", r"x_{{i+\input{{{p}}}}}"),
]


def test_payloads_in_the_new_notation_are_refused_and_run_nothing(tmp_path):
    target = tmp_path / "pwned"
    for syntax, template in PAYLOADS:
        formula = template.replace("{p}", str(target)).replace("{{", "{").replace("}}", "}")
        with pytest.raises(SymbackpropError):
            verify(CONV, "W1", formula, syntax=syntax, points=2)
        assert not target.exists(), formula


PY_PIECES = st.sampled_from([
    "correlate(", "convolve_full(", "correlate_full(", "flip(", "maxpool(", "upsample(", "route_argmax(",
    "reshape(", "vec(", "np.rot90(", "np.kron(", "np.ones((2, 2))", "signal.correlate2d(", "mode='valid'",
    ".reshape(", "x", "delta1", "W1", "a1", "z1", "W3.T @ delta3", ", ", "2", "3", "-1", "(", ")", "*", "+",
    "@", ".T", "relu_prime(z1)", "(z1 > 0)", "lam", "__class__", "'os'", "=", ";", "dZ1",
])
LATEX_PIECES = st.sampled_from([
    r"\star", r"\ast", r"_{\mathrm{full}}", r"\operatorname{rot180}(", r"\operatorname{vec}^{-1}(",
    r"\operatorname{maxpool}_{2}(", r"\operatorname{route}_{\arg\max}(", r"\operatorname{upsample}_{3}(",
    r"\delta^{(1)}", "x", r"W^{(1)}", r"W^{(3)}", r"a^{(1)}", "_{ij}", "_{uv}", "_{i+u-1,j+v-1}", r"\sum_i",
    r"\sum_{j=1}^{3}", "(", ")", "{", "}", ",", r"\odot", "+", "-", "^T", r"\lambda", r"\input", "=", r"\\",
    r"\frac{\partial L}{\partial W^{(1)}_{uv}}",
])
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _judged_or_refused(formula: str, syntax: str) -> None:
    start = time.perf_counter()
    try:
        verdict = verify(CONV, "W1", formula, syntax=syntax, points=2, symbolic=False)
        assert 0 <= verdict.score <= 1
    except (ExpressionError, ShapeError):
        pass
    assert time.perf_counter() - start < 20


@FUZZ
@given(st.lists(PY_PIECES, min_size=1, max_size=12))
def test_fuzz_python_image_grammar(pieces):
    _judged_or_refused("".join(pieces), "python")


@FUZZ
@given(st.lists(LATEX_PIECES, min_size=1, max_size=10))
def test_fuzz_latex_image_grammar(pieces):
    _judged_or_refused(" ".join(pieces), "latex")
