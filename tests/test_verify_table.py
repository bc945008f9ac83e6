"""A table of correct and incorrect hand-derived formulas over several networks and every loss.

Correct entries are written in the different ways people write them (δ's or
fully expanded, a(1 − a) or σ(z)(1 − σ(z)) or e^{−z}/(1 + e^{−z})², softmax
with cross-entropy simplified to a − y); each must be judged correct.  Each
incorrect entry is a classic mistake and must be caught with that diagnosis.
"""

from __future__ import annotations

import pytest

from symbackprop import Network, models
from symbackprop.verification import verify

NETS = {
    "2-2-2": models.two_two_two(),
    "beginner": models.beginner(),
    "understanding": models.understanding(),
    "tanh-bce": Network.from_spec(
        {"layers": [2, 3, 1], "activation": "tanh", "output_activation": "sigmoid",
         "loss": "binary_cross_entropy"}
    ),
    "square-sse": Network.from_spec({"layers": [3, 3, 3], "activation": "sigmoid", "loss": "sse"}),
    "mse-identity": Network.from_spec(
        {"layers": [2, 3, 3], "activation": "sigmoid", "output_activation": "identity", "loss": "mse"}
    ),
    "sigmoid-softmax-ce": Network.from_spec(
        {"layers": [2, 2, 2], "activation": "sigmoid", "output_activation": "softmax",
         "loss": "cross_entropy", "bias": False}
    ),
    "custom-loss": Network.from_spec(
        {"layers": [2, 2, 1], "activation": "tanh", "output_activation": "sigmoid", "loss": "(a - y)**4"}
    ),
    "relu-softmax-sse": Network.from_spec(
        {"layers": [2, 3, 2], "activation": "relu", "output_activation": "softmax", "loss": "half_sse"}
    ),
}

# δ⁽ᴸ⁾ per network, used to write hidden-layer formulas compactly.
OUT = {
    "2-2-2": "((a2 - y) * a2 * (1 - a2))",
    "square-sse": "(2*(a2 - y) * a2 * (1 - a2))",
}

CORRECT = [
    # (net, wrt, syntax, formula)
    ("2-2-2", "W2", "python", "delta2 @ a1.T"),
    ("2-2-2", "W2", "python", "((a2 - y) * a2 * (1 - a2)) @ a1.T"),
    ("2-2-2", "W2", "python", "((a2 - y) * sigmoid(z2) * (1 - sigmoid(z2))) @ a1.T"),
    ("2-2-2", "W2", "python", "((a2 - y) * exp(-z2) / (1 + exp(-z2))**2) @ a1.T"),
    ("2-2-2", "W2", "python", "((a2 - y) * sigmoid_prime(z2)) @ sigmoid(W1 @ x + b1).T"),
    (
        "2-2-2", "W2", "python",
        "((sigmoid(W2 @ sigmoid(W1 @ x + b1) + b2) - y) * sigmoid(W2 @ sigmoid(W1 @ x + b1) + b2)"
        " * (1 - sigmoid(W2 @ sigmoid(W1 @ x + b1) + b2))) @ sigmoid(W1 @ x + b1).T",
    ),
    ("2-2-2", "b2", "python", "(a2 - y) * a2 * (1 - a2)"),
    ("2-2-2", "W1", "python", "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T"),
    ("2-2-2", "W1", "python", f"((W2.T @ {OUT['2-2-2']}) * a1 * (1 - a1)) @ a0.T"),
    ("2-2-2", "W1", "python", "delta1 @ x.T"),
    ("2-2-2", "b1", "python", "(W2.T @ delta2) * sigmoid_prime(z1)"),
    ("2-2-2", "W1[2,1]", "python", "delta1_2 * x1"),
    ("2-2-2", "W1[2,1]", "python", "(w2_12 * delta2_1 + w2_22 * delta2_2) * a1_2 * (1 - a1_2) * x1"),
    ("2-2-2", "W2[1,2]", "python", "(a2_1 - y1) * a2_1 * (1 - a2_1) * a1_2"),
    ("2-2-2", "b2[2]", "python", "(a2_2 - y2) * a2_2 * (1 - a2_2)"),
    ("2-2-2", "W2", "latex", r"\delta^{(2)} \left(a^{(1)}\right)^{\top}"),
    ("2-2-2", "W2", "latex", r"\left( (a^{(2)} - y) \odot a^{(2)} \odot (1 - a^{(2)}) \right) (a^{(1)})^T"),
    ("2-2-2", "W1", "latex", r"\left( (W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)}) \right) x^T"),
    ("2-2-2", "W1", "latex", r"\left( W^{(2)T} \delta^{(2)} \odot \sigma(z^{(1)})(1-\sigma(z^{(1)})) \right) x^{\top}"),
    ("2-2-2", "W1", "latex", r"\left( (W^{(2)})^{T} \delta^{(2)} \odot \frac{e^{-z^{(1)}}}{(1+e^{-z^{(1)}})^{2}} \right) \cdot x^T"),
    ("2-2-2", "W1", "latex", r"\frac{\partial L}{\partial W^{(1)}} = \delta^{(1)} (a^{(0)})^T"),
    ("2-2-2", "W2[1,2]", "latex", r"\delta^{(2)}_{1} a^{(1)}_{2}"),
    ("2-2-2", "W2[1,2]", "latex", r"(a^{(2)}_1 - y_1)\, a^{(2)}_1 (1 - a^{(2)}_1)\, a^{(1)}_2"),
    ("2-2-2", "W1[2,1]", "latex", r"\left(w^{(2)}_{12}\delta^{(2)}_1 + w^{(2)}_{22}\delta^{(2)}_2\right)\sigma'(z^{(1)}_2)\, x_1"),
    ("beginner", "W3", "python", "((a3 - y) * a3 * (1 - a3)) @ a2.T"),
    ("beginner", "W2", "python", "((W3.T @ ((a3 - y) * a3 * (1 - a3))) * a2 * (1 - a2)) @ a1.T"),
    (
        "beginner", "W1", "python",
        "((W2.T @ ((W3.T @ ((a3 - y) * a3 * (1 - a3))) * a2 * (1 - a2))) * a1 * (1 - a1)) @ x.T",
    ),
    ("beginner", "W1", "latex", r"\left(\mathbf{W}_2^T \boldsymbol{\delta}_2 \odot \sigma'(\mathbf{z}_1)\right) \mathbf{x}^T"),
    ("understanding", "W3", "python", "(a3 - y) @ a2.T"),
    ("understanding", "W3", "python", "(yhat - y) @ a2.T"),
    ("understanding", "b3", "latex", r"\hat{y} - y"),
    ("understanding", "W3", "python", "(softmax(z3) - y) @ relu(z2).T"),
    ("understanding", "W2", "python", "((W3.T @ (a3 - y)) * relu_prime(z2)) @ a1.T"),
    ("understanding", "W1", "python", "((W2.T @ delta2) * relu_prime(z1)) @ x.T"),
    ("understanding", "W2", "latex", r"\left((W^{(3)})^T (a^{(3)} - y) \odot \operatorname{ReLU}'(z^{(2)})\right) (a^{(1)})^T"),
    ("tanh-bce", "W2", "python", "(a2 - y) @ a1.T"),
    ("tanh-bce", "W2", "python", "((a2 - y) / (a2 * (1 - a2)) * a2 * (1 - a2)) @ a1.T"),
    ("tanh-bce", "W1", "python", "((W2.T @ (a2 - y)) * (1 - a1**2)) @ x.T"),
    ("tanh-bce", "W1", "python", "((W2.T * (a2 - y)) * (1 - tanh(z1)**2)) @ x.T"),
    ("tanh-bce", "W1", "latex", r"\left((W^{(2)})^T (a^{(2)} - y) \odot (1 - \tanh^2(z^{(1)}))\right) x^T"),
    ("tanh-bce", "W1", "python", "((W2.T @ (a2 - y)) * tanh_prime(z1)) @ x.T"),
    ("square-sse", "W2", "python", f"{OUT['square-sse']} @ a1.T"),
    ("square-sse", "W1", "python", f"((W2.T @ {OUT['square-sse']}) * a1 * (1 - a1)) @ x.T"),
    ("mse-identity", "W2", "python", "(2/3 * (a2 - y)) @ a1.T"),
    ("mse-identity", "W2", "latex", r"\frac{2}{3}(a^{(2)} - y)(a^{(1)})^T"),
    ("mse-identity", "W1", "python", "((W2.T @ (2 * (a2 - y) / 3)) * a1 * (1 - a1)) @ x.T"),
    ("sigmoid-softmax-ce", "W2", "python", "(a2 - y) @ a1.T"),
    ("sigmoid-softmax-ce", "W1", "python", "((W2.T @ (a2 - y)) * a1 * (1 - a1)) @ x.T"),
    ("custom-loss", "W2", "python", "(4 * (a2 - y)**3 * a2 * (1 - a2)) @ a1.T"),
    ("custom-loss", "b1", "python", "(W2.T @ delta2) * (1 - a1**2)"),
    ("relu-softmax-sse", "b2", "python", "a2 * ((a2 - y) - sum(a2 * (a2 - y)))"),
    ("relu-softmax-sse", "W2", "python", "(a2 * (a2 - y) - a2 * ((a2 - y).T @ a2)) @ a1.T"),
]

INCORRECT = [
    # (net, wrt, syntax, formula, expected diagnosis name)
    ("2-2-2", "W1", "python", "(W2.T @ delta2) @ x.T", "missing-derivative"),
    ("2-2-2", "W2", "python", "(a2 - y) @ a1.T", "missing-derivative"),
    ("2-2-2", "W1", "python", "((W2 @ delta2) * a1 * (1 - a1)) @ x.T", "untransposed-weights"),
    ("2-2-2", "W1", "python", "-((W2.T @ delta2) * a1 * (1 - a1)) @ x.T", "wrong-sign"),
    ("2-2-2", "W2", "python", "((y - a2) * a2 * (1 - a2)) @ a1.T", "wrong-sign"),
    ("2-2-2", "W2", "python", "(2 * (a2 - y) * a2 * (1 - a2)) @ a1.T", "factor-2"),
    ("2-2-2", "W1", "python", "((W2.T @ delta2) * sigmoid_prime(a1)) @ x.T", "derivative-at-a"),
    ("2-2-2", "W1", "python", "((W2.T @ delta2) * z1 * (1 - z1)) @ x.T", "output-form-on-z"),
    ("2-2-2", "W1", "python", "((W2.T @ delta2) * a1 * (1 - a1)) @ a1.T", "swapped-x-a1"),
    ("2-2-2", "W2", "python", "delta2 @ x.T", "swapped-x-a1"),
    ("2-2-2", "W2", "python", "a1 @ delta2.T", "transposed"),
    ("2-2-2", "W2[1,2]", "python", "delta2_2 * a1_1", "transposed"),
    ("2-2-2", "W1[2,1]", "python", "(w2_12 * delta2_1 + w2_22 * delta2_2) * x1", "missing-derivative"),
    ("2-2-2", "W1[2,1]", "python", "(w2_21 * delta2_1 + w2_22 * delta2_2) * a1_2 * (1 - a1_2) * x1",
     "untransposed-weights"),
    ("2-2-2", "W1[2,1]", "latex", r"(w^{(2)}_{12}\delta^{(2)}_1 + w^{(2)}_{22}\delta^{(2)}_2)\sigma'(a^{(1)}_2) x_1",
     "derivative-at-a"),
    ("2-2-2", "b2[1]", "python", "(y1 - a2_1) * a2_1 * (1 - a2_1)", "wrong-sign"),
    ("2-2-2", "W1", "python", "((W2.T @ delta2) * sigmoid(z1)) @ x.T", "activation-not-derivative"),
    ("2-2-2", "W1", "latex", r"\left( W^{(2)} \delta^{(2)} \odot \sigma'(z^{(1)}) \right) x^T", "untransposed-weights"),
    ("2-2-2", "W1", "latex", r"-\left( (W^{(2)})^T \delta^{(2)} \right) x^T", "missing-derivative+wrong-sign"),
    ("2-2-2", "W2", "latex", r"-2 \delta^{(2)} (a^{(1)})^T", "wrong-sign+factor-2"),
    ("2-2-2", "W1", "latex", r"\tfrac12 (W^{(2)T} \delta^{(2)}) x^T", "missing-derivative+factor-half"),
    ("beginner", "W1", "python",
     "((W2.T @ ((W3.T @ ((a3 - y) * a3 * (1 - a3))))) * a1 * (1 - a1)) @ x.T", "missing-derivative"),
    ("beginner", "W2", "python", "((W3.T @ delta3) * a2 * (1 - a2)) @ a2.T", "other-layer-activation"),
    ("understanding", "W3", "python", "(-y / a3 * a3 * (1 - a3)) @ a2.T", "softmax-elementwise"),
    ("understanding", "W3", "python", "((a3 - y) * a3 * (1 - a3)) @ a2.T", "softmax-extra-derivative"),
    ("understanding", "W2", "python", "(W3.T @ (a3 - y)) @ a1.T", "missing-derivative"),
    ("understanding", "W3", "python", "(y - a3) @ a2.T", "wrong-sign"),
    ("tanh-bce", "W1", "python", "((W2.T @ (a2 - y)) * (1 - z1**2)) @ x.T", "output-form-on-z"),
    ("tanh-bce", "W2", "python", "((a2 - y) * a2 * (1 - a2)) @ a1.T", "bce-extra-derivative"),
    ("square-sse", "W2", "python", "((a2 - y) * a2 * (1 - a2)) @ a1.T", "factor-half"),
    ("square-sse", "W1", "python", f"((W2 @ {OUT['square-sse']}) * a1 * (1 - a1)) @ x.T", "untransposed-weights"),
    ("square-sse", "W1", "python", f"x @ ((W2.T @ {OUT['square-sse']}) * a1 * (1 - a1)).T", "transposed"),
    ("mse-identity", "W2", "python", "(2 * (a2 - y)) @ a1.T", "mse-missing-1/n"),
    ("sigmoid-softmax-ce", "W2", "python", "(-y * (1 - a2)) @ a1.T", "softmax-elementwise"),
    ("sigmoid-softmax-ce", "W1", "python", "((W2.T @ (a2 - y)) * a1 * (1 - a1)) @ a1.T", "swapped-x-a1"),
    ("relu-softmax-sse", "b2", "python", "(a2 - y) * a2 * (1 - a2)", "softmax-elementwise"),
]


@pytest.mark.parametrize(("net", "wrt", "syntax", "formula"), CORRECT)
def test_correct_formulas_are_judged_correct(net, wrt, syntax, formula):
    verdict = verify(NETS[net], wrt, formula, syntax=syntax)
    assert verdict.correct, verdict.report()
    assert verdict.exit_code == 0
    assert verdict.counterexample is None


@pytest.mark.parametrize(("net", "wrt", "syntax", "formula", "diagnosis"), INCORRECT)
def test_incorrect_formulas_are_caught_and_diagnosed(net, wrt, syntax, formula, diagnosis):
    verdict = verify(NETS[net], wrt, formula, syntax=syntax)
    assert not verdict.correct
    assert verdict.exit_code == 1
    c = verdict.counterexample
    assert c is not None
    assert c.formula_value is not None and c.formula_value != pytest.approx(c.true_value, rel=1e-9)
    if diagnosis is None:
        assert verdict.diagnosis is None, verdict.report()
    else:
        assert verdict.diagnosis is not None, verdict.report()
        assert verdict.diagnosis.name == diagnosis, verdict.report()


def test_every_builtin_loss_appears_in_the_table():
    losses = {NETS[row[0]].loss.name for row in CORRECT + INCORRECT}
    assert {"half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy"} <= losses


def test_cheap_equalities_are_proved_symbolically():
    net = NETS["2-2-2"]
    assert verify(net, "W2", "delta2 @ a1.T").proof == "symbolic"
    assert verify(net, "W2[1,2]", "(a2_1 - y1) * a2_1 * (1 - a2_1) * a1_2").proof == "symbolic"
    # a = σ(z) must be substituted for this one: the second stage of the proof.
    assert verify(net, "W2", "((a2 - y) * exp(-z2) / (1 + exp(-z2))**2) @ a1.T").proof == "symbolic"
    # Heaviside(a) = Heaviside(z) for ReLU is beyond the cheap proof: the points decide.
    relu = Network.from_spec({"layers": [2, 2, 1], "activation": "relu", "output_activation": "sigmoid"})
    verdict = verify(relu, "W1", "((W2.T @ delta2) * relu_prime(z1)) @ x.T")
    assert verdict.correct and verdict.proof == "numeric"
    assert verdict.max_difference < 1e-30


def test_the_symbolic_proof_never_proves_a_wrong_formula():
    from symbackprop.verification import parse
    from symbackprop.verification.context import names_for
    from symbackprop.verification.equivalence import prove
    from symbackprop.verification.shapes import check

    net = NETS["2-2-2"]
    shapes = dict(names_for(net).shapes)
    for wrt, syntax, formula, _ in [row[1:] for row in INCORRECT if row[0] == "2-2-2" and "[" not in row[1]]:
        tree, _shape = check(parse(net, formula, syntax), shapes, syntax)
        assert not prove(tree, net.derive(), wrt, None), formula
    tree, _shape = check(parse(net, "delta1 @ x.T", "python"), shapes)
    assert prove(tree, net.derive(), "W1", None)


def test_a_formula_without_a_real_value_is_incorrect():
    verdict = verify(NETS["2-2-2"], "W1", "delta1 @ x.T * log(-1 + 0 * x1)")
    assert not verdict.correct
    assert verdict.counterexample.formula_value is None
    assert "the formula gives no real value" in verdict.report()
    assert verdict.diagnosis is None


def test_a_spec_dict_is_accepted():
    spec = {"layers": [2, 2, 2], "activation": "sigmoid"}
    assert verify(spec, "W2", "delta2 @ a1.T").correct


@pytest.mark.parametrize(("timer", "signum"), [("ITIMER_REAL", "SIGALRM"), ("ITIMER_PROF", "SIGPROF")])
def test_the_proof_timer_gives_back_a_running_timer(timer, signum):
    import signal

    timer, signum = getattr(signal, timer), getattr(signal, signum)
    fired = []
    previous = signal.signal(signum, lambda *args: fired.append(True))
    try:
        signal.setitimer(timer, 30)
        # A budget well above the proof's 0.1 s: CPU time counts every thread of the process
        # (a library's worker threads too), and the test is about the outer timer, not the budget.
        assert verify(NETS["2-2-2"], "W2", "delta2 @ a1.T", budget=10).proof == "symbolic"
        left, _ = signal.getitimer(timer)
        assert 20 < left <= 30.1  # a CPU timer counts in clock ticks
    finally:
        signal.setitimer(timer, 0)
        signal.signal(signum, previous)
    assert not fired


def test_the_proof_budget_counts_cpu_time_not_waiting(monkeypatch):
    # A loaded machine makes the proof wait for a core (here: sleep); the same proof is
    # found as on an idle one, since only the CPU time it uses counts against the budget.
    import time

    from symbackprop.verification import equivalence

    expand = equivalence._independent

    def after_a_wait(difference, derivation):
        time.sleep(0.3)
        return expand(difference, derivation)

    monkeypatch.setattr(equivalence, "_independent", after_a_wait)
    started = time.perf_counter()
    verdict = verify(NETS["2-2-2"], "W2", "delta2 @ a1.T", budget=0.5)
    assert time.perf_counter() - started > 0.5  # four entries, each after a wait
    assert verdict.proof == "symbolic"
