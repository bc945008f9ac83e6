"""Compiled gradient functions: Network -> fast, readable NumPy code.

``compile(network)`` generates matrix-level NumPy source from the network's
backpropagation plan (see :mod:`symbackprop.numeric.codegen`), executes it
once and wraps it in a :class:`CompiledGradient`:

>>> import numpy as np
>>> from symbackprop import models
>>> f = models.two_two_two().compile()
>>> params = {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array([0.35, 0.35]),
...           "W2": np.array([[0.40, 0.45], [0.50, 0.55]]), "b2": np.array([0.60, 0.60])}
>>> loss, grads = f(params, [[0.05, 0.10]], [[0.01, 0.99]])
>>> round(loss, 9), grads["W2"].shape
(0.298371109, (2, 2))
>>> print(f.source.splitlines()[0])
import math

``path="scalar"`` instead lambdifies the per-entry expressions of the
derivation with common-subexpression elimination (small networks only); the
tests check that both paths agree.
"""

from __future__ import annotations

import builtins
import linecache
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import count
from typing import TYPE_CHECKING, Any

import numpy as np

from ..batch import check_batch, check_inputs
from ..errors import DataError
from ..options import choose
from ..params import check_params
from ..symbolic import Symbolic
from .codegen import generate

if TYPE_CHECKING:
    from ..spec import Network

__all__ = ["CompiledGradient", "Trace", "compile", "execute_source"]

PATHS = ("matrix", "scalar")
_counter = count(1)


def execute_source(source: str, label: str) -> dict[str, Any]:
    """Run generated source in a fresh namespace, registered so ``inspect`` finds it."""
    filename = f"<symbackprop-{label}-{next(_counter)}>"
    # linecache lets inspect.getsource and tracebacks show the generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"numpy": np, "math": math}
    exec(builtins.compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace


@dataclass(frozen=True)
class Trace:
    """Every intermediate value of one forward and backward pass.

    ``z[l-1]``, ``a[l-1]`` and ``delta[l-1]`` are arrays (batch, nₗ) for layer l;
    ``delta`` is the per-sample error ∂Lᵢ/∂z⁽ˡ⁾ (not divided by the batch size);
    ``loss`` and ``grads`` are those of the batch mean.
    """

    z: tuple[np.ndarray, ...]
    a: tuple[np.ndarray, ...]
    delta: tuple[np.ndarray, ...]
    loss: float
    grads: dict[str, np.ndarray]


@dataclass(frozen=True, eq=False)
class CompiledGradient:
    """``f(params, X, Y) -> (loss, grads)`` for one network, from generated source.

    ``params`` maps names (W1, b1, …) to arrays of ``network.parameter_shapes()``;
    X is (batch, n0) and Y is (batch, nL) (a single sample may be 1-D); the loss
    is the mean of the per-sample losses and ``grads`` has the parameters'
    shapes.  Inputs are never modified.  ``source`` is the generated NumPy code.
    """

    network: Network
    source: str
    dtype: np.dtype
    path: str = "matrix"
    _functions: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- input checking --------------------------------------------------------

    def _inputs(self, params, X, Y=None):
        """The checks every caller gets: :func:`~symbackprop.params.check_params` and
        :func:`~symbackprop.batch.check_batch`, without copying arrays that already fit.

        Parameters may hold NaN or infinity (a diverging run makes them; the
        results then say so); samples may not.
        """
        p = check_params(params, self.network, dtype=self.dtype, copy=False, finite=False)
        if Y is None:
            return p, check_inputs(X, self.network, dtype=self.dtype, copy=False), None
        X, Y = check_batch(X, Y, self.network, dtype=self.dtype, copy=False)
        return p, X, Y

    def _cast(self, grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {name: np.asarray(g, dtype=self.dtype) for name, g in grads.items()}

    def _seed(self, seed: int | None) -> dict[str, Any]:
        """The seed of the dropout masks, for a network that has dropout (the others take none)."""
        return {"seed": seed} if self.network.stochastic else {}

    # -- the functions ---------------------------------------------------------

    @property
    def raw(self):
        """The generated ``gradient`` function itself, without input checks."""
        return self._functions["gradient"]

    def __call__(
        self, params: Mapping[str, Any], X: Any, Y: Any, *, seed: int | None = 0
    ) -> tuple[float, dict[str, np.ndarray]]:
        """(loss, grads); ``seed`` draws the dropout masks of a network with dropout (None: none)."""
        p, X, Y = self._inputs(params, X, Y)
        loss, grads = self._functions["gradient"](p, X, Y, **self._seed(seed))
        return float(loss), self._cast(grads)

    def loss(self, params: Mapping[str, Any], X: Any, Y: Any, *, seed: int | None = 0) -> float:
        """The batch loss (mean of the per-sample losses)."""
        p, X, Y = self._inputs(params, X, Y)
        return float(self._functions["loss"](p, X, Y, **self._seed(seed)))

    def forward(
        self, params: Mapping[str, Any], X: Any, *, seed: int | None = 0
    ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """(z, a): the pre-activations and activations of layers 1..L, each (batch, nₗ)."""
        self._require("forward")
        p, X, _ = self._inputs(params, X)
        return self._functions["forward"](p, X, **self._seed(seed))

    def predict(self, params: Mapping[str, Any], X: Any) -> np.ndarray:
        """The network's output a⁽ᴸ⁾ for every row of X (without dropout: as it is used)."""
        return self.forward(params, X, seed=None)[1][-1]

    def trace(self, params: Mapping[str, Any], X: Any, Y: Any, *, seed: int | None = 0) -> Trace:
        """Forward values, per-sample δ's, loss and gradients (for worked examples)."""
        self._require("trace")
        p, X, Y = self._inputs(params, X, Y)
        out = self._functions["trace"](p, X, Y, **self._seed(seed))
        return Trace(
            tuple(out["z"]),
            tuple(out["a"]),
            tuple(out["delta"]),
            float(out["loss"]),
            self._cast(out["grads"]),
        )

    def step(
        self, params: Mapping[str, Any], X: Any, Y: Any, lr: float, *, seed: int | None = 0
    ) -> tuple[float, dict[str, np.ndarray]]:
        """One gradient-descent step θ ← θ − lr ∂L/∂θ: (loss before the step, new parameters).

        The given parameters are not modified; the new ones are new arrays.
        """
        p, X, Y = self._inputs(params, X, Y)
        loss, grads = self._functions["gradient"](p, X, Y, **self._seed(seed))
        new = {name: np.asarray(p[name] - lr * grads[name], dtype=self.dtype) for name in p}
        return float(loss), new

    def _require(self, name: str) -> None:
        if name not in self._functions:
            raise NotImplementedError(
                f"the {self.path} path provides no {name}(); use path='matrix'"
            )

    @cached_property
    def complex_loss(self):
        """The loss as a function that accepts complex arrays (for complex-step checks)."""
        generated = generate(self.network, complex_safe=True)
        namespace = execute_source(generated.source, "complex")
        return namespace["loss"]

    @property
    def docstring(self) -> str:
        """The generated docstring of the gradient function: what it computes."""
        return self._functions["gradient"].__doc__ or ""


def compile(
    source: Network | Symbolic,
    dtype: Any = np.float64,
    path: str = "matrix",
) -> CompiledGradient:
    """Compile the gradients of a network (or of its derivation) into a :class:`CompiledGradient`.

    ``dtype`` is float64 by default; float32 on request.  ``path`` is
    ``"matrix"`` (NumPy generated from the backpropagation plan, over whole
    layers: the fast path) or ``"scalar"`` (lambdified per-entry expressions of
    the symbolic derivation, with cse; small networks).
    """
    derivation = source if isinstance(source, Symbolic) else None
    network = source.network if derivation is not None else source
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise DataError(f"dtype must be float64 or float32, got {dtype}")
    choose(path, PATHS, "compile path")
    if path == "scalar":
        from .scalar import compile_scalar

        text, functions = compile_scalar(derivation or Symbolic(network))
    else:
        generated = generate(network)
        namespace = execute_source(generated.source, "gradient")
        functions = {name: namespace[name] for name in generated.functions}
        text = generated.source
    return CompiledGradient(network, text, dtype, path, functions)
