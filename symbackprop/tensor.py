"""Tensor expressions: the small language the backpropagation plan is written in.

A rule such as δ⁽ˡ⁾ = ((W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾) ⊙ σ'(z⁽ˡ⁾) is written once, for one
sample in the column-vector convention of the textbooks, as a tree of these
frozen nodes::

    (W.T @ delta) * Slope(sigma, z, a)

Every back end walks the same trees: the symbolic engine evaluates them entry
by entry (SymPy or SymEngine), the printers turn them into matrix equations,
the code generator into NumPy over a batch, the verifier into its reference
formulas.  Back ends subclass :class:`Visitor`, which dispatches on the node's
class to a ``_visit_<Class>`` method, as SymPy's printers do with ``_print_<Class>``.

The nodes are of two sorts.  *Linear glue* — :class:`Quantity`,
:class:`Transpose`, :class:`MatMul`, :class:`Add`, :class:`Sub`,
:class:`Hadamard` — has the same meaning everywhere.  *Local pieces* —
:class:`Activate`, :class:`Slope`, :class:`LossValue`, :class:`LossGradient`,
:class:`SoftmaxVJP` — carry what is nonlinear; their mathematics comes from
the activation and loss registries, where SymPy differentiated it once on a
generic symbol.  A new kind of layer that needs a new local piece adds one
class here and one ``_visit_`` method per back end; ``tests/test_backprop.py``
checks that no back end misses one.

>>> from symbackprop.symbols import weight, error
>>> W, delta = Quantity(weight(2), 1, 3), Quantity(error(2), 1, 1)
>>> (W.T @ delta).shape
(3, 1)
>>> str(W.T @ delta)
'W2.T @ delta2'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .activations import Activation
from .losses import Loss
from .symbols import Name

Shape = tuple[int, int]


class Tensor:
    """A node of a tensor expression: a matrix (a column for per-sample vectors)."""

    __slots__ = ()

    @property
    def shape(self) -> Shape:
        raise NotImplementedError

    @property
    def T(self) -> Tensor:  # noqa: N802 - the transpose, as in NumPy
        return Transpose(self)

    def __matmul__(self, other: Tensor) -> Tensor:
        return MatMul(self, other)

    def __mul__(self, other: Tensor) -> Tensor:
        return Hadamard(self, other)

    def __add__(self, other: Tensor) -> Tensor:
        return Add(self, other)

    def __sub__(self, other: Tensor) -> Tensor:
        return Sub(self, other)

    def __str__(self) -> str:
        return Show()(self)


# -- linear glue ------------------------------------------------------------------


@dataclass(frozen=True, eq=True)
class Quantity(Tensor):
    """A named quantity: a parameter (W⁽ˡ⁾, b⁽ˡ⁾) or a per-sample column (x, y, z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾)."""

    name: Name
    rows: int
    cols: int = 1

    @property
    def shape(self) -> Shape:
        return (self.rows, self.cols)


@dataclass(frozen=True)
class Transpose(Tensor):
    arg: Tensor

    @property
    def shape(self) -> Shape:
        rows, cols = self.arg.shape
        return (cols, rows)


@dataclass(frozen=True)
class _Binary(Tensor):
    left: Tensor
    right: Tensor

    def __post_init__(self) -> None:
        if self.left.shape != self.right.shape:
            raise ValueError(f"{type(self).__name__} of shapes {self.left.shape} and {self.right.shape}")

    @property
    def shape(self) -> Shape:
        return self.left.shape


@dataclass(frozen=True)
class MatMul(Tensor):
    """The matrix product."""

    left: Tensor
    right: Tensor

    def __post_init__(self) -> None:
        if self.left.shape[1] != self.right.shape[0]:
            raise ValueError(f"MatMul of shapes {self.left.shape} and {self.right.shape}")

    @property
    def shape(self) -> Shape:
        return (self.left.shape[0], self.right.shape[1])


@dataclass(frozen=True)
class Add(_Binary):
    """The sum of two matrices of one shape."""


@dataclass(frozen=True)
class Sub(_Binary):
    """The difference of two matrices of one shape."""


@dataclass(frozen=True)
class Hadamard(_Binary):
    """The entry-by-entry product ⊙."""


# -- local pieces -------------------------------------------------------------------


@dataclass(frozen=True)
class Activate(Tensor):
    """σ(arg): an elementwise activation entry by entry, or softmax of the whole column."""

    activation: Activation
    arg: Tensor

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True)
class Slope(Tensor):
    """σ'(z) entry by entry, for an elementwise activation.

    ``a`` = σ(z) is given too: where the activation's derivative is a function
    of its output (σ' = σ(1 − σ)), back ends may write it in a, as textbooks do.
    """

    activation: Activation
    z: Tensor
    a: Tensor

    def __post_init__(self) -> None:
        if not self.activation.elementwise:
            raise ValueError(f"{self.activation.name} is not elementwise: it has a Jacobian, not a slope")

    @property
    def shape(self) -> Shape:
        return self.z.shape

    @property
    def is_one(self) -> bool:
        """True when σ' is 1 everywhere (the identity): the factor can be left out."""
        return self.activation.derivative == 1


@dataclass(frozen=True)
class LossValue(Tensor):
    """The per-sample loss L = Σⱼ ℓ(aⱼ, yⱼ), a 1×1 matrix."""

    loss: Loss
    a: Tensor
    y: Tensor

    @property
    def shape(self) -> Shape:
        return (1, 1)


@dataclass(frozen=True)
class LossGradient(Tensor):
    """∇ₐL = (∂ℓ/∂a (aⱼ, yⱼ))ⱼ, with ∂ℓ/∂a differentiated once by SymPy."""

    loss: Loss
    a: Tensor
    y: Tensor

    @property
    def shape(self) -> Shape:
        return self.a.shape


@dataclass(frozen=True)
class SoftmaxVJP(Tensor):
    """Jᵀ g for the softmax Jacobian J = diag(a) − a aᵀ at the output a = softmax(z).

    Entry j is Σᵢ gᵢ ∂aᵢ/∂zⱼ = Σᵢ gᵢ aᵢ(δᵢⱼ − aⱼ); since J is symmetric it also
    equals a ⊙ g − a (aᵀ g), which is how a back end computes it without J.
    """

    a: Tensor
    upstream: Tensor

    @property
    def shape(self) -> Shape:
        return self.a.shape


GLUE = (Quantity, Transpose, MatMul, Add, Sub, Hadamard)
LOCAL = (Activate, Slope, LossValue, LossGradient, SoftmaxVJP)
NODES = GLUE + LOCAL


class Visitor:
    """Walks a tensor expression, dispatching on the node's class to ``_visit_<Class>``."""

    def __call__(self, node: Tensor) -> Any:
        method = getattr(self, f"_visit_{type(node).__name__}", None)
        if method is None:
            raise TypeError(f"{type(self).__name__} cannot handle a {type(node).__name__}")
        return method(node)


class Show(Visitor):
    """A short one-line form, for reprs and error messages: ``W2.T @ delta2``."""

    def _visit_Quantity(self, node: Quantity) -> str:
        return str(node.name)

    def _visit_Transpose(self, node: Transpose) -> str:
        return f"{self._inner(node.arg)}.T"

    def _inner(self, node: Tensor) -> str:
        text = self(node)
        return f"({text})" if isinstance(node, _Binary | MatMul) else text

    def _binary(self, node: Any, op: str) -> str:
        return f"{self._inner(node.left)} {op} {self._inner(node.right)}"

    def _visit_MatMul(self, node: MatMul) -> str:
        return self._binary(node, "@")

    def _visit_Add(self, node: Add) -> str:
        return self._binary(node, "+")

    def _visit_Sub(self, node: Sub) -> str:
        return self._binary(node, "-")

    def _visit_Hadamard(self, node: Hadamard) -> str:
        return self._binary(node, "*")

    def _visit_Activate(self, node: Activate) -> str:
        return f"{node.activation.name}({self(node.arg)})"

    def _visit_Slope(self, node: Slope) -> str:
        return f"{node.activation.name}'({self(node.z)})"

    def _visit_LossValue(self, node: LossValue) -> str:
        return f"{node.loss.name}({self(node.a)}, {self(node.y)})"

    def _visit_LossGradient(self, node: LossGradient) -> str:
        return f"grad_a {node.loss.name}({self(node.a)}, {self(node.y)})"

    def _visit_SoftmaxVJP(self, node: SoftmaxVJP) -> str:
        return f"softmax_vjp({self(node.a)}, {self(node.upstream)})"
