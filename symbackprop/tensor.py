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

Shape = tuple[int, ...]


class Tensor:
    """A node of a tensor expression: a matrix (a column for per-sample vectors), or an
    array of more axes for the layers of images (C, H, W) and their kernels."""

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
    """A named quantity: a parameter (W⁽ˡ⁾, b⁽ˡ⁾) or a per-sample column (x, y, z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾).

    ``rows`` × ``cols`` for a matrix or a column; ``dims`` instead for an array
    of other than two axes: an image (C, H, W), a conv kernel (C', C, k, k),
    a bias of a conv layer (C',) — see :func:`quantity`.
    """

    name: Name
    rows: int
    cols: int = 1
    dims: tuple[int, ...] | None = None

    @property
    def shape(self) -> Shape:
        return self.dims if self.dims is not None else (self.rows, self.cols)

    @property
    def is_matrix(self) -> bool:
        """True for a matrix or a column (two axes), which the linear glue works on."""
        return self.dims is None


def quantity(name: Name, shape: tuple[int, ...]) -> Quantity:
    """The quantity of ``shape``: a column for (n,), a matrix for (m, n), else an array.

    >>> quantity(Name("a", 1), (3,)).shape, quantity(Name("a", 1), (2, 4, 4)).shape
    ((3, 1), (2, 4, 4))
    """
    if len(shape) == 1:
        return Quantity(name, shape[0])
    if len(shape) == 2:
        return Quantity(name, shape[0], shape[1])
    return Quantity(name, 0, 0, tuple(shape))


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


class Op(Tensor):
    """A layer's own operation (a convolution, a pooling, a reshape), as one node.

    Unlike the linear glue and the activation pieces, an Op carries its meaning
    with it, so a new kind of layer needs no new method in any back end: every
    back end has one ``_visit_Op`` that asks the node.

    * ``args``: the tensor expressions it reads (quantities, or rules);
    * ``shape``: the shape of its per-sample result;
    * ``compute(*arrays)``: the batch NumPy form — arrays with a leading batch
      axis for per-sample quantities, without one for parameters; written with
      NumPy operations that also work on object arrays of SymPy expressions,
      which is how the symbolic engine evaluates it (``symbolic`` overrides
      that where it cannot, as for max);
    * ``helpers``: the module-level functions ``compute`` calls, whose source
      the code generator copies into the generated module;
    * ``numpy(args)``: the generated call on array names (and on the printed
      ``functions``, when the op applies an activation inside);
    * ``torch(args)``, ``jax(args)`` and ``torch_helpers``, ``jax_helpers``: the
      same for an export (:mod:`symbackprop.numeric.dialects`), or
      ``portable = True`` when the NumPy call uses only what PyTorch and JAX
      arrays share (methods such as ``reshape``, operators);
    * ``display(args)``: a printable SymPy object (:mod:`symbackprop.display`);
    * ``show(args)``: a short one-line text.
    """

    __slots__ = ()
    summed_over_batch = False  # True when compute() already sums over the batch (∂L/∂W of a conv)
    # True when formula() also holds on a batch of images, each a matrix with one row per channel
    # and one column per sample and position (batch norm of an image; verification/grid.py)
    channel_rows = False

    @property
    def per_batch(self) -> bool:
        """True when the result is one value for the whole batch, not one per sample: a sum over
        the batch, or a statistic of it (batch norm's mean and deviation)."""
        return self.summed_over_batch
    portable = False  # True when numpy() is also the PyTorch and JAX call

    @property
    def args(self) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def compute(self, *arrays: Any) -> Any:
        raise NotImplementedError

    def symbolic(self, *arrays: Any) -> Any:
        """The per-sample result on object arrays of SymPy expressions (one sample, no batch axis)."""
        batched = [a if self._is_parameter(k) else a[None] for k, a in enumerate(arrays)]
        out = self.compute(*batched)
        return out if self.summed_over_batch else out[0]

    def _is_parameter(self, position: int) -> bool:
        arg = self.args[position]
        return isinstance(arg, Quantity) and arg.name.is_parameter

    helpers: tuple[Any, ...] = ()
    # Activations the op applies inside its own computation (an RNN's σ, in its loop over time):
    # the code generator passes each as a function after the arrays, printed from its SymPy form.
    functions: tuple[Any, ...] = ()

    def numpy(self, args: list[str]) -> str:
        raise NotImplementedError

    def display(self, args: list[Any]) -> Any:
        raise NotImplementedError

    def show(self, args: list[str]) -> str:
        return f"{type(self).__name__.lower()}({', '.join(args)})"

    def operand_shapes(self) -> tuple[Shape, ...]:
        """The shapes of the operands as printed (for the shape notes of the matrix level)."""
        return tuple(arg.shape for arg in self.args)

    # Positions in operand_shapes() of the operands joined to the one before by ⊙ (γ ⊙ x̂),
    # not by a matrix product: the shape note prints (2×1) ⊙ (2×1) rather than (2×1)(2×1).
    elementwise_operands: tuple[int, ...] = ()

    def formula(self, args: list[Any], f: Any) -> Any:
        """The operation as a formula a person may type to ``verify``, built from the operands'
        formulas ``args`` with ``f`` (:class:`symbackprop.verification.reference.Formulas`):
        ``f("correlate", args[1], args[0])`` names a function of docs/verify.md.  None where
        the notation has no such formula (several channels, a stride)."""
        return None

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        """The classic mistakes made in this operation, as (name, one sentence, formula)."""
        return ()

    def sample(self, draw: Any) -> tuple[Any, ...] | None:
        """The entries of an operation whose value is drawn rather than computed (a dropout
        mask), made from ``draw()``, a number in [0, 1) each call: the exact values the layer
        uses, as fractions.  None for an operation that computes its value."""
        return None


GLUE = (Quantity, Transpose, MatMul, Add, Sub, Hadamard)
LOCAL = (Activate, Slope, LossValue, LossGradient, SoftmaxVJP, Op)
NODES = GLUE + LOCAL


@dataclass(frozen=True)
class Assignment:
    """``target = rule``: one quantity defined by a tensor expression.

    ``equation`` names a textbook equation (BP3, BP4); ``note`` is the short
    reason printed beside the step.
    """

    target: Quantity
    rule: Tensor
    equation: str = ""
    note: str = ""

    def __str__(self) -> str:
        return f"{self.target.name} = {self.rule}"


class Visitor:
    """Walks a tensor expression, dispatching on the node's class to ``_visit_<Class>``.

    The first match along the class's bases wins, so ``_visit_Op`` serves every
    layer operation.
    """

    def __call__(self, node: Tensor) -> Any:
        for cls in type(node).__mro__:
            method = getattr(self, f"_visit_{cls.__name__}", None)
            if method is not None:
                return method(node)
        raise TypeError(f"{type(self).__name__} cannot handle a {type(node).__name__}")


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

    def _visit_Op(self, node: Op) -> str:
        return node.show([self(arg) for arg in node.args])
