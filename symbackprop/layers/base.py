"""What every kind of layer provides: its spec, and its entry in the backpropagation plan.

A kind of layer is one module of this package.  It defines

* a frozen spec (a subclass of :class:`Layer`): the fields a person writes in
  the list form, the shape it takes and the shape it gives, its parameters;
  ``read`` builds it from the spec's dict and reports every problem;
* its plan entry (a subclass of :class:`Rules`): the forward rule and the
  local backward rules as tensor expressions (:mod:`symbackprop.tensor`), with
  the layer's own operations as :class:`~symbackprop.tensor.Op` nodes that
  carry their NumPy form and how they print;
* its index-level rule (:class:`IndexRule`): the forward rule written with
  indexed symbols and sums, which SymPy differentiates for the printed
  derivation and the tests.

Nothing else in the package names a kind of layer: the plan, the symbolic
engine, the code generator and the printers read these entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..activations import Activation, activation
from ..errors import SpecError
from ..symbols import activation as activation_name
from ..symbols import bias, error, pre_activation, weight
from ..tensor import Assignment, Quantity, Slope, SoftmaxVJP, Tensor, quantity

Shape = tuple[int, ...]

# The commands a kind of layer may or may not be handled by, as Network.unsupported names them.
VERIFY, WORKSHEET = "verify", "a worksheet"


def count(shape: Shape) -> int:
    """The number of entries of an array of ``shape``."""
    out = 1
    for n in shape:
        out *= n
    return out


def shape_text(shape: Shape) -> str:
    """``2×6×6`` for (2, 6, 6); ``4`` for (4,)."""
    return "×".join(map(str, shape))


@dataclass(frozen=True)
class Layer:
    """One layer of the list form: the shape it takes, and what it makes of it.

    Subclasses add their own fields; ``in_shape`` is the shape of one sample at
    the layer's input (a vector (n,) or an image (C, H, W)).
    """

    kind: ClassVar[str] = ""
    keys: ClassVar[tuple[str, ...]] = ("type",)
    # The commands beyond derive, grad, check and train that handle this kind (VERIFY,
    # WORKSHEET); Network.unsupported names the kinds a command does not handle yet.
    handled_by: ClassVar[frozenset[str]] = frozenset()
    # Kinds with an activation or a bias declare them as fields; the others have none.
    # (Plain class attributes: an annotation here would put them before the fields of every kind.)
    activation = None
    bias = False
    # True for a kind that draws random numbers (dropout): compiled functions then take a seed.
    stochastic: ClassVar[bool] = False

    def unhandled(self, what: str) -> str | None:
        """How a sentence names this layer when ``what`` (VERIFY, WORKSHEET) does not handle it, or None."""
        return None if what in self.handled_by else self.kind

    @property
    def in_shape(self) -> Shape:
        raise NotImplementedError

    @property
    def out_shape(self) -> Shape:
        raise NotImplementedError

    def parameter_shapes(self, index: int) -> dict[str, Shape]:
        """The layer's parameters (named by role and position ``index``) and their shapes."""
        return {}

    def fans(self) -> tuple[int, int]:
        """(fan-in, fan-out) of one weight, for Glorot and He initialisation."""
        return (1, 1)

    def describe(self) -> str:
        raise NotImplementedError

    def to_spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def rules(self, index: int, prev: Quantity) -> Rules:
        raise NotImplementedError

    def index_rule(self, index: int) -> IndexRule | None:
        """The forward rule in index notation, for the printed derivation (None: none to show)."""
        return None

    def switch_margin(self, x: Any) -> float:
        """How far one sample's input ``x`` (an array of ``in_shape``) is from where the layer's
        rule switches branch — for a max pooling, the smallest gap between the two largest
        entries of a window; infinite for a rule without branches.  The verifier draws its
        points away from such places, as it does from the kink of a ReLU."""
        return float("inf")

    def index_derivation(self, index: int) -> IndexDerivation | None:
        """The layer's own printed index-level derivation, where one rule that SymPy collapses
        does not tell it (batch norm's graph μ, σ², x̂; the RNN's recursion over time); None:
        the generic one, from :meth:`index_rule`."""
        return None

    def switches(self) -> tuple[Callable[[Any], Any], ...]:
        """NumPy functions of the layer's batch input that change value where the layer's rule
        switches branch (a max-pooling window's argmax); gradient checks report such entries
        as kinks.  The activation's kinks are found from its expression, not here."""
        return ()


@dataclass(frozen=True)
class Rules:
    """A layer's entry in the plan: forward rule, local backward rules, parameter gradients.

    ``prev`` is what the layer reads (a⁽ˡ⁻¹⁾, x for the first layer), ``a`` what
    it gives (a⁽ˡ⁾) and ``delta`` its error δ⁽ˡ⁾: ∂L/∂z⁽ˡ⁾ for a layer with an
    activation, ∂L/∂a⁽ˡ⁾ for one without (a pooling, a reshape).  Back ends
    read only these fields and the three rules below.
    """

    index: int
    layer: Any
    prev: Quantity
    a: Quantity
    delta: Quantity

    z = None  # z⁽ˡ⁾, for kinds with an activation (a field of theirs)

    @property
    def activation(self) -> Activation | None:
        return self.layer.activation

    @property
    def parameters(self) -> tuple[Quantity, ...]:
        return ()

    @property
    def forward(self) -> tuple[Assignment, ...]:
        raise NotImplementedError

    def backward(self, upstream: Tensor) -> Tensor:
        """δ⁽ˡ⁾ from ``upstream`` = ∂L/∂a⁽ˡ⁾: here the same thing (no activation)."""
        return upstream

    @property
    def input_gradient(self) -> Tensor:
        """∂L/∂a⁽ˡ⁻¹⁾ in terms of δ⁽ˡ⁾: what this layer sends to the one below."""
        raise NotImplementedError

    @property
    def gradients(self) -> tuple[Assignment, ...]:
        """∂L/∂θ for each parameter θ of the layer, in terms of δ⁽ˡ⁾, in parameter order."""
        return ()

    @property
    def pre(self) -> Quantity:
        """z⁽ˡ⁾ where the layer has an activation, else a⁽ˡ⁾: the quantity δ⁽ˡ⁾ is taken for."""
        return self.z if self.z is not None else self.a


def activation_backward(act: Activation, z: Tensor, a: Tensor, upstream: Tensor) -> Tensor:
    """δ = ∂L/∂z from ``upstream`` = ∂L/∂a through a = σ(z): the activation's vector-Jacobian product.

    Elementwise: upstream ⊙ σ'(z), the factor left out where σ' = 1;
    softmax: Jᵀ upstream.
    """
    if not act.elementwise:
        return SoftmaxVJP(a, upstream)
    slope = Slope(act, z, a)
    return upstream if slope.is_one else upstream * slope


def layer_quantities(index: int, out_shape: Shape, with_activation: bool) -> dict[str, Quantity]:
    """a⁽ˡ⁾, δ⁽ˡ⁾ and (with an activation) z⁽ˡ⁾ of layer ``index``, in ``out_shape``."""
    out = {"a": quantity(activation_name(index), out_shape), "delta": quantity(error(index), out_shape)}
    if with_activation:
        out["z"] = quantity(pre_activation(index), out_shape)
    return out


def parameter_quantities(index: int, weight_shape: Shape, bias_shape: Shape | None) -> dict[str, Quantity | None]:
    """W⁽ˡ⁾ and b⁽ˡ⁾ (None without a bias) of layer ``index``."""
    return {
        "W": quantity(weight(index), weight_shape),
        "b": quantity(bias(index), bias_shape) if bias_shape is not None else None,
    }


# -- index notation ------------------------------------------------------------------


@dataclass(frozen=True)
class IndexRule:
    """A forward rule in index notation: ``output[indices] = expr`` for every index in ``ranges``.

    ``expr`` is a SymPy expression of :class:`sympy.Indexed` entries and
    :class:`sympy.Sum`; ``inputs`` are the indexed bases the rule reads,
    each with its shape and the names of its indices as printed, so that SymPy can differentiate it with respect to a
    generic entry of each (see :mod:`symbackprop.layers.indexed`).  Entries
    outside an input's shape are 0 (the padding of a convolution).  ``names``
    says how each base is written; ``textbook`` names the collapsed forms of
    the gradients (by base) as a textbook says them.
    """

    output: Any
    indices: tuple[Any, ...]
    ranges: tuple[int, ...]
    expr: Any
    inputs: tuple[tuple[Any, Shape, tuple[str, ...]], ...]  # (base, shape, index names)
    textbook: Mapping[str, str]
    note: str = ""


@dataclass(frozen=True)
class IndexDerivation:
    """A layer's printed derivation in index notation, made by the layer from SymPy's work.

    ``forward``: the steps of the forward rule, up to the entry ``output[indices]``
    that the layer's activation reads (z; None when the steps apply the
    activation themselves); ``errors``: the steps that give δ, where they are
    more than the activation's (an RNN's recursion over time); ``backward``:
    the steps after δ, each with the parameter it derives (``"gamma2"``), or
    ``""`` for the way to the layer's input; ``note``: how to read the indices.
    """

    forward: tuple[Any, ...]
    backward: tuple[tuple[str, Any], ...]
    output: Any
    indices: tuple[Any, ...]
    note: str = ""
    errors: tuple[Any, ...] = ()


# -- reading a layer from the list form -------------------------------------------------


class Reader:
    """Reads the fields of one layer's dict, collecting every problem into ``problems``.

    ``where`` names the layer in messages: ``layer 2 (conv2d)``.
    """

    def __init__(self, raw: Mapping[str, Any], where: str, keys: tuple[str, ...], problems: list[str]):
        self.raw, self.where, self.problems = raw, where, problems
        for key in raw:
            if key not in keys:
                problems.append(f"{where}: unknown key {key!r}; expected keys are {', '.join(keys)}")

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.where}: {text}")

    def whole(self, key: str, default: int | None = None, minimum: int = 1) -> int | None:
        """A whole number of at least ``minimum``; None (after a problem) when missing or wrong."""
        value = self.raw.get(key, default)
        if value is None:
            self.problem(f"{key!r} is missing; expected a whole number of at least {minimum}")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(f"{key!r} must be a whole number of at least {minimum}, got {value!r}")
            return None
        return value

    def activation(self, default: str = "identity") -> Activation | None:
        try:
            return activation(self.raw.get("activation", default))
        except SpecError as exc:
            self.problem("; ".join(exc.problems))
            return None

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{key!r} must be true or false, got {value!r}")
            return default
        return value

    def image(self, in_shape: Shape | None) -> Shape | None:
        """The input as an image (C, H, W), or None after a problem."""
        if in_shape is not None and len(in_shape) != 3:
            self.problem(
                f"takes an image (channels, height, width), but its input has shape "
                f"{shape_text(in_shape)}; give 'input' as [C, H, W]"
            )
            return None
        return in_shape

