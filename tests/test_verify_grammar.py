"""The new grammar under fire: derivations, NumPy calls, keywords, index notation, masks.

Payloads written in the new syntax (statements, keyword arguments, ``np.``
attributes outside the allow-list, ``__class__``) are refused and run
nothing; random formulas built from the grammar's own pieces always end in a
verdict or one clear sentence; and a formula assembled from any mix of the
documented aliases of one correct gradient is judged correct (and incorrect
once a factor is dropped).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import models
from symbackprop.errors import SymbackpropError
from symbackprop.verification import verify

from .test_verify_security import assert_clean, no_evaluation, run

NET = models.two_two_two()
BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def payloads(path: str) -> list[tuple[str, str]]:
    return [
        ("python", f"dW1 = delta1 @ x.T\nimport os\nos.system('touch {path}')"),
        ("python", "import os; dW1 = delta1 @ x.T"),
        ("python", "from os import system"),
        ("python", f"g = __import__('os').system('touch {path}'); dW1 = delta1 @ x.T"),
        ("python", f"np = __import__('os'); dW1 = np.system('touch {path}')"),
        ("python", "__builtins__ = 1; dW1 = delta1 @ x.T"),
        ("python", "dW1 = np.linalg.inv(W1)"),
        ("python", "dW1 = np.__class__"),
        ("python", "dW1 = np.sum.__globals__"),
        ("python", f"dW1 = np.load('{path}')"),
        ("python", "dW1 = numpy.outer(delta1, x)"),
        ("python", "np.outer.__call__(delta1, x)"),
        ("python", "delta1.__class__"),
        ("python", f"np.sum(delta1 @ x.T, axis=0, out=open('{path}', 'w'))"),
        ("python", f"np.sum(delta1 @ x.T, where=open('{path}', 'w'))"),
        ("python", f"np.sum(delta1, axis=__import__('os').system('touch {path}'), keepdims=True)"),
        ("python", f"np.sum(delta1, axis=1, keepdims=open('{path}', 'w'))"),
        ("python", "np.outer(delta1, x, **{'a': 1})"),
        ("python", f"sigmoid(z1, key=open('{path}', 'w'))"),
        ("python", f"np.where(z1 > 0, open('{path}', 'w'), 0)"),
        ("python", "(z1 > 0).astype(float) @ x.T"),
        ("python", f"dW1 = delta1 @ x.T if (g := open('{path}', 'w')) else 0"),
        ("python", "del x"),
        ("python", "for i in x: pass"),
        ("python", f"with open('{path}', 'w') as f: pass"),
        ("python", "class A: pass"),
        ("python", "def f(): pass"),
        ("python", "global x"),
        ("python", "dW1 = (lambda: 1)()"),
        ("python", "dW1, db1 = delta1 @ x.T, delta1"),
        ("python", "x.T.__class__ = 1"),
        ("python", "_ = 1; dW1 = delta1 @ x.T"),
        ("python", "dW1 = delta1.dot.__self__"),
        ("python", "dW1 = x.transpose.__func__"),
        ("python", f"dW1 = delta1.dot(x.T, out=open('{path}', 'w'))"),
        ("python", f"dW1 = delta1.dot(open('{path}', 'w'))"),
        ("python", f"dW1 = x.transpose(open('{path}', 'w'))"),
        ("python", "dW1 = delta1.__class__.dot(x)"),
        ("python", f"dW1 = np.power(delta1, open('{path}', 'w'))"),
        ("python", "m = __import__('os'); dW1 = delta1 @ x.T"),
        ("latex", rf"g^{{[1]\prime}}(\input{{{path}}})"),
        ("latex", rf"n_{{\input{{{path}}}}}"),
        ("latex", rf"\delta^{{(1)}} x^T \\ \input{{{path}}}"),
        ("latex", rf"\begin{{verbatim}} \input{{{path}}} \end{{verbatim}}"),
        ("latex", rf"\begin{{aligned}} \write18{{touch {path}}} \end{{aligned}}"),
        ("latex", rf"\mathbb{{1}}[\input{{{path}}} > 0]"),
        ("latex", rf"\sum_{{j=1}}^{{\input{{{path}}}}} x_j"),
        ("latex", rf"\frac{{\partial L}}{{\partial \input{{{path}}}}}"),
        ("latex", rf"\nabla_{{\write18{{touch {path}}}}} C"),
        ("latex", rf"\operatorname{{\input}}{{{path}}}"),
        ("latex", rf"\delta^{{(1)}} = \immediate\write18{{touch {path}}}"),
    ]


def test_payloads_in_the_new_syntax_are_refused_and_run_nothing(tmp_path):
    target = tmp_path / "pwned"
    for syntax, formula in payloads(str(target)):
        status, out, err = run(formula, syntax)
        assert status == 2, (formula, out, err)
        assert_clean(status, out, err)
        assert not target.exists(), formula
        with pytest.raises(SymbackpropError), no_evaluation(formula):
            verify(NET, "W1", formula, syntax=syntax)
        assert not target.exists(), formula


# -- fuzzing: formulas built from the grammar's own pieces ------------------------------------------------

PY_ATOMS = ["x", "y", "W1", "W2", "b1", "a1", "z1", "a2", "z2", "delta1", "delta2", "dA1", "X", "A1", "Z2",
            "dZ2", "yhat", "2", "0.5", "x1", "w2_12"]
PY_UNARY = ["np.exp({})", "np.log({})", "np.tanh({})", "np.transpose({})", "np.diag({})", "sigmoid_prime({})",
            "leaky_relu_prime({})", "({} > 0)", "({} <= 0.5)", "np.sum({})", "np.sum({}, axis=1, keepdims=True)",
            "np.sum({}, axis=0, keepdims=True)", "{}.T", "-{}", "sech({})**2", "relu_prime({})",
            "np.square({})", "np.power({}, 2)", "{}.transpose()", "1/m * {}"]
PY_BINARY = ["{} @ {}", "{} * {}", "{} + {}", "{} - {}", "{} / {}", "np.outer({}, {})", "np.dot({}, {})",
             "np.matmul({}, {})", "np.multiply({}, {})", "np.where({} > 0, {}, 0.2)", "np.maximum({}, {})",
             "np.divide({}, {})", "np.add({}, {})", "np.subtract({}, {})", "{}.dot({})"]


def _expressions(atoms, unary, binary):
    return st.recursive(
        st.sampled_from(atoms),
        lambda inner: st.one_of(
            st.builds(lambda f, a: f.format(a), st.sampled_from(unary), inner),
            st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(binary), inner, inner),
        ),
        max_leaves=6,
    )


PY_EXPRESSIONS = _expressions(PY_ATOMS, PY_UNARY, PY_BINARY)
PY_TARGETS = st.sampled_from(["dZ2", "dA1", "dZ1", "dW1", "db1", "delta1", "g", "s", "A1", "Z1"])


@BOUNDED
@given(st.lists(st.tuples(PY_TARGETS, PY_EXPRESSIONS), min_size=1, max_size=4),
       st.sampled_from(["\n", "; "]))
def test_random_python_derivations(lines, separator):
    formula = separator.join(f"{target} = {expr}" for target, expr in lines)
    assert_clean(*run(formula, "python"))


LATEX_ATOMS = [r"x", r"y", r"W^{(2)}", r"W^2", r"W^{[2]}", r"W^{l+1}", r"\delta^{(2)}", r"\delta^{l+1}",
               r"a^{(1)}", r"a^1", r"a^{l}", r"a^{l-1}", r"z^{L}", r"\hat{y}", r"\nabla_a C",
               r"\frac{\partial L}{\partial z^{(2)}}", r"dZ^{[2]}", r"2", r"0.5", r"w^2_{jk}", r"\delta^2_j",
               r"a^1_k", r"x_k", r"z^1_j", r"y_j"]
LATEX_UNARY = [r"\sigma'({})", r"\sigma({})", r"\tanh({})", r"\operatorname{{sech}}^2({})", r"\mathrm{{diag}}({})",
               r"\mathbb{{1}}[{} > 0]", r"[{} \geq 0]", r"({})^T", r"({})^{{\top}}", r"\sum_j {}",
               r"\sum_{{k=1}}^{{n}} {}", r"\operatorname{{LReLU}}'({})", r"e^{{{}}}", r"\left({}\right)", r"-{}"]
LATEX_BINARY = [r"{} {}", r"{} \odot {}", r"{} \cdot {}", r"{} + {}", r"{} - {}", r"\frac{{{}}}{{{}}}"]
LATEX_EXPRESSIONS = _expressions(LATEX_ATOMS, LATEX_UNARY, LATEX_BINARY)
LATEX_TARGETS = st.sampled_from(["", r"\delta^{(1)} = ", r"\frac{\partial C}{\partial w^1_{jk}} = ",
                                 r"\frac{\partial L}{\partial W^{(1)}} = ", r"dZ^{[2]} = ", r"\delta^1_j = "])


@BOUNDED
@given(st.lists(st.tuples(LATEX_TARGETS, LATEX_EXPRESSIONS), min_size=1, max_size=3),
       st.sampled_from([r" \\ ", "\n", "; "]))
def test_random_latex_derivations(lines, separator):
    formula = separator.join(target + expr for target, expr in lines)
    assert_clean(*run(formula, "latex"))


# -- any mix of aliases of the right answer is right ----------------------------------------------------

W2T = [r"(W^{(2)})^T", r"W^{(2)T}", r"W^{[2]T}", r"(W^{2})^{\top}", r"(W^{l+1})^{\intercal}", r"(W_2)^T", "(W⁽²⁾)ᵀ"]
DELTA2 = [r"\delta^{(2)}", r"\delta^{2}", r"\delta^{[2]}", r"\delta^{l+1}", r"\frac{\partial L}{\partial z^{(2)}}",
          r"dZ^{[2]}", r"(\nabla_a C \odot \sigma'(z^L))", r"\frac{\partial E}{\partial z^{(2)}}", "δ⁽²⁾"]
SIGMA_PRIME = [r"\sigma'(z^{(1)})", r"a^{(1)} \odot (1 - a^{(1)})", r"\sigma(z^1) \odot (1 - \sigma(z^1))",
               r"\frac{e^{-z^{l}}}{(1 + e^{-z^{l}})^2}", r"a^{[1]}(1-a^{[1]})", r"g^{[1]\prime}(Z^{[1]})",
               r"A^{[1]} * (1 - A^{[1]})"]
X_T = [r"x^T", r"(a^{(0)})^{\top}", r"(a^0)^T", r"(a^{l-1})^T", r"x^{\mathsf{T}}", r"X^T", "xᵀ"]


@BOUNDED
@given(st.sampled_from(W2T), st.sampled_from(DELTA2), st.sampled_from(SIGMA_PRIME), st.sampled_from(X_T),
       st.booleans())
def test_any_mix_of_latex_aliases_is_judged_right(w2t, delta2, sigma_prime, x_t, drop):
    back = rf"\left({w2t} {delta2}\right)"
    formula = rf"\left({back} \odot {sigma_prime}\right) {x_t}"
    assert verify(NET, "W1", formula, syntax="latex", symbolic=False).correct, formula
    if drop:  # the same without σ' is wrong
        assert not verify(NET, "W1", rf"{back} {x_t}", syntax="latex", symbolic=False).correct


PY_W2T = ["W2.T", "np.transpose(W2)", "W2.transpose()"]
PY_DELTA2 = ["delta2", "dZ2", "(dA2 * sigmoid_prime(z2))", "((a2 - y) * a2 * (1 - a2))", "((AL - Y) * AL * (1 - AL))"]
PY_BACK = ["{w} @ {d}", "np.dot({w}, {d})", "np.matmul({w}, {d})", "{w}.dot({d})"]
PY_PRIME = ["sigmoid_prime(z1)", "A1 * (1 - A1)", "sigmoid(Z1) * (1 - sigmoid(Z1))", "np.exp(-z1) / (1 + np.exp(-z1))**2",
            "np.divide(np.exp(-z1), np.power(1 + np.exp(-z1), 2))", "np.subtract(A1, np.square(A1))"]
PY_TIMES = ["{a} * {b}", "np.multiply({a}, {b})"]
PY_OUTER = ["{d} @ x.T", "np.outer({d}, x)", "np.dot({d}, np.transpose(X))", "{d} @ a0.T", "1/m * np.dot({d}, x.transpose())"]


@BOUNDED
@given(st.sampled_from(PY_W2T), st.sampled_from(PY_DELTA2), st.sampled_from(PY_BACK), st.sampled_from(PY_PRIME),
       st.sampled_from(PY_TIMES), st.sampled_from(PY_OUTER), st.booleans())
def test_any_mix_of_python_aliases_is_judged_right(w2t, delta2, back, prime, times, outer, as_lines):
    delta1 = times.format(a=f"({back.format(w=w2t, d=delta2)})", b=f"({prime})")
    if as_lines:
        formula = f"dZ1 = {delta1}\ndW1 = {outer.format(d='dZ1')}"
    else:
        formula = outer.format(d=f"({delta1})")
    assert verify(NET, "W1", formula, symbolic=False).correct, formula


# -- latency: a verdict loads only what it needs ------------------------------------------------------------

HEAVY = ("numpy", "matplotlib", "rich", "symengine", "torch")


def test_a_verdict_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from symbackprop.cli import main\n"
        "try:\n"
        "    main(['verify', '--layers', '2,2,2', '--wrt', 'W1', '--formula', 'np.outer(delta1, x)'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_a_verdict_takes_well_under_a_second_over_the_import():
    # The issue asks for 0.5 s over `import symbackprop`; bench/verify_latency.py measures it.
    # Here only a bound five times wider, so a busy machine does not fail the suite.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    script = [sys.executable, "-m", "symbackprop", "verify", "--layers", "2,2,2", "--wrt", "W1",
              "--formula", "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T"]

    def wall(argv):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=env, timeout=120, check=False)
        return time.perf_counter() - start

    wall(script)  # bytecode caches
    base = min(wall([sys.executable, "-c", "import symbackprop"]) for _ in range(2))
    verdict = min(wall(script) for _ in range(2))
    assert verdict - base < 2.5, (verdict, base)
