"""The notations people write, each judged right when it is right and wrong when it is wrong.

Every alias of docs/verify.md appears here with a correct formula and a wrong
one, in both syntaxes where both apply.  The wrong formulas are the mistakes
people make with that notation (a missing σ', a transposed index, a sum over
the wrong index); they must be caught, not merely refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy

from symbackprop import Network, models
from symbackprop.errors import ExpressionError, ShapeError
from symbackprop.verification import parse, verify
from symbackprop.verification.reference import BCE_TERMS

NET = models.two_two_two()  # 2-2-2, sigmoid, half_sse, biases
WIDE = Network.from_spec({"layers": [2, 3, 2], "activation": "sigmoid"})
TANH = Network.from_spec({"layers": [2, 3, 2], "activation": "tanh", "output_activation": "sigmoid"})
LEAKY = Network.from_spec(
    {"layers": [2, 3, 2], "activation": "leaky_relu(0.2)", "output_activation": "sigmoid"}
)
RELU = Network.from_spec({"layers": [2, 3, 2], "activation": "relu", "output_activation": "sigmoid"})
MSE = Network.from_spec({"layers": [2, 3, 3], "activation": "sigmoid", "loss": "mse"})
TANH_BCE = Network.from_spec(
    {"layers": [2, 3, 1], "activation": "tanh", "output_activation": "sigmoid", "loss": "binary_cross_entropy"}
)

# (network, wrt, syntax, correct formula, wrong formula) for every notation.
NOTATIONS = {
    # -- item 1: leaky ReLU written directly
    "leaky_relu_prime": (
        LEAKY, "W1", "python",
        "((W2.T @ delta2) * leaky_relu_prime(z1)) @ x.T",
        "((W2.T @ delta2) * relu_prime(z1)) @ x.T",
    ),
    "leaky_relu_prime with slope": (
        LEAKY, "b1", "python",
        "(W2.T @ delta2) * leaky_relu_prime(z1, 0.2)",
        "(W2.T @ delta2) * leaky_relu_prime(z1, 0.3)",
    ),
    "LReLU'": (
        LEAKY, "W1", "latex",
        r"\left(W^{(2)T}\delta^{(2)} \odot \operatorname{LReLU}'(z^{(1)})\right) x^T",
        r"\left(W^{(2)T}\delta^{(2)} \odot \operatorname{ReLU}'(z^{(1)})\right) x^T",
    ),
    # -- item 2: textbook notations
    "Nielsen layers without parentheses": (
        NET, "W1", "latex",
        r"\left((W^2)^T \delta^2 \odot \sigma'(z^1)\right) (a^0)^T",
        r"\left((W^2)^T \delta^2\right) (a^0)^T",
    ),
    "Nielsen braces a^{1}": (
        NET, "W2", "latex", r"\delta^{2} (a^{1})^T", r"\delta^{2} (a^{2})^T",
    ),
    "symbolic layer l": (
        WIDE, "W1", "latex",
        r"\left((W^{l+1})^T \delta^{l+1} \odot \sigma'(z^l)\right) (a^{l-1})^T",
        r"\left((W^{l+1})^T \delta^{l+1} \odot \sigma(z^l)\right) (a^{l-1})^T",
    ),
    "last layer L": (
        WIDE, "b2", "latex", r"(a^L - y) \odot \sigma'(z^L)", r"(a^L - y) \odot \sigma'(a^L)",
    ),
    "nabla_a C": (
        WIDE, "b2", "latex", r"\nabla_a C \odot \sigma'(z^L)", r"\nabla_a C",
    ),
    "nabla_{a} L": (
        WIDE, "W2", "latex",
        r"\left(\nabla_{a} L \odot \sigma'(z^{(2)})\right) (a^{(1)})^T",
        r"\left(\nabla_{a} L \odot \sigma(z^{(2)})\right) (a^{(1)})^T",
    ),
    "Ng brackets": (
        WIDE, "W2", "latex", r"\delta^{[2]} a^{[1]T}", r"\sigma(z^{[2]}) a^{[1]T}",
    ),
    "Ng W^{[2]T}": (
        WIDE, "W1", "latex",
        r"\left(W^{[2]T}\delta^{[2]} \odot a^{[1]} \odot (1 - a^{[1]})\right) x^T",
        r"\left(W^{[2]T}\delta^{[2]} \odot a^{[1]} \odot (1 + a^{[1]})\right) x^T",
    ),
    "dL/dz as a factor": (
        WIDE, "W1", "latex",
        r"\left((W^{(2)})^T \frac{\partial L}{\partial z^{(2)}} \odot \sigma'(z^{(1)})\right) x^T",
        r"\left((W^{(2)})^T \frac{\partial L}{\partial z^{(2)}}\right) x^T",
    ),
    "dC/da as a factor": (
        WIDE, "b1", "latex",
        r"\frac{\partial C}{\partial a^{(1)}} \odot \sigma'(z^{(1)})",
        r"\frac{\partial C}{\partial a^{(1)}} \odot \sigma(z^{(1)})",
    ),
    "diag": (
        WIDE, "b1", "latex",
        r"\mathrm{diag}(\sigma'(z^{(1)})) (W^{(2)})^T \delta^{(2)}",
        r"\mathrm{diag}(\sigma(z^{(1)})) (W^{(2)})^T \delta^{(2)}",
    ),
    "diag in Python": (
        WIDE, "b1", "python", "np.diag(sigmoid_prime(z1)) @ W2.T @ delta2", "np.diag(sigmoid(z1)) @ W2.T @ delta2",
    ),
    "sech^2": (
        TANH, "b1", "latex",
        r"(W^{(2)})^T \delta^{(2)} \odot \operatorname{sech}^2(z^{(1)})",
        r"(W^{(2)})^T \delta^{(2)} \odot \operatorname{sech}(z^{(1)})",
    ),
    "sech in Python": (
        TANH, "b1", "python", "(W2.T @ delta2) * sech(z1)**2", "(W2.T @ delta2) * sech(z1)",
    ),
    "indicator mathbb{1}": (
        RELU, "b1", "latex",
        r"(W^{(2)})^T \delta^{(2)} \odot \mathbb{1}[z^{(1)} > 0]",
        r"(W^{(2)})^T \delta^{(2)} \odot \mathbb{1}[z^{(1)} < 0]",
    ),
    "Iverson bracket": (
        RELU, "b1", "latex",
        r"(W^{(2)})^T \delta^{(2)} \odot [z^{(1)} > 0]",
        r"(W^{(2)})^T \delta^{(2)} \odot [a^{(1)} \geq 0]",
    ),
    "comparison mask in Python": (
        RELU, "b1", "python", "(W2.T @ delta2) * (z1 > 0)", "(W2.T @ delta2) * (z1 >= -100)",
    ),
    # -- item 3: index notation
    "index notation with a left-hand side": (
        NET, "W2", "latex",
        r"\frac{\partial C}{\partial w^2_{jk}} = a^{1}_k \delta^2_j",
        r"\frac{\partial C}{\partial w^2_{jk}} = a^{1}_j \delta^2_k",
    ),
    "index notation without one": (
        WIDE, "W1", "latex", r"\delta^{(1)}_j x_k", r"\delta^{(1)}_j \sigma'(z^{(1)}_j) x_k",
    ),
    "sum over i": (
        WIDE, "W1", "latex",
        r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \sigma'(z^l_j) \sum_i w^{l+1}_{ij} \delta^{l+1}_i",
        r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \sigma'(z^l_j) \sum_i w^{l+1}_{ij} \delta^{l}_j",
    ),
    "sum with limits": (
        NET, "b1", "latex",
        r"\frac{\partial C}{\partial b^1_j} = \sum_{k=1}^{n} w^{2}_{kj} \delta^{2}_k \, \sigma'(z^1_j)",
        r"\frac{\partial C}{\partial b^1_j} = \sum_{k=1}^{2} w^{2}_{jk} \delta^{2}_k \, \sigma'(z^1_j)",
    ),
    "delta in index form": (
        WIDE, "b2", "latex",
        r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)",
        r"\delta^L_j = \frac{\partial C}{\partial a^L_j}",
    ),
    # -- item 4: NumPy-style Python
    "np.outer": (NET, "W2", "python", "np.outer(delta2, a1)", "np.outer(a1, delta2)"),
    "np.dot and np.transpose": (
        WIDE, "W1", "python",
        "np.dot(np.dot(W2.T, delta2) * a1 * (1 - a1), np.transpose(x))",
        "np.dot(np.dot(W2.T, delta2), np.transpose(x))",
    ),
    "np.matmul and np.multiply": (
        WIDE, "W1", "python",
        "np.matmul(np.multiply(W2.T @ delta2, sigmoid_prime(z1)), x.T)",
        "np.matmul(np.multiply(W2.T @ delta2, sigmoid(z1)), x.T)",
    ),
    "np.sum with keepdims": (
        NET, "b2", "python", "np.sum(delta2, axis=1, keepdims=True)", "np.sum(delta2 @ a1.T, axis=1, keepdims=True)",
    ),
    "np.sum over a batch-like axis 0": (
        NET, "b2", "python", "np.sum(np.diag(delta2), axis=0, keepdims=True).T",
        "np.sum(np.diag(delta2), axis=1, keepdims=True).T.T * 2",
    ),
    "np.exp": (
        NET, "b2", "python", "(a2 - y) * np.exp(-z2) / (1 + np.exp(-z2))**2", "(a2 - y) * np.exp(-z2)",
    ),
    "np.tanh": (TANH, "b1", "python", "(W2.T @ delta2) * (1 - np.tanh(z1)**2)", "(W2.T @ delta2) * (1 - np.tanh(z1))"),
    "np.log": (
        NET, "b2", "python", "(a2 - y) * np.exp(np.log(a2) + np.log(1 - a2))", "(a2 - y) * np.log(a2)",
    ),
    "np.where": (
        LEAKY, "b1", "python", "(W2.T @ delta2) * np.where(z1 > 0, 1, 0.2)", "(W2.T @ delta2) * np.where(z1 > 0, 1, 0)",
    ),
    "np.maximum": (
        RELU, "b2", "python",
        "(a2 - y) * a2 * (1 - a2) + 0 * np.maximum(0, z2)",
        "(a2 - y) * np.maximum(0, z2)",
    ),
    "Ng capitals": (WIDE, "W2", "python", "(A2 - Y) * A2 * (1 - A2) @ A1.T", "(A2 - Y) @ A1.T"),
    # -- item 5: whole derivations
    "Ng derivation": (
        WIDE, "W2", "python",
        "dZ2 = (A2 - Y) * A2 * (1 - A2); dW2 = dZ2 @ A1.T",
        "dZ2 = A2 - Y; dW2 = dZ2 @ A1.T",
    ),
    "Nielsen derivation in Python": (
        WIDE, "W1", "python",
        "delta2 = (a2 - y) * sigmoid_prime(z2)\ndelta1 = (W2.T @ delta2) * sigmoid_prime(z1)\ndW1 = delta1 @ x.T",
        "delta2 = (a2 - y) * sigmoid_prime(z2)\ndelta1 = (W2.T @ delta2) * sigmoid(z1)\ndW1 = delta1 @ x.T",
    ),
    "derivation with dA and db": (
        WIDE, "b1", "python",
        "dZ2 = (A2 - Y) * A2 * (1 - A2); dA1 = W2.T @ dZ2; dZ1 = dA1 * A1 * (1 - A1); "
        "db1 = np.sum(dZ1, axis=1, keepdims=True)",
        "dZ2 = (A2 - Y) * A2 * (1 - A2); dA1 = W2.T @ dZ2; dZ1 = dA1 * A1; "
        "db1 = np.sum(dZ1, axis=1, keepdims=True)",
    ),
    "derivation with own shorthand": (
        WIDE, "W2", "python",
        "s = a2 * (1 - a2)\ne = a2 - y\ndW2 = (e * s) @ a1.T",
        "s = a2 * (1 - a2)\ne = y - a2\ndW2 = (e * s) @ a1.T",
    ),
    "derivation in LaTeX": (
        WIDE, "W1", "latex",
        r"\delta^{(2)} = (a^{(2)} - y) \odot \sigma'(z^{(2)}) \\ "
        r"\delta^{(1)} = (W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)}) \\ "
        r"\frac{\partial L}{\partial W^{(1)}} = \delta^{(1)} x^T",
        r"\delta^{(2)} = (a^{(2)} - y) \\ "
        r"\delta^{(1)} = (W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)}) \\ "
        r"\frac{\partial L}{\partial W^{(1)}} = \delta^{(1)} x^T",
    ),
    "derivation in LaTeX, Ng's names, aligned": (
        WIDE, "W2", "latex",
        r"\begin{aligned} dZ^{[2]} &= (a^{[2]} - y) \odot a^{[2]} \odot (1 - a^{[2]}) \\ "
        r"dW^{[2]} &= dZ^{[2]} a^{[1]T} \end{aligned}",
        r"\begin{aligned} dZ^{[2]} &= a^{[2]} - y \\ dW^{[2]} &= dZ^{[2]} a^{[1]T} \end{aligned}",
    ),
    # -- what students and readers of the textbooks write (found in QA)
    "the loss named E (Bishop), rows named by the left-hand side": (
        NET, "W2", "latex",
        r"\frac{\partial E}{\partial w^{(2)}_{ji}} = \delta^{(2)}_j a^{(1)}_i",
        r"\frac{\partial E}{\partial w^{(2)}_{ji}} = \delta^{(2)}_i a^{(1)}_j",
    ),
    "the loss named J, \\ell or \\mathcal{L}": (
        WIDE, "W2", "latex",
        r"\frac{\partial J}{\partial W^{(2)}} = \delta^{(2)} a^{(1)T} \\ "
        r"\frac{\partial \mathcal{L}}{\partial W^{(2)}} = \frac{\partial J}{\partial W^{(2)}}",
        r"\frac{\partial \ell}{\partial W^{(2)}} = \sigma(z^{(2)}) a^{(1)T}",
    ),
    "index letters in any order without a left-hand side (rows: the later layer)": (
        NET, "W1", "latex",
        r"x_i \sigma'(z^{(1)}_j) \sum_k w^{(2)}_{kj} \delta^{(2)}_k",
        r"x_i \sigma'(z^{(1)}_j) \sum_k w^{(2)}_{jk} \delta^{(2)}_k",
    ),
    "Ng's capitals in LaTeX": (
        WIDE, "W2", "latex", r"dW^{[2]} = dZ^{[2]} A^{[1]T}", r"dW^{[2]} = A^{[2]} A^{[1]T}",
    ),
    "Ng's g^{[l]\\prime}": (
        TANH, "b1", "latex",
        r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})",
        r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[2]\prime}(Z^{[1]})",
    ),
    "Ng's g'(z^{[l]}) on a leaky ReLU layer": (
        LEAKY, "b1", "latex",
        r"W^{[2]T} dZ^{[2]} * g'(z^{[1]})",
        r"W^{[2]T} dZ^{[2]} * g(z^{[1]})",
    ),
    "Ng's 1/m (one sample: m = 1) in Python": (
        NET, "W2", "python", "dW2 = 1/m * np.dot(dZ2, A1.T)", "dW2 = 1/m * np.dot(A1, dZ2.T)",
    ),
    "Ng's 1/m in LaTeX": (
        NET, "W1", "latex", r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T", r"dW^{[1]} = \frac{1}{m} X dZ^{[1]T}",
    ),
    "n_L, the size of the last layer": (
        MSE, "b2", "latex",
        r"\frac{2}{n_L} (a^L - y) \odot \sigma'(z^L)",
        r"\frac{1}{n^{[L]}} (a^L - y) \odot \sigma'(z^L)",
    ),
    "⊙ before a matrix product": (
        WIDE, "b1", "latex",
        r"\sigma'(z^{(1)}) \odot (W^{(2)})^T \delta^{(2)}",
        r"\sigma(z^{(1)}) \odot (W^{(2)})^T \delta^{(2)}",
    ),
    "otimes, the outer product": (
        NET, "W2", "latex", r"\delta^{(2)} \otimes a^{(1)}", r"a^{(1)} \otimes \delta^{(2)}",
    ),
    "Nielsen's Sigma'": (
        NET, "b1", "latex",
        r"\delta^l = \Sigma'(z^l) (w^{l+1})^T \delta^{l+1}",
        r"\delta^l = \Sigma'(z^l) w^{l+1} \delta^{l+1}",
    ),
    "indicator in set braces": (
        RELU, "b1", "latex",
        r"(W^{(2)})^T \delta^{(2)} \odot \mathbb{1}\{z^{(1)} > 0\}",
        r"(W^{(2)})^T \delta^{(2)} \odot \mathbb{1}\{z^{(1)} < 0\}",
    ),
    "symbackprop's own printed names pasted back": (
        WIDE, "W1", "latex", "((W⁽²⁾)ᵀ δ⁽²⁾ ⊙ σ′(z⁽¹⁾)) xᵀ", "((W⁽²⁾)ᵀ δ⁽²⁾ ⊙ σ(z⁽¹⁾)) xᵀ",
    ),
    "pasted subscripts": (WIDE, "W2[2,3]", "latex", "δ⁽²⁾₂ a⁽¹⁾₃", "δ⁽²⁾₁ a⁽¹⁾₃"),
    "np.power and np.square (Ng's assignment)": (
        TANH_BCE, "W1", "python",
        "dZ2 = A2 - Y\ndZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))\ndW1 = 1/m * np.dot(dZ1, X.T)",
        "dZ2 = A2 - Y\ndZ1 = np.dot(W2.T, dZ2) * (1 - np.square(Z1))\ndW1 = 1/m * np.dot(dZ1, X.T)",
    ),
    "np.divide, np.subtract, np.add": (
        TANH_BCE, "b2", "python",
        "dAL = np.subtract(np.divide(1 - Y, 1 - AL), np.divide(Y, AL)); dZ2 = dAL * AL * (1 - AL); "
        "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
        "dAL = np.add(np.divide(1 - Y, 1 - AL), np.divide(Y, AL)); dZ2 = dAL * AL * (1 - AL); "
        "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
    ),
    "Nielsen's .transpose() and .dot()": (
        NET, "W1", "python",
        "delta1 = W2.transpose().dot(delta2) * sigmoid_prime(z1)\ndW1 = np.dot(delta1, x.transpose())",
        "delta1 = W2.dot(delta2) * sigmoid_prime(z1)\ndW1 = np.dot(delta1, x.transpose())",
    ),
    "derivation in index notation": (
        NET, "W1", "latex",
        "\\delta^2_j = (a^2_j - y_j) \\sigma'(z^2_j)\n"
        "\\delta^1_j = \\sum_k w^2_{kj} \\delta^2_k \\sigma'(z^1_j)\n"
        "\\frac{\\partial C}{\\partial w^1_{jk}} = \\delta^1_j x_k",
        "\\delta^2_j = (a^2_j - y_j) \\sigma'(z^2_j)\n"
        "\\delta^1_j = \\sum_k w^2_{jk} \\delta^2_k \\sigma'(z^1_j)\n"
        "\\frac{\\partial C}{\\partial w^1_{jk}} = \\delta^1_j x_k",
    ),
}


@pytest.mark.parametrize("notation", list(NOTATIONS))
def test_notation_right_and_wrong(notation):
    net, wrt, syntax, right, wrong = NOTATIONS[notation]
    good = verify(net, wrt, right, syntax=syntax)
    assert good.correct, good.report()
    assert good.score == 1.0
    bad = verify(net, wrt, wrong, syntax=syntax)
    assert not bad.correct, bad.report()
    assert bad.score < 1.0
    assert bad.counterexample is not None


def test_the_wrong_verdict_of_the_issue_is_right_now():
    # 0.2 in the spec and 0.2 in the formula are the same number: 1/5.
    formula = "((W2.T @ delta2) * (relu_prime(z1) + 0.2 * (1 - relu_prime(z1)))) @ x.T"
    verdict = verify(LEAKY, "W1", formula)
    assert verdict.correct, verdict.report()
    assert verdict.max_difference <= 1e-25


def test_decimals_of_a_custom_activation_are_read_as_written():
    net = Network.from_spec({"layers": [2, 2, 1], "activation": "0.1*x**2 + x", "output_activation": "identity"})
    assert verify(net, "b1", "(W2.T @ delta2) * (0.2 * z1 + 1)").correct
    assert not verify(net, "b1", "(W2.T @ delta2) * (0.2000001 * z1 + 1)").correct


VERDICTS = [
    (LEAKY, "W1", "((W2.T @ delta2) * (relu_prime(z1) + 0.2 * (1 - relu_prime(z1)))) @ x.T"),
    (LEAKY, "W1", "((W2.T @ delta2) * (relu_prime(z1) + 0.2000000000000000001 * (1 - relu_prime(z1)))) @ x.T"),
    (NET, "W1", "(W2.T @ delta2) @ x.T"),
    (NET, "W1", "delta1 @ x.T * (1 + 1e-20)"),
    (NET, "W1", "x @ delta1.T"),
    (NET, "b1", "log(z1 - 100)"),
]


@pytest.mark.parametrize(("net", "wrt", "formula"), VERDICTS)
def test_the_verdict_and_its_evidence_never_disagree(net, wrt, formula):
    v = verify(net, wrt, formula)
    d = v.to_dict()
    tolerance = d["tolerance"]
    if v.correct:
        assert d["max_relative_difference"] <= tolerance and v.score == 1
        return
    c = v.counterexample
    assert c is not None
    # The values shown differ, and so does the number reported.
    assert c.formula_text != c.true_text
    assert c.relative_difference > tolerance
    assert d["max_relative_difference"] is None or d["max_relative_difference"] > tolerance
    assert f"gives {c.formula_text};" in v.report() or "no real value" in v.report()


def test_digits_grow_until_the_difference_shows():
    v = verify(NET, "W1", "delta1 @ x.T * (1 + 1e-20)")
    c = v.counterexample
    assert not v.correct and len(c.formula_text) > 20
    assert c.formula_text[:15] == c.true_text[:15]


# -- index notation: what is refused, and what is judged wrong ----------------------------


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (r"\frac{\partial C}{\partial w^2_{jk}} = a^{1}_i \delta^2_j", "has the free index i, but the left-hand side has the indices j, k"),
        (r"\frac{\partial C}{\partial b^2_{j}} = a^{1}_k \delta^2_j", "has the free index k"),
        (r"\frac{\partial L}{\partial W^{(2)}} = a^{1}_k \delta^2_j", "the left-hand side has none"),
        (r"\delta^{2}_j a^{1}_k x_i", "more than two free indices"),
    ],
)
def test_free_indices_must_match_the_left_hand_side(formula, message):
    with pytest.raises(ExpressionError, match=message):
        verify(NET, "W2", formula, syntax="latex")


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (r"\sum_{k=1}^{3} w^2_{kj} \delta^2_k", "runs to 3, but k indexes 2 entries"),
        (r"\sum_k w^{2}_{k} \delta^2_k", "has 1 indices, but W2 is a matrix"),
        (r"\sum_k w^{2}_{jk} \delta^2_k", None),
        (r"\delta^{(2)} x_j", "every factor is one number"),
    ],
)
def test_index_shapes(formula, message):
    net = Network.from_spec({"layers": [3, 2, 2], "activation": "sigmoid"})
    if message is None:  # W⁽²⁾ where its transpose belongs: consistent indices, a wrong verdict
        assert not verify(net, "b1", formula, syntax="latex").correct
        return
    with pytest.raises(ShapeError, match=message):
        verify(net, "b1", formula, syntax="latex")


def test_a_sum_over_the_wrong_index_is_a_wrong_verdict_with_the_entry():
    # Σ_k w_jk δ_k: W⁽²⁾ instead of its transpose, in index form.
    v = verify(NET, "b1", r"\sum_k w^2_{jk} \delta^2_k \sigma'(z^1_j)", syntax="latex")
    assert not v.correct
    assert v.counterexample.entry.startswith("b1[")
    assert v.diagnosis is not None and v.diagnosis.name == "untransposed-weights"


def test_index_letters_of_any_name():
    for letters in ("jk", "ik", "ab", "pq"):
        r, c = letters
        formula = rf"\frac{{\partial C}}{{\partial w^2_{{{r}{c}}}}} = \delta^2_{r} a^1_{c}"
        assert verify(NET, "W2", formula, syntax="latex").correct, formula


# -- derivations ------------------------------------------------------------------------------


def test_first_wrong_line_and_its_diagnosis():
    v = verify(WIDE, "W1", "delta2 = (a2 - y) * a2 * (1 - a2)\ndelta1 = (W2.T @ delta2) * a1\ndW1 = delta1 @ x.T")
    assert not v.correct and v.first_wrong_line == 2
    assert v.diagnosis is not None and v.diagnosis.name == "activation-not-derivative"  # a1 = σ(z1)
    assert [line.correct for line in v.lines] == [True, False, False]
    assert v.counterexample.line == 2 and v.counterexample.entry.startswith("delta1[")
    assert "first wrong line: line 2, delta1 = (W2.T @ delta2) * a1" in v.report()
    assert "The first wrong line is line 2" in v.feedback()


def test_a_wrong_line_the_answer_does_not_use_is_noted():
    v = verify(NET, "W2", "dA1 = W2 @ delta2; dW2 = delta2 @ a1.T")
    assert v.correct and v.first_wrong_line == 1
    assert "note: line 1 (dA1 = W2 @ delta2) is not ∂L/∂a⁽¹⁾" in v.report()


def test_later_lines_use_what_earlier_lines_define():
    # Right given the (wrong) δ² of line 1, so line 1 is the first wrong line, not line 2.
    v = verify(NET, "W2", "delta2 = a2 - y; dW2 = delta2 @ a1.T")
    assert v.first_wrong_line == 1 and v.lines[1].correct is False


@pytest.mark.parametrize(
    ("syntax", "formula", "message"),
    [
        ("python", "dW1 = delta1 @ x.T", r"the last line is ∂L/∂W⁽¹⁾, but the question asks for ∂L/∂W2"),
        ("python", "W2 = delta2 @ a1.T", "W2 is given"),
        ("python", "dW2 = dZ9 @ a1.T", "unknown name 'dZ9'"),
        ("python", "dW2 = g @ a1.T; g = delta2", "unknown name 'g'"),
        ("python", "dW2 = dW1", "dW1 is used before a line assigns it"),
        ("python", "delta2 @ a1.T\ndW2 = delta2 @ a1.T", "line 1 is an expression without a name"),
        ("python", "x += 1", "augmented assignment"),
        ("python", "a, b = 1, 2", "assign to one plain name"),
        ("python", "sigmoid = 1; dW2 = delta2 @ a1.T", "sigmoid is a function"),
        ("python", "delta2 = a2 - y\ndW2 = delta2 @ a1", r"line 2 \(dW2 = delta2 @ a1\)"),
        ("python", "delta2 = a2 @ y.T; dW2 = delta2 @ a1.T", r"line 1 \(delta2 = a2 @ y.T\) gives a \(2, 2\) but δ⁽²⁾ is a \(2, 1\)"),
        ("latex", r"\frac{\partial L}{\partial W^{(1)}} = \delta^{(1)} x^T", "the question asks for ∂L/∂W2"),
        ("latex", r"dW^{[2]} a^{[1]T}", "dW2 is used before a line defines it"),
        ("latex", r"\frac{\partial L}{\partial W^{(2)}} \odot 1", "they can be used only after a line defines them"),
    ],
)
def test_derivation_mistakes_that_are_refused(syntax, formula, message):
    with pytest.raises((ExpressionError, ShapeError), match=message):
        verify(NET, "W2", formula, syntax=syntax)


# -- partial credit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "wrt", "formula", "score", "summary"),
    [
        (WIDE, "W2", r"\frac{\partial C}{\partial w^2_{jk}} = \delta^2_j a^1_k", 1.0, "right in 6 of 6 entries"),
        # δ of unit 1 on every row: row 1 right, row 2 wrong.
        (WIDE, "W2", r"\frac{\partial C}{\partial w^2_{jk}} = \delta^2_1 a^1_k", 0.5,
         "right in 3 of 6 entries: row 2 is wrong"),
        # a of unit 1 in every column: column 1 right.
        (WIDE, "W2", r"\frac{\partial C}{\partial w^2_{jk}} = \delta^2_j a^1_1", 2 / 6,
         "right in 2 of 6 entries: columns 2 and 3 are wrong"),
        (WIDE, "W2", r"\frac{\partial C}{\partial w^2_{jk}} = \delta^2_1 a^1_1", 1 / 6,
         "right in 1 of 6 entries: W2[1,2], W2[1,3], W2[2,1] and 2 more are wrong"),
        (WIDE, "b2", r"\frac{\partial C}{\partial b^2_j} = (a^2_1 - y_1) \sigma'(z^2_j)", 0.5,
         "right in 1 of 2 entries: b2[2] is wrong"),
        # a transposed square matrix is right on its diagonal
        (NET, "W1", "x @ delta1.T", 0.5, "right in 2 of 4 entries: W1[1,2] and W1[2,1] are wrong"),
        (NET, "W1", "-delta1 @ x.T", 0.0, "right in 0 of 4 entries: every entry is wrong"),
    ],
)
def test_partial_credit(net, wrt, formula, score, summary):
    syntax = "latex" if "\\" in formula else "python"
    v = verify(net, wrt, formula, syntax=syntax)
    assert v.score == pytest.approx(score)
    assert v.entries.summary == summary
    d = v.to_dict()
    assert d["score"] == pytest.approx(score) and d["entries"]["summary"] == summary
    assert d["entries"]["right"] + len(d["entries"]["wrong"]) == d["entries"]["total"]
    if 0 < score < 1:
        assert f"partial credit {score:.2f}: the answer is {summary}" in v.report()
        assert f"Your answer is {summary}." in v.feedback()


def test_one_entry_questions_score_zero_or_one():
    assert verify(NET, "W2[1,2]", "delta2_1 * a1_2").score == 1.0
    v = verify(NET, "W2[1,2]", "delta2_2 * a1_1")
    assert v.score == 0.0 and v.entries.total == 1


# -- messages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (r"\delta^{(1)} x^{\top", r"the brace \{ after '\\\\delta\^\{\(1\)\} x\^' is never closed"),
        (r"x^{\top", r"the brace \{ after 'x\^' is never closed"),
        (r"\delta^{(1)} x^T}", r"the brace \} after .* closes no \{"),
        (r"\sum_{j=1}^{2}", "the sum over j has nothing to sum"),
        (r"\sum_{j=1}^{2} + x", "the sum over j has nothing to sum"),
        (r"\sum_{j=0}^{2} x_j", "starts at 0; indices count from 1"),
        (r"\sum x", r"\\sum needs its index"),
        (r"z^{(1)} > 0", r"a comparison is written in brackets"),
        (r"W^{(2)}^2", "a superscript on W is its layer"),
        (r"\frac{\partial C}{\partial q}", "understood for z, a, W, w, b, \\\\gamma and \\\\beta"),
        (r"C", "appears only in ∂C/∂"),
        (r"\top", r"marks a transpose only as a superscript"),
        (r"a^{l}", "l stands for the layer of the parameter asked about"),
    ],
)
def test_messages_point_at_the_problem(formula, message):
    with pytest.raises(ExpressionError, match=message) as caught:
        parse(NET, formula, "latex")
    assert "unexpected '}'" not in str(caught.value)


def test_sums_never_say_unexpected_brace():
    for formula in (r"\sum_{j=1}^{2}", r"\sum_{j=1}^{2} \delta^{(1)}_j", r"\sum_{j=1}^{n_{l}} w^{2}_{jk}",
                    r"\sum_{j=1}^{2}}", r"\sum_{j=1}^{2} {"):
        try:
            verify(NET, "W2", formula, syntax="latex")
        except (ExpressionError, ShapeError) as exc:
            assert "unexpected '}'" not in str(exc), formula


# -- the notation tables of docs/verify.md ----------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "verify.md"
DOC_NETS = {
    "S": WIDE,
    "T": TANH,
    "R": RELU,
    "K": LEAKY,
    "M": MSE,
}


def documented_examples(table: str = "notation table") -> list[tuple[str, str, str, str]]:
    """(syntax, example, net, wrt) of every row of the two notation tables (or of the two
    tables marked ``<!-- {table}: python -->`` and ``latex``)."""
    text = DOCS.read_text(encoding="utf-8")
    out = []
    for syntax in ("python", "latex"):
        start = text.index(f"<!-- {table}: {syntax} -->")
        end = text.index("<!--", start + 10)
        for row in text[start:end].splitlines()[3:]:
            cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
            if len(cells) != 4:
                continue
            example = cells[2].strip("`")
            net, wrt = (part.strip() for part in cells[3].split(",", 1))
            out.append((syntax, example, net, wrt))
    return out


def test_the_tables_document_every_alias():
    examples = documented_examples()
    assert len(examples) >= 50
    text = DOCS.read_text(encoding="utf-8")
    for alias in ("np.outer", "np.where", "keepdims", "leaky_relu_prime", "dZ1", r"\nabla_a C", r"W^{[2]T}",
                  r"\mathbb{1}[z > 0]", r"\operatorname{sech}^2", r"\mathrm{diag}", r"\sum_{j=1}^{n}",
                  r"\frac{\partial L}{\partial z^{(2)}}", r"\operatorname{LReLU}'", "a^{l-1}", "z^L",
                  "np.power", "np.divide", ".transpose()", ".dot(", "`m`", r"\mathcal{L}", "A^{[1]}",
                  r"g^{[1]\prime}", "n_L", r"\Sigma'", r"\otimes", r"\mathbb{1}\{z > 0\}", "⁽²⁾",
                  "bce-extra-derivative", "mse-as-half-sse"):
        assert alias in text, alias


@pytest.mark.parametrize(("syntax", "example", "net", "wrt"), documented_examples())
def test_every_documented_example_is_right(syntax, example, net, wrt):
    verdict = verify(DOC_NETS[net], wrt, example, syntax=syntax, symbolic=False)
    assert verdict.correct, verdict.report()


# -- the diagnoses of issue 12, each with its counterexample recomputed by hand --------------------------


def _np_activation(kind: str, slope: float = 0.2):
    return {
        "sigmoid": (lambda t: 1 / (1 + np.exp(-t)), lambda t: np.exp(-t) / (1 + np.exp(-t)) ** 2),
        "tanh": (np.tanh, lambda t: 1 - np.tanh(t) ** 2),
        "leaky": (lambda t: np.where(t > 0, t, slope * t), lambda t: np.where(t > 0, 1.0, slope)),
    }[kind]


def _hand_backprop(c: dict, hidden: str, output: str, loss: str):
    """x, a1, z1, a2, z2, δ2 and ∂L/∂a2 of a one-hidden-layer network, by hand in NumPy."""
    p = {k: np.array(v, dtype=float) for k, v in c["inputs"].items()}
    x, y = p["x"][:, None], p["y"][:, None]
    f1, _ = _np_activation(hidden)
    z1 = p["W1"] @ x + p["b1"][:, None]
    a1 = f1(z1)
    z2 = p["W2"] @ a1 + p["b2"][:, None]
    a2 = np.exp(z2) / np.exp(z2).sum() if output == "softmax" else _np_activation(output)[0](z2)
    if loss == "half_sse":
        grad_a = a2 - y
    elif loss == "mse":
        grad_a = 2 / len(y) * (a2 - y)
    elif loss == "binary_cross_entropy":
        grad_a = -y / a2 + (1 - y) / (1 - a2)
    else:  # cross_entropy
        grad_a = -y / a2
    if output == "softmax":
        delta2 = (np.diag(a2[:, 0]) - a2 @ a2.T) @ grad_a
    else:
        delta2 = grad_a * _np_activation(output)[1](z2)
    return dict(x=x, y=y, z1=z1, a1=a1, z2=z2, a2=a2, delta2=delta2, W2=p["W2"], grad_a=grad_a)


BCE = Network.from_spec(
    {"layers": [2, 3, 1], "activation": "tanh", "output_activation": "sigmoid", "loss": "binary_cross_entropy"}
)
SOFTMAX_CE = Network.from_spec(
    {"layers": [2, 3, 3], "activation": "sigmoid", "output_activation": "softmax", "loss": "cross_entropy"}
)
SIGMOID = Network.from_spec({"layers": [2, 3, 2], "activation": "sigmoid"})

# name, network, (hidden, output, loss), wrt, syntax, formula, the true gradient and the formula by hand
DIAGNOSES = [
    ("sigmoid-derivative-on-tanh", TANH, ("tanh", "sigmoid", "half_sse"), "W1", "python",
     "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T",
     lambda h: ((h["W2"].T @ h["delta2"]) * (1 - h["a1"] ** 2)) @ h["x"].T,
     lambda h: ((h["W2"].T @ h["delta2"]) * h["a1"] * (1 - h["a1"])) @ h["x"].T),
    ("sigmoid-derivative-on-tanh", TANH, ("tanh", "sigmoid", "half_sse"), "W1", "latex",
     r"\left((W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)})\right) x^T",
     lambda h: ((h["W2"].T @ h["delta2"]) * (1 - h["a1"] ** 2)) @ h["x"].T,
     lambda h: ((h["W2"].T @ h["delta2"]) * _np_activation("sigmoid")[1](h["z1"])) @ h["x"].T),
    ("tanh-derivative-on-sigmoid", SIGMOID, ("sigmoid", "sigmoid", "half_sse"), "W1", "python",
     "((W2.T @ delta2) * (1 - a1**2)) @ x.T",
     lambda h: ((h["W2"].T @ h["delta2"]) * h["a1"] * (1 - h["a1"])) @ h["x"].T,
     lambda h: ((h["W2"].T @ h["delta2"]) * (1 - h["a1"] ** 2)) @ h["x"].T),
    ("bce-dropped-term", BCE, ("tanh", "sigmoid", "binary_cross_entropy"), "W2", "python",
     "(-y / a2 * a2 * (1 - a2)) @ a1.T",
     lambda h: (h["a2"] - h["y"]) @ h["a1"].T,
     lambda h: (-h["y"] * (1 - h["a2"])) @ h["a1"].T),
    ("bce-dropped-term", BCE, ("tanh", "sigmoid", "binary_cross_entropy"), "b2", "latex",
     r"\frac{1 - y}{1 - a^{(2)}} \odot a^{(2)} \odot (1 - a^{(2)})",
     lambda h: h["a2"] - h["y"],
     lambda h: (1 - h["y"]) * h["a2"]),
    ("softmax-jacobian-missing", SOFTMAX_CE, ("sigmoid", "softmax", "cross_entropy"), "W2", "python",
     "(-y / a2) @ a1.T",
     lambda h: (h["a2"] - h["y"]) @ h["a1"].T,
     lambda h: (-h["y"] / h["a2"]) @ h["a1"].T),
    ("leaky-relu-as-relu", LEAKY, ("leaky", "sigmoid", "half_sse"), "W1", "python",
     "((W2.T @ delta2) * relu_prime(z1)) @ x.T",
     lambda h: ((h["W2"].T @ h["delta2"]) * _np_activation("leaky")[1](h["z1"])) @ h["x"].T,
     lambda h: ((h["W2"].T @ h["delta2"]) * (h["z1"] > 0)) @ h["x"].T),
    ("bce-extra-derivative", BCE, ("tanh", "sigmoid", "binary_cross_entropy"), "b2", "python",
     "(a2 - y) * a2 * (1 - a2)",
     lambda h: h["a2"] - h["y"],
     lambda h: (h["a2"] - h["y"]) * h["a2"] * (1 - h["a2"])),
    ("bce-extra-derivative", BCE, ("tanh", "sigmoid", "binary_cross_entropy"), "W2", "latex",
     r"\left((\hat{y} - y) \odot \sigma'(z^{(2)})\right) a^{(1)T}",
     lambda h: (h["a2"] - h["y"]) @ h["a1"].T,
     lambda h: ((h["a2"] - h["y"]) * _np_activation("sigmoid")[1](h["z2"])) @ h["a1"].T),
    ("mse-as-half-sse", MSE, ("sigmoid", "sigmoid", "mse"), "b2", "python",
     "(a2 - y) * a2 * (1 - a2)",
     lambda h: h["delta2"],
     lambda h: (h["a2"] - h["y"]) * h["a2"] * (1 - h["a2"])),
    ("untransposed-weights", NET, ("sigmoid", "sigmoid", "half_sse"), "b1", "latex",
     r"\sum_k w^2_{jk} \delta^2_k \sigma'(z^1_j)",
     lambda h: (h["W2"].T @ h["delta2"]) * h["a1"] * (1 - h["a1"]),
     lambda h: (h["W2"] @ h["delta2"]) * h["a1"] * (1 - h["a1"])),
]


@pytest.mark.parametrize(
    ("name", "net", "kinds", "wrt", "syntax", "formula", "truth", "mistake"),
    DIAGNOSES, ids=[f"{d[0]}-{d[4]}" for d in DIAGNOSES],
)
def test_new_diagnoses_with_their_counterexample(name, net, kinds, wrt, syntax, formula, truth, mistake):
    v = verify(net, wrt, formula, syntax=syntax)
    assert not v.correct and v.diagnosis is not None, v.report()
    assert v.diagnosis.name == name, v.report()
    c = v.to_dict()["counterexample"]
    by_hand = _hand_backprop(c, *kinds)
    np.testing.assert_allclose(c["gradient"], truth(by_hand), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c["formula"], mistake(by_hand), rtol=1e-9, atol=1e-12)


def test_index_form_mistakes_are_told_in_indices():
    v = verify(NET, "b1", r"\sum_k w^2_{jk} \delta^2_k \sigma'(z^1_j)", syntax="latex")
    assert "w⁽²⁾_jk where w⁽²⁾_kj belongs in the sum over k" in v.diagnosis.message
    v = verify(NET, "b1", "(W2 @ delta2) * sigmoid_prime(z1)")
    assert "W⁽²⁾ instead of (W⁽²⁾)ᵀ" in v.diagnosis.message


def test_the_two_terms_of_binary_cross_entropy_are_the_loss():
    assert sympy.simplify(sum(BCE_TERMS) - BCE.loss.term) == 0


def test_a_wrong_delta_line_of_a_network_without_biases_is_diagnosed():
    """A δ line is diagnosed as δ, not through a b⁽ˡ⁾ that a network without biases does not have."""
    net = models.beginner()
    v = verify(net, "W1", "dZ2 = W3.T @ delta3\ndZ1 = (W2.T @ dZ2) * a1 * (1 - a1)\ndW1 = dZ1 @ x.T")
    assert not v.correct and v.first_wrong_line == 1 and v.diagnosis.name == "missing-derivative"


def test_a_wrong_line_without_a_diagnosis_of_its_own_is_diagnosed_through_the_answer():
    # dA1 = W2 dZ2 (no transpose): ∂L/∂a lines have no catalogue of their own, the answer carries the mistake.
    v = verify(NET, "W1", "dA1 = W2 @ dZ2; dZ1 = dA1 * A1 * (1 - A1); dW1 = dZ1 @ X.T")
    assert not v.correct and v.first_wrong_line == 1
    assert v.diagnosis is not None and v.diagnosis.name == "untransposed-weights", v.report()
    right = verify(NET, "W1", "dA1 = W2.T @ dZ2; dZ1 = dA1 * A1 * (1 - A1); dW1 = dZ1 @ X.T")
    assert right.correct and right.diagnosis is None


@pytest.mark.parametrize(
    ("formula", "rows"),
    [
        (r"\delta^{(2)}_j a^{(1)}_i", ("j", "i")),  # Bishop's ∂E/∂w_ji = δ_j z_i
        (r"a^{(1)}_k \delta^{(2)}_j", ("j", "k")),
        (r"\delta^{(2)}_p a^{(1)}_q", ("p", "q")),
    ],
)
def test_without_a_left_hand_side_the_later_layer_names_the_rows(formula, rows):
    tree = parse(NET, formula, "latex")
    assert tree.indices == rows
    assert verify(NET, "W2", formula, syntax="latex").correct
    assert verify(WIDE, "W2", formula, syntax="latex").correct  # (2, 3): not a shape error either


def test_a_derivative_on_the_left_that_cannot_be_read_is_said_not_dropped():
    # Its index letters name the rows: dropping it silently would judge δ_j a_i by j, i in alphabetical order.
    with pytest.raises(ExpressionError, match=r"expected the loss \(L, C, E or J\)"):
        verify(NET, "W2", r"\frac{\partial Q}{\partial w^{(2)}_{ji}} = \delta^{(2)}_j a^{(1)}_i", syntax="latex")
    with pytest.raises(ExpressionError, match="understood for z, a, W, w, b, \\\\gamma and \\\\beta"):
        verify(NET, "W2", r"\frac{\partial L}{\partial \theta} = \delta^{(2)} a^{(1)T}", syntax="latex")
