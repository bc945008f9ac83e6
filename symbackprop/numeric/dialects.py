"""How each array library spells what the generated code needs: NumPy, PyTorch, JAX.

The code generator (:mod:`symbackprop.numeric.codegen`) writes the plan's rules
once; a :class:`Dialect` says how the array library at hand calls them — its
module name, how a row maximum is taken, and the SymPy printer that turns the
registries' elementwise expressions (activations, losses and their
derivatives) into calls of that library.  The NumPy dialect is the compiled
gradient's; the PyTorch and JAX dialects are what ``symbackprop export``
writes.  Nothing here is mathematics: each printer maps the same SymPy
expression to the same function of another library.

>>> import sympy
>>> t = sympy.Symbol("Z1", real=True)
>>> for dialect in (NUMPY, TORCH, JAX):
...     print(dialect.printer().doprint(sympy.Max(0, t)), "|",
...           dialect.printer().doprint(sympy.Piecewise((1, t > 0), (0.01, True))))
numpy.maximum(Z1, 0) | numpy.where((Z1 > 0), 1, 0.01)
torch.relu(Z1) | torch.where((Z1 > 0), 1, torch.full_like(Z1, 0.01))
jax.nn.relu(Z1) | jnp.where((Z1 > 0), 1, 0.01)
>>> TORCH.printer().doprint(sympy.sqrt(2) * t)
'1.4142135623730951*Z1'
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.printing.numpy import _numpy_known_constants, _numpy_known_functions

from ..errors import UnsupportedError
from ..tensor import Op
from .stable import ArrayPrinter, Sigmoid, Softplus


def _renamed(table: dict[str, str], module: str) -> dict[str, str]:
    """NumPy's function table with ``numpy.`` replaced by ``module.`` (the names agree)."""
    return {name: f"{module}.{value.split('.', 1)[1]}" for name, value in table.items()}


def _relu_or(printer: ArrayPrinter, expr: sympy.Expr, relu: str | None, pair: str, clamp: str) -> str:
    """max/min of the arguments: ``relu(u)`` for max(u, 0), ``pair`` of two arrays, ``clamp`` to a number."""
    numbers = [arg for arg in expr.args if arg.is_Number]
    others = [arg for arg in expr.args if not arg.is_Number]
    if relu is not None and numbers == [sympy.S.Zero] and len(others) == 1:
        return f"{relu}({printer._print(others[0])})"
    text = printer._print(others[0])
    for arg in others[1:]:
        text = f"{pair}({text}, {printer._print(arg)})"
    for number in numbers:
        text = f"{clamp}({text}, {printer._print(number)})"
    return text


class _OtherLibrary(ArrayPrinter):
    """The NumPy printer for another array library, whose function names agree with NumPy's.

    A subclass names its module and its logistic and error functions.
    Subexpressions without a symbol (√2, π, log 2) print as float literals:
    torch's functions take tensors, not Python numbers (``torch.sqrt(2)`` is an
    error), and a literal keeps the dtype of the array it multiplies.
    """

    sigmoid = ""
    erf = ""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._kf = _renamed(_numpy_known_functions, cls._module)
        cls._kc = _renamed(_numpy_known_constants, cls._module)

    def _print(self, expr, **kwargs) -> str:
        if isinstance(expr, sympy.Expr) and not expr.is_Number and not expr.free_symbols:
            try:
                value = float(expr)
            except TypeError:
                return super()._print(expr, **kwargs)
            return repr(value) if value >= 0 else f"({value!r})"
        return super()._print(expr, **kwargs)

    def _print_Sigmoid(self, expr: Sigmoid) -> str:
        return f"{self.sigmoid}({self._print(expr.args[0])})"

    def _print_erf(self, expr: sympy.erf) -> str:
        return f"{self.erf}({self._print(expr.args[0])})"


class TorchArrayPrinter(_OtherLibrary):
    """PyTorch source for the elementwise expressions (``torch.exp``, ``torch.where``, …)."""

    _module = "torch"
    sigmoid = "torch.sigmoid"
    erf = "torch.erf"

    def _print_Softplus(self, expr: Softplus) -> str:
        u = self._print(expr.args[0])
        return f"torch.logaddexp({u}, torch.zeros_like({u}))"

    def _print_Max(self, expr: sympy.Max) -> str:
        # max(u, 0) is torch.relu, whose autograd derivative at 0 is 0 as in the derivation
        # (clamp_min's is 1); torch.maximum takes two tensors, so a number is clamped to.
        return _relu_or(self, expr, "torch.relu", "torch.maximum", "torch.clamp_min")

    def _print_Min(self, expr: sympy.Min) -> str:
        return _relu_or(self, expr, None, "torch.minimum", "torch.clamp_max")

    def _otherwise(self, value: sympy.Expr, expr: sympy.Piecewise) -> str:
        # torch.where of two Python numbers is a tensor of the default dtype (float32);
        # one operand shaped like the array, in its dtype, keeps the precision.
        if all(branch.is_Number for branch, _ in expr.args):
            array = self._print(sorted(expr.free_symbols, key=str)[0])
            return f"torch.full_like({array}, {self._print(value)})"
        return self._print(value)


class JaxArrayPrinter(_OtherLibrary):
    """JAX source for the elementwise expressions (``jnp.exp``, ``jax.nn.sigmoid``, …)."""

    _module = "jnp"
    sigmoid = "jax.nn.sigmoid"
    erf = "jax.scipy.special.erf"

    def _print_Max(self, expr: sympy.Max) -> str:
        # max(u, 0) is jax.nn.relu, whose derivative at 0 is 0 as in the derivation
        # (jnp.maximum splits the derivative of a tie in halves).
        return _relu_or(self, expr, "jax.nn.relu", "jnp.maximum", "jnp.maximum")



@dataclass(frozen=True)
class Dialect:
    """One array library: its module name in generated code, its row maximum, its printer.

    A layer's own operation (:class:`symbackprop.tensor.Op`) brings its call in
    each library the way it brings its NumPy one: ``op.numpy(args)`` and the
    helper functions ``op.helpers``; ``op.torch(args)`` and ``op.torch_helpers``;
    ``op.jax(args)`` and ``op.jax_helpers`` — or ``portable = True`` when its
    NumPy call uses only what the three libraries' arrays share.
    """

    name: str
    module: str
    printer: type[ArrayPrinter]
    library: str
    imports: tuple[str, ...]  # import lines inside a helper function, dropped when it is copied
    row_max: str = ".max(axis=1, keepdims=True)"
    # What the functions of a network with dropout take for its masks, and their docstrings' line on it.
    dropout: tuple[str, str] = (
        "seed=0", "seed: the dropout masks are drawn from it (the same seed, the same masks); None: no dropout."
    )

    def call(self, function: str, *args: str) -> str:
        """``module.function(args)``: a function of the array library."""
        return f"{self.module}.{function}({', '.join(args)})"

    def operation(self, node: Op, args: list[str]) -> tuple[str, tuple]:
        """The call of a layer's operation in this library, and the helper functions it calls."""
        if self.name == "numpy" or node.portable:
            return node.numpy(args), node.helpers
        form = getattr(node, self.name, None)
        if form is None:
            what = (type(node).__doc__ or "").strip().splitlines()[0].rstrip(".")
            raise UnsupportedError(
                f"the {self.library} export has no form yet for {type(node).__name__} ({what}); "
                "this network compiles to NumPy (net.compile(), symbackprop train), not to "
                f"{self.library}"
            )
        return form(args), getattr(node, f"{self.name}_helpers", ())


NUMPY = Dialect("numpy", "numpy", ArrayPrinter, "NumPy", ("import numpy",))
# An export's caller draws the masks with its library's random numbers (the Model, or from a key).
_GIVEN_MASKS = ("masks=None", "masks: the dropout masks by name (DROPOUT), 0 or 1/(1 − p) per entry; None: no dropout.")
# Tensor.max(dim) returns values and indices; amax returns the values.
TORCH = Dialect("torch", "torch", TorchArrayPrinter, "PyTorch", ("import torch",),
                row_max=".amax(dim=1, keepdim=True)", dropout=_GIVEN_MASKS)
JAX = Dialect("jax", "jnp", JaxArrayPrinter, "JAX", ("import jax", "import jax.numpy as jnp"),
              dropout=_GIVEN_MASKS)
DIALECTS = {dialect.name: dialect for dialect in (NUMPY, TORCH, JAX)}
