"""verify on batch norm of an image (per channel, statistics over the batch and every position).

A batch of images is judged with one row per channel, each sample's positions
in turn (N·H·W columns), so that the per-channel forms are the vector forms
with the count N·H·W: right formulas accepted in both syntaxes, the classic
mistakes (the count N for N·H·W, the paths through μ and σ² left out)
diagnosed with a counterexample recomputed from the compiled gradient, and the
verifier's truth against the compiled gradient and finite differences (with
the other batch layers', in test_verify_norm_dropout_rnn.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop import models
from symbackprop.derive import Derivation
from symbackprop.errors import UnsupportedError
from symbackprop.verification import verify
from symbackprop.verification.context import names_for
from symbackprop.verification.grid import Grid, batch_view
from symbackprop.verification.points import sample

from .test_verify_layers import assert_diagnosed, assert_right
from .test_verify_norm_dropout_rnn import IMAGE_1X1, IMAGE_CONV, IMAGE_INPUT, _compiled_gradient

# I: a 2-channel 2×2 image, a 1×1 convolution of 2 channels without bias, batch norm, one sigmoid unit;
# J: a 1-channel 3×3 image, a 2×2 kernel with tanh, batch norm, one sigmoid unit; batch norm straight on a
# 3-channel 1×2 image.  The verifier's truth on each, against the compiled gradient and finite differences,
# is tested with the other batch layers' in test_verify_norm_dropout_rnn.py.
IMAGE, CONV, INPUT = IMAGE_1X1, IMAGE_CONV, IMAGE_INPUT

SUM = "np.sum({}, axis=1, keepdims=True)"
DX = (
    "gamma2 / (N * H * W * sigma2) * (N * H * W * dy - np.sum(dy, axis=1, keepdims=True)"
    " - xhat2 * np.sum(dy * xhat2, axis=1, keepdims=True))"
)
DX_LATEX = (
    r"\frac{\gamma}{N H W \sigma_B}\left(N H W \delta^{(2)} - \sum_i \delta^{(2)}_i"
    r" - \hat{x} \odot \sum_i \delta^{(2)}_i \odot \hat{x}_i\right)"
)

RIGHT = [
    (IMAGE, "gamma2", "python", SUM.format("dy * xhat2")),
    (IMAGE, "gamma2", "python", SUM.format("delta2 * (a1 - mu2) / np.sqrt(var2 + eps)")),
    (IMAGE, "gamma2", "latex", r"\sum_{i=1}^{N H W} \delta^{(2)}_i \odot \hat{x}_i"),
    (IMAGE, "beta2", "python", SUM.format("dy")),
    (IMAGE, "beta2", "latex", r"\sum_{i} \delta^{(2)}_i"),
    (IMAGE, "W1", "python", f"dX = {DX}; dW1 = dX @ x.T"),
    (IMAGE, "W1", "python", f"dX = {DX.replace('N * H * W', '8')}; dW1 = dX @ x.T"),  # 2 samples × 2×2 positions
    # the means of CS231n's spatial batch norm: over the batch and the positions
    (IMAGE, "W1", "python",
     "dA1 = gamma2 / sigma2 * (dy - np.mean(dy, axis=1, keepdims=True)"
     " - xhat2 * np.mean(dy * xhat2, axis=1, keepdims=True)); dW1 = dA1 @ x.T"),
    (IMAGE, "W1", "latex", DX_LATEX + " x^T"),
    (IMAGE, "W4", "python", "delta4 @ a3.T"),
    (CONV, "b1", "python", f"dX = {DX}; db1 = {SUM.format('dX * (1 - a1**2)')}"),
    (CONV, "b1", "latex", rf"\delta^{{(1)}} = {DX_LATEX} \odot (1 - (a^{{(1)}})^2) \\ \frac{{\partial L}}{{\partial b^{{(1)}}}} = \sum_i \delta^{{(1)}}_i"),
    (CONV, "gamma2", "python", SUM.format("dy * xhat2")),
    (INPUT, "gamma1", "python", SUM.format("dA1 * relu_prime(z1) * xhat1")),
    (INPUT, "beta1", "latex", r"\sum_{i=1}^{N H W} \delta^{(1)}_i"),
]


@pytest.mark.parametrize(("net", "wrt", "syntax", "formula"), RIGHT, ids=range(len(RIGHT)))
def test_right_formulas_are_right(net, wrt, syntax, formula):
    assert_right(net, wrt, syntax, formula)


WRONG = [
    ("batchnorm-count-without-positions", IMAGE, "W1", "python",
     f"dX = {DX.replace('N * H * W', 'N')}; dW1 = dX @ x.T"),
    ("batchnorm-count-without-positions", IMAGE, "W1", "latex", DX_LATEX.replace("N H W", "N") + " x^T"),
    ("batchnorm-count-without-positions", CONV, "b1", "python",
     f"dX = {DX.replace('N * H * W', 'N')}; db1 = {SUM.format('dX * (1 - a1**2)')}"),
    ("normalisation-without-mean-and-variance", IMAGE, "W1", "python", "(gamma2 * dy / sigma2) @ x.T"),
    ("normalisation-without-mean-and-variance", CONV, "b1", "python",
     SUM.format("gamma2 * dy / sigma2 * (1 - a1**2)")),
    ("normalisation-without-variance-path", IMAGE, "W1", "python",
     "(gamma2 / (N*H*W * sigma2) * (N*H*W * dy - np.sum(dy, axis=1, keepdims=True))) @ x.T"),
    ("normalisation-without-mean-path", IMAGE, "W1", "latex",
     r"\frac{\gamma}{N H W \sigma_B}\left(N H W \delta^{(2)} - \hat{x} \odot \sum_i \delta^{(2)}_i \odot \hat{x}_i\right) x^T"),
]

WORDS = {
    "batchnorm-count-without-positions": "the count in ∂L/∂x = (γ/(Mσ)) (M δ − Σ_i δ_i − x̂ Σ_i (δ_i ⊙ x̂_i)) is M = N·H·W",
    "normalisation-without-mean-and-variance": "each channel over the batch and every position",
    "normalisation-without-variance-path": "without the path through the variance",
    "normalisation-without-mean-path": "without the path through the mean",
}


@pytest.mark.parametrize(("mistake", "net", "wrt", "syntax", "formula"), WRONG, ids=[f"{w[0]}-{w[3]}" for w in WRONG])
def test_each_mistake_is_diagnosed_with_a_counterexample(mistake, net, wrt, syntax, formula):
    verdict = assert_diagnosed(
        mistake, net, wrt, syntax, formula, lambda net, point, wrt: _compiled_gradient(net, point)[1][wrt]
    )
    assert WORDS[mistake] in verdict.diagnosis.message
    assert "in the formula an image has a row per channel" in verdict.report()


def test_the_count_diagnosis_names_the_sizes():
    verdict = verify(IMAGE, "W1", DX_LATEX.replace("N H W", "N") + " x^T", syntax="latex", points=2)
    assert "N·H·W = 8 entries (N = 2 samples times H·W = 4 positions)" in verdict.diagnosis.message


def test_a_batch_of_images_is_a_row_per_channel_and_a_column_per_sample_and_position():
    table = names_for(IMAGE)
    assert table.samples == 2  # 2 images of 2×2: 8 entries to each channel's statistics
    assert table.shapes["x"] == table.shapes["xhat2"] == table.shapes["delta2"] == (2, 8)
    assert table.shapes["W1"] == (2, 2)  # the 1×1 kernel: W x at every sample and position
    assert table.shapes["gamma2"] == table.shapes["mu2"] == table.shapes["sigma2"] == (2, 1)
    assert table.shapes["a3"] == (8, 1 * 2)  # after the flatten: a column per sample again
    assert (table.constants["N"], table.constants["H"], table.constants["W"]) == (2, 2, 2)
    point = sample(Derivation(IMAGE), "W1", count=1, seed=0)[0]
    X = np.array(point.inputs(IMAGE.parameter_names())["x"], dtype=float).reshape(2, 2, 2, 2)
    seen = np.array([[float(v) for v in row] for row in point.values["x"]])
    assert np.array_equal(seen, X.transpose(1, 0, 2, 3).reshape(2, 8))  # channel c: sample 1's row-major, then 2's
    two = [Grid.array((1, 2, 2), [1, 2, 3, 4]), Grid.array((1, 2, 2), [5, 6, 7, 8])]
    assert [float(v) for v in batch_view(two).flat] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_kernel_larger_than_one_by_one_is_refused_in_one_sentence():
    with pytest.raises(UnsupportedError, match="^verify cannot judge ∂L/∂W1: W1 has shape 1×1×2×2: .*cannot be written$"):
        verify(CONV, "W1", "correlate(x, delta1)", points=2)


def test_vector_batch_norm_keeps_its_batch_of_three():
    assert names_for(models.small_batchnorm()).samples == 3
