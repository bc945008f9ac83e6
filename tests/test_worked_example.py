"""The published worked example, reproduced to every printed digit.

Source: Matt Mazur, "A Step by Step Backpropagation Example" (2015),
https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/ —
a 2-2-2 sigmoid network with biases, inputs 0.05 and 0.10, targets 0.01 and
0.99, weights w1..w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, biases
0.35 (hidden) and 0.60 (output), shared by the layer's units, E = ½ Σ (target −
out)², learning rate 0.5.  w1: i1→h1, w2: i2→h1, w3: i1→h2, w4: i2→h2 and
w5: h1→o1, w6: h2→o1, w7: h1→o2, w8: h2→o2, so W1 = [[w1, w2], [w3, w4]] and
W2 = [[w5, w6], [w7, w8]] in our convention (W⁽ˡ⁾ⱼₖ connects k to j).

The article prints each figure rounded to 8–9 decimals; every figure is
compared after rounding our value to the digits printed.  The article updates
the weights only (its biases stay fixed), so only the weights are compared
after the step.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop import models

X = [0.05, 0.10]
Y = [0.01, 0.99]
PARAMS = {
    "W1": np.array([[0.15, 0.20], [0.25, 0.30]]),
    "b1": np.array([0.35, 0.35]),
    "W2": np.array([[0.40, 0.45], [0.50, 0.55]]),
    "b2": np.array([0.60, 0.60]),
}

# Figures as printed in the article.
PRINTED_FORWARD = {
    ("z", 1, 0): "0.3775",  # net_h1
    ("a", 1, 0): "0.593269992",  # out_h1
    ("a", 1, 1): "0.596884378",  # out_h2
    ("z", 2, 0): "1.105905967",  # net_o1
    ("a", 2, 0): "0.75136507",  # out_o1
    ("a", 2, 1): "0.772928465",  # out_o2
}
PRINTED_TOTAL_ERROR = "0.298371109"
PRINTED_ERRORS = ("0.274811083", "0.023560026")  # E_o1, E_o2
PRINTED_DE_DOUT_O1 = "0.74136507"  # ∂E_total/∂out_o1 = out_o1 − target_o1
PRINTED_DOUT_DNET_O1 = "0.186815602"  # ∂out_o1/∂net_o1 = out_o1(1 − out_o1)
PRINTED_DELTA_O1 = "0.138498562"  # ∂E_o1/∂net_o1, our δ⁽²⁾₁
PRINTED_DE_DOUT_H1 = "0.036350306"  # ∂E_total/∂out_h1 = Σ_o δ_o w_ho
PRINTED_DOUT_DNET_H1 = "0.241300709"  # out_h1(1 − out_h1)
PRINTED_DW5 = "0.082167041"  # ∂E_total/∂w5
PRINTED_DW1 = "0.000438568"  # ∂E_total/∂w1
PRINTED_UPDATED = {
    ("W2", 0, 0): "0.35891648",  # w5+
    ("W2", 0, 1): "0.408666186",  # w6+
    ("W2", 1, 0): "0.511301270",  # w7+
    ("W2", 1, 1): "0.561370121",  # w8+
    ("W1", 0, 0): "0.149780716",  # w1+
    ("W1", 0, 1): "0.19956143",  # w2+
    ("W1", 1, 0): "0.24975114",  # w3+
    ("W1", 1, 1): "0.29950229",  # w4+
}


def same_to_printed_digits(value: float, printed: str) -> bool:
    decimals = len(printed.split(".")[1])
    return f"{value:.{decimals}f}" == printed


@pytest.fixture(scope="module")
def compiled():
    return models.two_two_two().compile()


def test_forward_values(compiled):
    trace = compiled.trace(PARAMS, X, Y)
    for (kind, layer, unit), printed in PRINTED_FORWARD.items():
        value = getattr(trace, kind)[layer - 1][0, unit]
        assert same_to_printed_digits(value, printed), (kind, layer, unit, value, printed)


def test_total_error_and_one_gradient(compiled):
    loss, grads = compiled(PARAMS, X, Y)
    assert same_to_printed_digits(loss, PRINTED_TOTAL_ERROR)
    assert same_to_printed_digits(grads["W2"][0, 0], PRINTED_DW5)
    assert same_to_printed_digits(grads["W1"][0, 0], PRINTED_DW1)


def test_the_chain_rule_factors_and_deltas(compiled):
    trace = compiled.trace(PARAMS, X, Y)
    out = trace.a[1][0]
    per_unit = 0.5 * (np.array(Y) - out) ** 2  # the loss term of each output, as the article splits it
    assert all(same_to_printed_digits(v, p) for v, p in zip(per_unit, PRINTED_ERRORS, strict=True))
    assert same_to_printed_digits(out[0] - Y[0], PRINTED_DE_DOUT_O1)
    assert same_to_printed_digits(out[0] * (1 - out[0]), PRINTED_DOUT_DNET_O1)
    assert same_to_printed_digits(trace.delta[1][0, 0], PRINTED_DELTA_O1)
    back = trace.delta[1][0] @ PARAMS["W2"]  # (W⁽²⁾)ᵀ δ⁽²⁾, the error reaching the hidden layer
    assert same_to_printed_digits(back[0], PRINTED_DE_DOUT_H1)
    hidden = trace.a[0][0, 0]
    assert same_to_printed_digits(hidden * (1 - hidden), PRINTED_DOUT_DNET_H1)


def test_updated_weights_after_one_step(compiled):
    before = {k: v.copy() for k, v in PARAMS.items()}
    loss, updated = compiled.step(PARAMS, X, Y, lr=0.5)
    assert same_to_printed_digits(loss, PRINTED_TOTAL_ERROR)
    for (name, row, col), printed in PRINTED_UPDATED.items():
        assert same_to_printed_digits(updated[name][row, col], printed), (name, row, col)
    # step returns new arrays and leaves the given ones alone
    assert all(np.array_equal(before[k], PARAMS[k]) for k in PARAMS)


def test_the_scalar_path_gives_the_same_figures():
    scalar = models.two_two_two().compile(path="scalar")
    loss, grads = scalar(PARAMS, X, Y)
    assert same_to_printed_digits(loss, PRINTED_TOTAL_ERROR)
    assert same_to_printed_digits(grads["W2"][0, 0], PRINTED_DW5)
    assert same_to_printed_digits(PARAMS["W1"][0, 0] - 0.5 * grads["W1"][0, 0], "0.149780716")
