"""``maxpool2d`` and ``avgpool2d``: each channel's k×k windows reduced to their maximum or mean.

``{"type": "maxpool2d", "size": k}`` (stride = size unless ``stride`` is
given), on an image (C, H, W); no parameters.  With 1-based indices::

    max:      a[c,i,j] = max_{u,v=1..k} x[c, s(i−1)+u, s(j−1)+v]
    average:  a[c,i,j] = (1/k²) Σ_{u,v=1..k} x[c, s(i−1)+u, s(j−1)+v]

SymPy's derivative of the max is 1 for the entry that is the maximum and 0 for
the others, so backwards the max routes δ to the argmax of each window (the
first one on a tie, as PyTorch); the average spreads δ/k² over its window.

>>> import numpy
>>> X = numpy.array([[[[1.0, 3.0], [2.0, 0.0]]]])
>>> _maxpool(X, 2, 2), _maxpool_route(numpy.array([[[[5.0]]]]), X, _maxpool(X, 2, 2), 2, 2)[0, 0]
(array([[[[3.]]]]), array([[0., 5.],
       [0., 0.]]))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..display import Formula
from ..symbols import activation as activation_name
from ..tensor import Assignment, Op, Quantity, Tensor
from .base import (
    VERIFY,
    WORKSHEET,
    IndexRule,
    Layer,
    Reader,
    Rules,
    Shape,
    layer_quantities,
    shape_text,
)

# -- the NumPy forms ----------------------------------------------------------------------------


def _windows(X, k, stride):
    """The k×k windows of X (batch, C, H, W) at every output position: (batch, C, H', W', k, k), a view."""
    import numpy

    return numpy.lib.stride_tricks.sliding_window_view(X, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]


def _offsets(shape, k, stride):
    """For each offset (u, v) in a window, the slices of rows and columns it takes at every output position."""
    h, w = shape
    for offset in range(k * k):
        u, v = divmod(offset, k)
        yield slice(u, u + stride * (h - 1) + 1, stride), slice(v, v + stride * (w - 1) + 1, stride)


def _maxpool(X, k, stride):
    """a[n,c,i,j] = the maximum of the window of x at (i, j): one maximum per window offset (k²)."""
    import numpy

    size = ((X.shape[2] - k) // stride + 1, (X.shape[3] - k) // stride + 1)
    out = None
    for rows, cols in _offsets(size, k, stride):
        out = X[:, :, rows, cols].copy() if out is None else numpy.maximum(out, X[:, :, rows, cols], out=out)
    return out


def _maxpool_route(D, X, A, k, stride):
    """∂L/∂x: each window's δ routed to the entry that is its maximum A (the first, on a tie, as PyTorch)."""
    import numpy

    dX = numpy.zeros(X.shape, dtype=D.dtype)
    free = numpy.ones(D.shape, dtype=bool)  # windows whose maximum is not routed yet
    for rows, cols in _offsets(D.shape[2:], k, stride):
        first = free & (X[:, :, rows, cols] == A)
        free &= ~first
        dX[:, :, rows, cols] += first * D
    return dX


def _avgpool(X, k, stride):
    """a[n,c,i,j] = the mean of the window of x at (i, j)."""
    size = ((X.shape[2] - k) // stride + 1, (X.shape[3] - k) // stride + 1)
    out = 0
    for rows, cols in _offsets(size, k, stride):
        out = out + X[:, :, rows, cols]
    return out / (k * k)


def _avgpool_spread(D, size, k, stride):
    """∂L/∂x: each window's δ shared out equally, δ/k² to each of its entries."""
    import numpy

    dX = numpy.zeros((*D.shape[:2], *size), dtype=D.dtype)
    share = D / (k * k)
    for rows, cols in _offsets(D.shape[2:], k, stride):
        dX[:, :, rows, cols] += share
    return dX


# -- the PyTorch and JAX forms (copied into the modules symbackprop export writes) ---------------


def _maxpool_of(X, k, stride, maximum):
    """_maxpool with the library's elementwise ``maximum`` (torch.maximum, jnp.maximum), no out=."""
    size = ((X.shape[2] - k) // stride + 1, (X.shape[3] - k) // stride + 1)
    out = None
    for rows, cols in _offsets(size, k, stride):
        out = X[:, :, rows, cols] if out is None else maximum(out, X[:, :, rows, cols])
    return out


def _maxpool_route_torch(D, X, A, k, stride):
    """_maxpool_route in PyTorch: δ to the first maximum of each window."""
    import torch

    dX = torch.zeros_like(X)
    free = torch.ones_like(D, dtype=torch.bool)
    for rows, cols in _offsets(D.shape[2:], k, stride):
        first = free & (X[:, :, rows, cols] == A)
        free = free & ~first
        dX[:, :, rows, cols] += first * D
    return dX


def _maxpool_route_jax(D, X, A, k, stride):
    """_maxpool_route in JAX: δ to the first maximum of each window."""
    import jax.numpy as jnp

    dX = jnp.zeros_like(X)
    free = jnp.ones(D.shape, dtype=bool)
    for rows, cols in _offsets(D.shape[2:], k, stride):
        first = free & (X[:, :, rows, cols] == A)
        free = free & ~first
        dX = dX.at[:, :, rows, cols].add(first * D)
    return dX


def _avgpool_spread_torch(D, size, k, stride):
    """_avgpool_spread in PyTorch."""
    import torch

    h_out, w_out = D.shape[2:]
    # zeros shaped from D (not new ones), so that torch.func.vmap batches them with it
    dX = torch.nn.functional.pad(torch.zeros_like(D), (0, size[1] - w_out, 0, size[0] - h_out))
    share = D / (k * k)
    for rows, cols in _offsets(D.shape[2:], k, stride):
        dX[:, :, rows, cols] += share
    return dX


def _avgpool_spread_jax(D, size, k, stride):
    """_avgpool_spread in JAX."""
    import jax.numpy as jnp

    dX = jnp.zeros((*D.shape[:2], *size), dtype=D.dtype)
    share = D / (k * k)
    for rows, cols in _offsets(D.shape[2:], k, stride):
        dX = dX.at[:, :, rows, cols].add(share)
    return dX


# -- the operations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool(Op):
    """a = the maximum (or mean) of each k×k window of each channel."""

    x: Tensor
    size: int
    stride: int
    reduce: str  # "max" or "avg"

    @property
    def helpers(self) -> tuple[Any, ...]:  # type: ignore[override]
        return (_maxpool if self.reduce == "max" else _avgpool, _offsets)

    @property
    def torch_helpers(self) -> tuple[Any, ...]:
        return (_maxpool_of if self.reduce == "max" else _avgpool, _offsets)

    jax_helpers = torch_helpers

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x,)

    @property
    def shape(self) -> tuple[int, ...]:
        c, h, w = self.x.shape
        return (c, (h - self.size) // self.stride + 1, (w - self.size) // self.stride + 1)

    def compute(self, X: Any) -> Any:
        if self.reduce == "max":
            return _maxpool(X, self.size, self.stride)
        return _avgpool(X, self.size, self.stride)

    def symbolic(self, X: Any) -> Any:
        import numpy

        if self.reduce == "avg":
            return super().symbolic(X)
        windows = _windows(X[None], self.size, self.stride)[0]
        out = numpy.empty(windows.shape[:3], dtype=object)
        for index in numpy.ndindex(out.shape):
            out[index] = sympy.Max(*windows[index].ravel())
        return out

    def numpy(self, args: list[str], maximum: str = "") -> str:
        if self.reduce == "max" and maximum:
            return f"_maxpool_of({args[0]}, {self.size}, {self.stride}, {maximum})"
        return f"_{self.reduce}pool({args[0]}, {self.size}, {self.stride})"  # _avgpool is portable

    def torch(self, args: list[str]) -> str:
        return self.numpy(args, "torch.maximum")

    def jax(self, args: list[str]) -> str:
        return self.numpy(args, "jnp.maximum")

    def display(self, args: list[Any]) -> Any:
        return Formula(rf"\operatorname{{{self.reduce}pool}}_{{{self.size}}}\left({{0}}\right)", f"{self.reduce}pool_{self.size}({{0}})", *args)

    def show(self, args: list[str]) -> str:
        return f"{self.reduce}pool{self.size}({args[0]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        return f(f"{self.reduce}pool", args[0], self.size) if _expressible(self.x.shape, self.stride, self.size) else None


@dataclass(frozen=True)
class MaxRoute(Op):
    """∂L/∂x of a max pooling: δ routed to each window's maximum (``a``, the layer's output)."""

    delta: Quantity
    x: Quantity
    a: Quantity
    size: int
    stride: int

    helpers = (_maxpool_route, _offsets)
    torch_helpers = (_maxpool_route_torch, _offsets)
    jax_helpers = (_maxpool_route_jax, _offsets)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.x, self.a)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.x.shape

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.delta.shape, self.x.shape)

    def compute(self, D: Any, X: Any, A: Any) -> Any:
        return _maxpool_route(D, X, A, self.size, self.stride)

    def symbolic(self, D: Any, X: Any, A: Any = None) -> Any:
        import numpy

        # SymPy's own derivative of each window's Max: a product of Heaviside steps.
        windows = _windows(X[None], self.size, self.stride)[0]
        out = numpy.zeros(X.shape, dtype=object)
        k, s = self.size, self.stride
        for c, i, j in numpy.ndindex(D.shape):
            top = sympy.Max(*windows[c, i, j].ravel())
            for u in range(k):
                for v in range(k):
                    entry = X[c, s * i + u, s * j + v]
                    out[c, s * i + u, s * j + v] += D[c, i, j] * sympy.diff(top, entry)
        return out

    def numpy(self, args: list[str], form: str = "_maxpool_route") -> str:
        return f"{form}({args[0]}, {args[1]}, {args[2]}, {self.size}, {self.stride})"

    def torch(self, args: list[str]) -> str:
        return self.numpy(args, "_maxpool_route_torch")

    def jax(self, args: list[str]) -> str:
        return self.numpy(args, "_maxpool_route_jax")

    def display(self, args: list[Any]) -> Any:
        return Formula(
            r"\operatorname{route}_{\arg\max}\left({0}; {1}\right)", "route_argmax({0}; {1})", *args[:2]
        )

    def show(self, args: list[str]) -> str:
        return f"route_argmax({args[0]}, {args[1]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        if not _expressible(self.x.shape, self.stride, self.size):
            return None
        return f("route_argmax", args[0], args[1], self.size)

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        if not _expressible(self.x.shape, self.stride, self.size):
            return ()
        return (
            ("maxpool-spread",
             "δ spread to every entry of its window: max pooling passes each window's error only "
             "to the entry that is its maximum, route_argmax(δ, a), and 0 to the others",
             f("upsample", args[0], self.size)),
            ("maxpool-averaged",
             f"δ shared out as an average pooling would, δ/{self.size ** 2} to every entry: max "
             "pooling passes each window's error only to the entry that is its maximum",
             f.divide(f("upsample", args[0], self.size), self.size**2)),
        )


@dataclass(frozen=True)
class AverageSpread(Op):
    """∂L/∂x of an average pooling: δ/k² to every entry of its window."""

    delta: Quantity
    in_shape: tuple[int, ...]
    size: int
    stride: int

    helpers = (_avgpool_spread, _offsets)
    torch_helpers = (_avgpool_spread_torch, _offsets)
    jax_helpers = (_avgpool_spread_jax, _offsets)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta,)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.in_shape

    def compute(self, D: Any) -> Any:
        return _avgpool_spread(D, self.in_shape[1:], self.size, self.stride)

    def numpy(self, args: list[str], form: str = "_avgpool_spread") -> str:
        return f"{form}({args[0]}, {self.in_shape[1:]}, {self.size}, {self.stride})"

    def torch(self, args: list[str]) -> str:
        return self.numpy(args, "_avgpool_spread_torch")

    def jax(self, args: list[str]) -> str:
        return self.numpy(args, "_avgpool_spread_jax")

    def display(self, args: list[Any]) -> Any:
        return Formula(rf"\operatorname{{spread}}_{{{self.size}}}\left({{0}}\right) / {self.size ** 2}", f"spread_{self.size}({{0}})/{self.size ** 2}", *args)

    def show(self, args: list[str]) -> str:
        return f"spread{self.size}({args[0]})/{self.size ** 2}"

    def formula(self, args: list[Any], f: Any) -> Any:
        if not _expressible(self.in_shape, self.stride, self.size):
            return None
        return f.divide(f("upsample", args[0], self.size), self.size**2)

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        if not _expressible(self.in_shape, self.stride, self.size):
            return ()
        k2 = self.size**2
        return (
            ("avgpool-missing-1/k²",
             f"the 1/{k2} of the average is missing: each entry of a {self.size}×{self.size} window "
             f"gets δ/{k2}, upsample(δ, {self.size})/{k2}",
             f("upsample", args[0], self.size)),
        )


def _expressible(image: tuple[int, ...], stride: int, size: int) -> bool:
    """True when a formula can write the pooling with matrices: one channel, windows side by side."""
    return image[0] == 1 and stride == size


# -- the layers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool2d(Layer):
    """A pooling of an image (C, H, W) by k×k windows, ``stride`` apart (k by default)."""

    image: tuple[int, int, int]
    size: int
    stride: int

    reduce: ClassVar[str] = ""
    keys: ClassVar[tuple[str, ...]] = ("type", "size", "stride")
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})

    @property
    def in_shape(self) -> Shape:
        return self.image

    @property
    def out_shape(self) -> Shape:
        c, h, w = self.image
        return (c, (h - self.size) // self.stride + 1, (w - self.size) // self.stride + 1)

    def switch_margin(self, x: Any) -> float:
        if self.reduce != "max":
            return float("inf")
        import numpy

        windows = _windows(x[None], self.size, self.stride)[0]
        entries = windows.reshape(*windows.shape[:3], -1)
        gaps = []
        for index in numpy.ndindex(entries.shape[:3]):
            top = sorted(entries[index], reverse=True)
            gaps.append(top[0] - top[1])
        return min(gaps)

    def switches(self) -> tuple[Any, ...]:
        if self.reduce != "max":
            return ()
        k, stride = self.size, self.stride

        def argmax(X: Any) -> Any:
            n, c, h, w = X.shape[0], *self.out_shape
            return _windows(X, k, stride).reshape(n, c, h, w, k * k).argmax(axis=-1)

        return (argmax,)

    def describe(self) -> str:
        stride = f", stride {self.stride}" if self.stride != self.size else ""
        return f"{self.kind}({self.size}{stride})"

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "size": self.size}
        if self.stride != self.size:
            out["stride"] = self.stride
        return out

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> Pool2d | None:
        size = reader.whole("size")
        stride = reader.whole("stride", size if size is not None else 1)
        image = reader.image(in_shape)
        if image is not None and size is not None and size > min(image[1:]):
            reader.problem(f"size {size}×{size} is larger than its input {shape_text(image)}")
            return None
        if size is None or stride is None or image is None:
            return None
        return cls(image, size, stride)  # type: ignore[arg-type]

    def rules(self, index: int, prev: Quantity) -> PoolRules:
        q = layer_quantities(index, self.out_shape, with_activation=False)
        return PoolRules(index=index, layer=self, prev=prev, a=q["a"], delta=q["delta"])

    def index_rule(self, index: int) -> IndexRule:
        c, i, j, u, v = sympy.symbols("c i j u v", integer=True, positive=True)
        x = activation_name(index - 1).indexed()
        k, s = self.size, self.stride
        entry = x[c, s * (i - 1) + u, s * (j - 1) + v]
        if self.reduce == "avg":
            expr = sympy.Sum(entry, (u, 1, k), (v, 1, k)) / k**2
            textbook = {"a": rf"$\delta$ shared out equally: $\delta/{k * k}$ to each entry of its window"}
        else:
            expr = sympy.Max(*[entry.subs({u: uu, v: vv}) for uu in range(1, k + 1) for vv in range(1, k + 1)])
            textbook = {"a": r"$\delta$ routed to the maximum of each window (the argmax)"}
        return IndexRule(
            output=activation_name(index).indexed(),
            indices=(c, i, j),
            ranges=self.out_shape,
            expr=expr,
            inputs=((x, self.image, ("c", "m", "n")),),
            textbook=textbook,
        )


@dataclass(frozen=True)
class MaxPool2d(Pool2d):
    kind: ClassVar[str] = "maxpool2d"
    reduce: ClassVar[str] = "max"


@dataclass(frozen=True)
class AvgPool2d(Pool2d):
    kind: ClassVar[str] = "avgpool2d"
    reduce: ClassVar[str] = "avg"


@dataclass(frozen=True)
class PoolRules(Rules):
    """Layer l, a pooling: a = pool(a_prev); δ⁽ˡ⁾ = ∂L/∂a⁽ˡ⁾ goes back to each window."""

    @property
    def forward(self) -> tuple[Assignment, ...]:
        layer = self.layer
        what = "maximum" if layer.reduce == "max" else "mean"
        rule = Pool(self.prev, layer.size, layer.stride, layer.reduce)
        return (Assignment(self.a, rule, note=f"layer {self.index}: the {what} of each ${layer.size} \\times {layer.size}$ window"),)

    @property
    def input_gradient(self) -> Tensor:
        layer = self.layer
        if layer.reduce == "max":
            return MaxRoute(self.delta, self.prev, self.a, layer.size, layer.stride)
        return AverageSpread(self.delta, layer.image, layer.size, layer.stride)
