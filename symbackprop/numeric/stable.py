"""Numerically stable forms of the expressions SymPy derives, and their printer.

SymPy writes the logistic function as ``1/(1 + exp(-t))`` and softplus as
``log(1 + exp(t))``.  Evaluated literally, ``exp`` overflows for |t| ≳ 710
(float64) or 89 (float32) and NumPy warns.  :func:`stabilize` rewrites such
patterns into functions that are evaluated without overflow:

* ``exp(m·u) / (1 + exp(u))^k`` (0 ≤ m ≤ k) → ``σ(u)^m σ(−u)^(k−m)``, which
  covers σ itself, σ' = e^{−t}/(1 + e^{−t})², softplus' = e^t/(1 + e^t) and the
  derivatives of custom activations such as t·σ(t);
* ``log(1 + exp(u))`` → ``softplus(u)``, evaluated as ``logaddexp(0, u)``;
* ``log(1 + u)`` → ``log1p(u)`` and ``exp(u) − 1`` → ``expm1(u)``, which keep
  their digits for small u.

The rewritten expressions are equal to the originals as functions; only the
way they are evaluated changes.  :class:`ArrayPrinter` prints them as NumPy
source; with ``complex_safe=True`` it prints forms that accept complex
arguments (for complex-step differentiation) instead of the stable ones.

>>> import sympy
>>> t = sympy.Symbol("t", real=True)
>>> stabilize(sympy.diff(1 / (1 + sympy.exp(-t)), t))
Sigmoid(-t)*Sigmoid(t)
>>> ArrayPrinter().doprint(stabilize(sympy.log(1 + sympy.exp(t))))
'numpy.logaddexp(0, t)'
>>> ArrayPrinter().doprint(sympy.Max(0, t))
'numpy.maximum(t, 0)'
"""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter


class Sigmoid(sympy.Function):
    """σ(u) = 1/(1 + e^{−u}), kept unevaluated so that it prints as a stable call."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sigmoid(self.args[0]) * Sigmoid(-self.args[0])

    def _eval_rewrite_as_exp(self, u: sympy.Expr, **kwargs) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-u))


class Softplus(sympy.Function):
    """softplus(u) = log(1 + e^u), kept unevaluated for the same reason."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, u: sympy.Expr, **kwargs) -> sympy.Expr:
        return sympy.log(1 + sympy.exp(u))


class Log1p(sympy.Function):
    """log(1 + u) for small u."""

    nargs = 1


class Expm1(sympy.Function):
    """e^u − 1 for small u."""

    nargs = 1


def _one_plus_exp(base: sympy.Expr) -> sympy.Expr | None:
    """u when ``base`` is 1 + exp(u), else None."""
    if base.is_Add and len(base.args) == 2:
        first, second = base.args
        if first == 1 and isinstance(second, sympy.exp):
            return second.args[0]
        if second == 1 and isinstance(first, sympy.exp):
            return first.args[0]
    return None


def _rewrite_product(factors: list[sympy.Expr]) -> list[sympy.Expr]:
    """Turn exp(m u) · (1 + exp(u))^(−k) inside one product into sigmoids."""
    out = list(factors)
    for index, factor in enumerate(out):
        if not (factor.is_Pow and factor.exp.is_Integer and factor.exp < 0):
            continue
        u = _one_plus_exp(factor.base)
        if u is None:
            continue
        k = int(-factor.exp)
        m = 0
        for other_index, other in enumerate(out):
            if other_index != index and isinstance(other, sympy.exp):
                ratio = sympy.simplify(other.args[0] / u)
                if ratio.is_Integer and 0 < ratio <= k:
                    m = int(ratio)
                    out[other_index] = sympy.Integer(1)
                    break
        out[index] = Sigmoid(u) ** m * Sigmoid(-u) ** (k - m)
    return out


def _denominator_kept(factor: sympy.Expr) -> sympy.Expr:
    if factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
        u = _one_plus_exp(factor.base)
        if u is not None:
            return sympy.Pow(1 + sympy.exp(stabilize(u)), factor.exp)
    return stabilize(factor)


def stabilize(expr: sympy.Expr) -> sympy.Expr:
    """The same function as ``expr``, in forms that evaluate without overflow."""
    if expr.is_Atom:
        return expr
    if expr.is_Mul:
        # Keep (1 + exp(u))^(−k) whole so that it can pair with an exp factor.
        # (Each factor is stabilized once, here: stabilizing the arguments first as
        # well would double the work at every product, exponential in the nesting.)
        factors = [_denominator_kept(arg) for arg in expr.args]
        return sympy.Mul(*_rewrite_product(factors))
    args = [stabilize(arg) for arg in expr.args]
    if isinstance(expr, sympy.log):
        (inner,) = args
        u = _one_plus_exp(inner)
        if u is not None:
            return Softplus(u)
        if isinstance(inner, Sigmoid):  # log σ(u) = −softplus(−u)
            return -Softplus(-inner.args[0])
        if inner.is_Add and 1 in inner.args:
            return Log1p(inner - 1)
        return sympy.log(inner)
    if expr.is_Pow:
        rewritten = _rewrite_product([expr.func(*args)])
        return rewritten[0]
    if expr.is_Add:
        if -1 in args:
            rest = [arg for arg in args if arg != -1]
            if len(rest) == 1 and isinstance(rest[0], sympy.exp):
                return Expm1(rest[0].args[0])
        return sympy.Add(*args)
    return expr.func(*args)


class ArrayPrinter(NumPyPrinter):
    """NumPy source for elementwise array expressions, with the stable forms.

    Every function prints as a NumPy ufunc call (``numpy.maximum`` rather than
    ``functools.reduce``, ``numpy.where`` rather than ``numpy.select``), so
    the output keeps the dtype and shape of its array arguments.  Calls go to
    ``_module``; the PyTorch and JAX printers of :mod:`symbackprop.numeric.dialects`
    subclass this one.
    """

    _default_settings = {**NumPyPrinter._default_settings, "complex_safe": False}

    def __init__(self, settings: dict | None = None):
        super().__init__({"fully_qualified_modules": True, **(settings or {})})
        self.helpers: set[str] = set()

    @property
    def complex_safe(self) -> bool:
        return bool(self._settings["complex_safe"])

    def _real(self, expr: sympy.Expr) -> str:
        text = self._print(expr)
        return f"numpy.real({text})" if self.complex_safe else text

    def _print_Sigmoid(self, expr: Sigmoid) -> str:
        if self.complex_safe:
            return f"(1/(1 + numpy.exp(-({self._print(expr.args[0])}))))"
        self.helpers.add("_sigmoid")
        return f"_sigmoid({self._print(expr.args[0])})"

    def _print_Softplus(self, expr: Softplus) -> str:
        if self.complex_safe:
            return f"numpy.log(1 + numpy.exp({self._print(expr.args[0])}))"
        return f"{self._module}.logaddexp(0, {self._print(expr.args[0])})"

    def _print_Log1p(self, expr: Log1p) -> str:
        return f"{self._module}.log1p({self._print(expr.args[0])})"

    def _print_Expm1(self, expr: Expm1) -> str:
        return f"{self._module}.expm1({self._print(expr.args[0])})"

    def _print_erf(self, expr: sympy.erf) -> str:
        self.helpers.add("_erf")
        return f"_erf({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: sympy.Heaviside) -> str:
        # H(u, 0): 1 where u > 0, else 0 — ReLU's derivative with relu'(0) = 0.
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.Rational(1, 2)
        inside = self._real(expr.args[0])
        if at_zero == 0:
            return f"({inside} > 0)"
        if at_zero == 1:
            return f"({inside} >= 0)"
        where = f"{self._module}.where"
        return f"{where}({inside} > 0, 1.0, {where}({inside} < 0, 0.0, {self._print(at_zero)}))"

    def _print_minmax(self, expr: sympy.Expr, ufunc: str, compare: str) -> str:
        args = list(expr.args)
        numbers = [arg for arg in args if arg.is_Number]
        others = [arg for arg in args if not arg.is_Number]
        if self.complex_safe:
            # max(u, v) as a branch on the real parts keeps the derivative of the
            # branch taken, which is what complex-step differentiation needs.
            text = self._print(others[0])
            for arg in others[1:] + numbers:
                other = self._print(arg)
                text = f"numpy.where(numpy.real({text}) {compare} numpy.real({other}), {text}, {other})"
            return text
        text = self._print(others[0])
        for arg in others[1:] + numbers:
            text = f"{self._module}.{ufunc}({text}, {self._print(arg)})"
        return text

    def _print_Max(self, expr: sympy.Max) -> str:
        # A tie takes the later (constant) argument: relu'(0) = 0, as in the derivation.
        return self._print_minmax(expr, "maximum", ">")

    def _print_Min(self, expr: sympy.Min) -> str:
        return self._print_minmax(expr, "minimum", "<")

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        *branches, (last_value, last_cond) = expr.args
        if last_cond != sympy.true:
            raise ValueError(f"cannot compile {expr}: its last branch has a condition")
        text = self._otherwise(last_value, expr)
        for value, cond in reversed(branches):
            text = f"{self._module}.where({self._print(cond)}, {self._print(value)}, {text})"
        return text

    def _otherwise(self, value: sympy.Expr, expr: sympy.Piecewise) -> str:
        """The value of the last branch of ``expr``, where every other condition fails."""
        return self._print(value)

    def _print_Relational(self, expr: sympy.core.relational.Relational) -> str:
        return f"({self._real(expr.lhs)} {expr.rel_op} {self._real(expr.rhs)})"

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, exp = expr.args
        if exp == -1:
            return f"1/{self.parenthesize(base, 1000)}"
        if exp.is_Integer and exp < 0:
            return f"1/{self.parenthesize(base, 1000)}**{-int(exp)}"
        if exp.is_Integer:
            return f"{self.parenthesize(base, 1000)}**{int(exp)}"
        return super()._print_Pow(expr, rational)


HELPERS = {
    "_sigmoid": '''# exp(t) is finite for t up to log(largest float): 709.78 in float64, 88.72 in float32.
_EXP_LIMIT = {numpy.dtype(numpy.float64): 708.0, numpy.dtype(numpy.float32): 87.0}


def _sigmoid(z):
    """The logistic function 1/(1 + e^-z), with -z capped so that exp never overflows.

    The cap only changes values below 1e-300 (float64) or 1e-38 (float32), which
    are 0 to working precision anyway; everywhere else 1/(1 + e^-z) keeps full
    relative precision.  One array is allocated and reused in place.
    """
    t = numpy.negative(z)
    numpy.minimum(t, _EXP_LIMIT.get(t.dtype, 708.0), out=t)
    numpy.exp(t, out=t)
    t += 1
    numpy.reciprocal(t, out=t)
    return t
''',
    "_erf": '''def _erf(z):
    """The error function entry by entry (NumPy has no ufunc for it)."""
    return numpy.vectorize(math.erf, otypes=[numpy.asarray(z).dtype])(z)
''',
}
