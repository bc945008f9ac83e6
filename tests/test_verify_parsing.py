"""Reading formulas: the Python-like and LaTeX notations, names, shapes and their messages."""

from __future__ import annotations

from fractions import Fraction

import pytest

from symbackprop import Network, models
from symbackprop.errors import ExpressionError, ShapeError, UnknownParameterError
from symbackprop.verification import parse, parse_wrt, verify
from symbackprop.verification.nodes import BinOp, Call, Name, Neg, Num, Transpose

NET = models.two_two_two()
BEGINNER = models.beginner()
WIDE = Network.from_spec({"layers": [2, 12, 1], "activation": "sigmoid"})


def latex(text, net=NET):
    return parse(net, text, "latex")


def python(text, net=NET):
    return parse(net, text, "python")


# -- names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("x", "x"), ("a0", "x"), ("yhat", "a2"), ("delta1", "delta1"), ("w2_12", "w2_12"),
     ("w2_1_2", "w2_12"), ("a0_2", "x2"), ("b1_2", "b1_2"), ("delta2_1", "delta2_1")],
)
def test_python_names_and_their_aliases(text, canonical):
    assert python(text) == Name(canonical)


def test_entry_names_of_a_wide_layer_use_underscores():
    assert python("w1_12_2", WIDE) == Name("w1_12_2")
    assert python("a1_12", WIDE) == Name("a1_12")
    with pytest.raises(ExpressionError, match="unknown name 'a1_13'"):
        python("a1_13", WIDE)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        (r"W^{(2)}", Name("W2")),
        (r"\delta^{(2)}", Name("delta2")),
        (r"a^{(0)}", Name("x")),
        (r"(W^{(2)})^T", Transpose(Name("W2"))),
        (r"(W^{(2)})^{\top}", Transpose(Name("W2"))),
        (r"W^{(2)T}", Transpose(Name("W2"))),
        (r"W^{(2)\top}", Transpose(Name("W2"))),
        (r"{W^{(2)}}^\intercal", Transpose(Name("W2"))),
        (r"x^{\mathsf{T}}", Transpose(Name("x"))),
        (r"W_2", Name("W2")),
        (r"\mathbf{W}^{(2)}", Name("W2")),
        (r"\boldsymbol{\delta}_{2}", Name("delta2")),
        (r"\hat{y}", Name("a2")),
        (r"w^{(2)}_{12}", Name("w2_12")),
        (r"w^{(2)}_{1,2}", Name("w2_12")),
        (r"w_{12}^{(2)}", Name("w2_12")),
        (r"a^{(1)}_2", Name("a1_2")),
        (r"\delta^{(2)}_{1}", Name("delta2_1")),
        (r"x_1", Name("x1")),
        (r"\delta^{(2)} a^{(1)T}", BinOp("product", Name("delta2"), Transpose(Name("a1")))),
        (r"a \cdot b", None),
        (r"x \odot x", BinOp("odot", Name("x"), Name("x"))),
        (r"x \cdot x^T", BinOp("product", Name("x"), Transpose(Name("x")))),
        (r"\sigma(z^{(1)})", Call("sigmoid", (Name("z1"),))),
        (r"\sigma'(z^{(1)})", Call("sigmoid_prime", (Name("z1"),))),
        (r"\sigma^{\prime}\left(z^{(1)}\right)", Call("sigmoid_prime", (Name("z1"),))),
        (r"\tanh'(z_1)", Call("tanh_prime", (Name("z1"),))),
        (r"\operatorname{ReLU}'(z^{(1)})", Call("relu_prime", (Name("z1"),))),
        (r"\mathrm{ReLU}(z^{(1)})", Call("relu", (Name("z1"),))),
        (r"\log a^{(2)}", Call("log", (Name("a2"),))),
        (r"\ln(a^{(2)})", Call("log", (Name("a2"),))),
        (r"e^{-z^{(1)}}", Call("exp", (Neg(Name("z1")),))),
        (r"\frac{1}{2}", BinOp("/", Num(Fraction(1)), Num(Fraction(2)))),
        (r"\frac12", BinOp("/", Num(Fraction(1)), Num(Fraction(2)))),
        (r"\left( x \right)", Name("x")),
        (r"0.25 \, x", BinOp("product", Num(Fraction(1, 4)), Name("x"))),
        (r"(1 - a^{(1)})^{2}", BinOp("**", BinOp("-", Num(Fraction(1)), Name("a1")), Num(Fraction(2)))),
        (r"\frac{\partial L}{\partial b^{(2)}} = \delta^{(2)}", Name("delta2")),
        ("δ^{(2)} (a^{(1)})ᵀ", BinOp("product", Name("delta2"), Transpose(Name("a1")))),
        ("σ′(z^{(1)}) ⊙ x", BinOp("odot", Call("sigmoid_prime", (Name("z1"),)), Name("x"))),
        ("1 − x", BinOp("-", Num(Fraction(1)), Name("x"))),
    ],
)
def test_latex_notation(text, tree):
    if tree is None:
        with pytest.raises(ExpressionError):
            latex(text)
    else:
        assert latex(text) == tree


def test_latex_and_python_give_the_same_verdicts():
    pairs = [
        (r"\left((W^{(2)})^T \delta^{(2)} \odot a^{(1)} \odot (1 - a^{(1)})\right) x^T",
         "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T"),
        (r"\left(W^{(2)T} \delta^{(2)} \odot \sigma(z^{(1)})\right) x^T", "((W2.T @ delta2) * sigmoid(z1)) @ x.T"),
    ]
    for tex, py in pairs:
        a, b = verify(NET, "W1", tex, syntax="latex"), verify(NET, "W1", py)
        assert a.correct == b.correct
        assert a.counterexample == b.counterexample
        assert a.diagnosis == b.diagnosis


# -- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.__class__", r"attribute \.__class__ is not allowed"),
        ("x[0]", "indexing"),
        ("lambda: x", "lambda"),
        ("[x for x in y]", "ListComp"),
        ("'x'", "not a number"),
        ("1j * x", "not a number"),
        ("True * x", "not a number"),
        ("sigmoid(x, y)", "exactly one argument"),
        ("sigmoid(x=y)", "one plain argument"),
        ("sigmoid(*x)", "one plain argument"),
        ("open('f')", "unknown function 'open'"),
        ("x.T.T()", "only plain function names"),
        ("x ** y", "exponent must be a plain number"),
        ("x ** 65", "larger than 64"),
        ("9**9**9**9", "exponent must be a plain number"),
        ("x < y < x", "a comparison is one of"),
        ("x == y", "a comparison is one of"),
        ("x if y else x", "if/else"),
        ("q + x", "unknown name 'q'; known names are x, y, W1, b1"),
        ("1e400 * x", "outside the accepted range"),
        ("x +", "invalid syntax"),
        ("", "empty"),
        ("x" + " + x" * 700, "characters; at most 2000"),
        ("(" * 250 + "x" + ")" * 250, "too many nested parentheses"),
        ("sigmoid(" * 150 + "x" + ")" * 150, "nests deeper than 100 levels"),
        ("-" * 1900 + "x", "nest"),
    ],
)
def test_python_refusals(text, message):
    with pytest.raises(ExpressionError, match=message):
        python(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # the slips of people who write formulas, each answered with its fix
        ("delta2 a1.T", r"two factors side by side at 'a1.T': write @ \(matrix product\) or \* \(elementwise\)"),
        ("2 delta2", "two factors side by side at 'delta2'"),
        ("delta2 * a1'", r"' is not a transpose here \(it is in MATLAB and Octave\): write .T"),
        ("delta2 @ a1^T", r"\^ is neither a power nor a transpose in Python: write \*\* for a power and .T"),
        ("delta[2] @ a[1].T", r"the layer is part of the name \(delta2, a1, W2\)"),
        ("(a⁽²⁾ − y) ⊙ σ′(z⁽²⁾)", r"looks like LaTeX or pasted math: choose the latex syntax \(--syntax latex\)"),
        (r"\delta^{(2)} a^{(1)T}", "choose the latex syntax"),
        ("(W2.T @ delta2)(z1 > 0)", r"\(W2.T @ delta2\)\(…\) reads as a call; between two factors write @"),
        ("delta2(a2 - y)", r"delta2\(…\) reads as a call of delta2; write delta2 \* \(…\)"),
        ("x % y", "the operator % is not allowed"),
        ("x.transpose(1)", r"\.transpose\(\) takes no arguments here"),
        ("x.dot(y, out=x)", r"\.dot\(\) takes one plain argument here"),
        ("np.power(x, y)", "exponent must be a plain number"),
    ],
)
def test_python_slips_are_named_with_their_fix(text, message):
    with pytest.raises(ExpressionError, match=message):
        python(text)


def test_methods_and_numpy_functions_mean_what_numpy_means():
    assert python("x.transpose()") == Transpose(Name("x"))
    assert python("W1.T.dot(x)") == BinOp("@", Transpose(Name("W1")), Name("x"))
    assert python("np.divide(x, y)") == BinOp("/", Name("x"), Name("y"))
    assert python("np.subtract(1, x)") == BinOp("-", Num(Fraction(1)), Name("x"))
    assert python("np.square(x)") == BinOp("**", Name("x"), Num(Fraction(2)))
    assert python("np.power(x, 3)") == BinOp("**", Name("x"), Num(Fraction(3)))
    assert python("1/m * x") == BinOp("*", BinOp("/", Num(Fraction(1)), Num(Fraction(1))), Name("x"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (r"\input{/etc/passwd}", r"unknown LaTeX command \\input"),
        (r"\partial L", r"\\partial is not understood here"),
        (r"\sum_j \delta_j", r"\\delta_\{j\} needs a layer"),
        (r"q^{(1)}", "unknown name 'q'"),
        (r"W^{(7)}", "unknown name 'W7'"),
        (r"(x", r"expected '\)'"),
        (r"x)", r"unexpected '\)'"),
        (r"$x$", "unexpected character"),
        (r"e^{e^{e^{x}}}", None),
        (r"x^{y}", "exponent must be a plain number"),
        (r"\frac{1}", "unexpected the end"),
        (r"\operatorname{foo}(x)", "unknown function 'foo'"),
        (r"\exp'(x)", "derivative exp' is not known"),
        (r"\frac{2}{n} x", r"n alone does not say what it counts.*write the number of units of the last layer as n_L"),
        (r"n_{7} x", r"n_\{7\}: this network has layers 0 to 2"),
        (r"g^{[3]\prime}(z^{[1]})", r"g\^\{\[3\]\}: this network has layers 1 to 2"),
        (r"g'(a^{(1)})", r"g needs its layer, as in g\^\{\[1\]\\prime\}\(z\^\{\[1\]\}\)"),
        (r"g^{[1]\prime} z^{[1]}", "g takes its argument in parentheses"),
        (r"\mathbb{1}\{z^{(1)} > 0]", r"expected \\\} but found '\]'"),
        ("{" * 200 + "x" + "}" * 200, "nests deeper"),
    ],
)
def test_latex_refusals(text, message):
    if message is None:
        latex(text)  # nested exponentials are allowed and evaluated safely
        return
    with pytest.raises(ExpressionError, match=message):
        latex(text)


# -- shapes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "text", "syntax", "message"),
    [
        (NET, "delta1 * x.T", "python", r"delta1 \* x.T multiplies a \(2, 1\) by a \(1, 2\) elementwise: did you mean @\?"),
        (BEGINNER, "delta2 * a1", "python", r"the formula gives a \(3, 1\) matrix but ∂L/∂W1 is a \(3, 2\); ∂L/∂W is a column times a row"),
        (BEGINNER, "W3 @ delta3", "python", r"multiplies a \(2, 3\) by a \(2, 1\): the inner sizes 3 and 2 differ; missing .T\?"),
        (NET, "delta1 @ x", "python", r"did you mean \* \(elementwise\) or missing .T\?"),
        (BEGINNER, "delta1 @ x", "python", r"inner sizes 1 and 2 differ"),
        (BEGINNER, "delta2 + x", "python", r"cannot add a \(3, 1\) and a \(2, 1\)"),
        (NET, "delta1 + x.T", "python", r"cannot add a \(2, 1\) and a \(1, 2\): missing .T\?"),
        (BEGINNER, "x @ delta1.T", "python", r"the formula gives a \(2, 3\) matrix but ∂L/∂W1 is a \(3, 2\); missing .T\?"),
        (BEGINNER, "sum(delta1)", "python", r"the formula gives one number but ∂L/∂W1 is a \(3, 2\) matrix"),
        (BEGINNER, "x.T @ x", "python", r"a row times a column is one number \(an inner product\); ∂L/∂W is a column times a row, δ @ a.T"),
        (BEGINNER, r"x^T x", "latex", r"∂L/∂W is a column times a row, δ a\^T"),
        (BEGINNER, r"W^{(3)} \delta^{(3)}", "latex", r"inner sizes 3 and 2 differ; missing \^T\?"),
        (NET, r"\delta^{(1)} \odot x^T", "latex", r"elementwise: did you mean juxtaposition"),
        (BEGINNER, "x @ 2", "python", "with a number; use \\* to scale"),
        # An index may be a sum (i+u-1, for the input under a kernel), but W has two of them.
        (NET, r"w^{(2)}_{j+k}", "latex", r"W2\[j\+k\] has 1 indices, but W2 is a matrix"),
    ],
)
def test_shape_mistakes_name_both_shapes_and_the_fix(net, text, syntax, message):
    with pytest.raises(ShapeError, match=message):
        verify(net, "W1", text, syntax=syntax)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("np.sum(delta2, axis=0, keepdims=True)", r"axis=0\) adds down each column.*the sum over samples, as in Ng's db, is axis=1"),
        ("np.sum(delta2)", r"a sum without an axis adds every entry.*np.sum\(…, axis=1, keepdims=True\)"),
    ],
)
def test_a_bias_summed_to_one_number_is_told_which_axis(formula, message):
    with pytest.raises(ShapeError, match=message):
        verify(NET, "b2", formula)


def test_softmax_layers_have_no_elementwise_g_prime():
    net = Network.from_spec({"layers": [2, 3, 3], "activation": "relu", "output_activation": "softmax",
                             "loss": "cross_entropy"})
    with pytest.raises(ExpressionError, match=r"layer 2's activation \(softmax\) cannot be written as g here"):
        verify(net, "b2", r"g^{[2]\prime}(z^{[2]})", syntax="latex")
    assert verify(net, "b1", r"W^{[2]T} dZ^{[2]} \odot g^{[1]\prime}(z^{[1]})", syntax="latex").correct


def test_juxtaposed_columns_of_equal_size_are_elementwise_in_latex():
    # a(1 - a) is the textbook way to write σ'(z) for a column.
    assert verify(NET, "b2", r"(a^{(2)} - y) a^{(2)} (1 - a^{(2)})", syntax="latex").correct


def test_scalar_mode_needs_a_number():
    with pytest.raises(ShapeError, match=r"is one number; use scalar names such as w1_11"):
        verify(NET, "W1[1,1]", "delta1 @ x.T")


@pytest.mark.parametrize(
    ("wrt", "expected"),
    [("W1", ("W1", None)), ("W2[1,2]", ("W2", (0, 1))), ("b1[2]", ("b1", (1, 0))), (" W2 [ 2 , 1 ] ", ("W2", (1, 0)))],
)
def test_wrt(wrt, expected):
    assert parse_wrt(NET, wrt) == expected


@pytest.mark.parametrize(
    ("wrt", "message"),
    [("W3", "unknown parameter 'W3'; this network has W1, b1, W2, b2"), ("W1[3,1]", "entries are numbered from 1"),
     ("W1[0,1]", "not an entry"), ("b1[1,1]", r"e.g. b1\[1\]"), ("W1[1]", r"e.g. W1\[1,1\]"), ("θ", "unknown parameter")],
)
def test_bad_wrt(wrt, message):
    with pytest.raises(UnknownParameterError, match=message):
        parse_wrt(NET, wrt)


def test_unknown_syntax():
    with pytest.raises(ExpressionError, match="unknown syntax 'tex'; expected python or latex"):
        verify(NET, "W1", "delta1 @ x.T", syntax="tex")
