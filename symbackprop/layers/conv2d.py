"""``conv2d``: a 2-D convolution layer (PyTorch's cross-correlation), z = W ⋆ a_prev + b, a = σ(z).

``{"type": "conv2d", "channels": C', "kernel": k, "stride": s, "padding": p,
"activation": …, "bias": true}``, on an image (C, H, W).  With 1-based
indices and entries outside the image taken as 0 (the padding)::

    z[c,i,j] = b[c] + Σ_{c'=1..C} Σ_{u=1..k} Σ_{v=1..k} W[c,c',u,v] x[c', s(i−1)+u−p, s(j−1)+v−p]

of shape (C', H', W') with H' = ⌊(H + 2p − k)/s⌋ + 1.  SymPy differentiates
that rule (:func:`symbackprop.layers.indexed.derivative`); collapsed, the
backward rules are the ones textbooks print:

* ∂L/∂W = δ ⋆ x, the correlation of δ with the input:
  ∂L/∂W[c,c',u,v] = Σ_{i,j} δ[c,i,j] x[c', s(i−1)+u−p, s(j−1)+v−p];
* ∂L/∂b[c] = Σ_{i,j} δ[c,i,j];
* ∂L/∂x = the full convolution of δ (spread out by the stride) with the
  flipped kernel: ∂L/∂x[c',m,n] = Σ_{c,i,j} δ[c,i,j] W[c,c',m+p−s(i−1), n+p−s(j−1)].

In NumPy the windows of x are gathered once (im2col, with
``sliding_window_view``) and every sum above is one matrix product.

>>> import numpy
>>> X = numpy.arange(16.0).reshape(1, 1, 4, 4)
>>> W = numpy.ones((1, 1, 2, 2))
>>> _correlate(_patches(X, 2, 2, 0), W, (2, 2))[0, 0]
array([[10., 18.],
       [42., 50.]])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..activations import Activation
from ..display import Formula
from ..symbols import activation as activation_name
from ..symbols import bias, pre_activation, weight
from ..tensor import Activate, Assignment, Op, Quantity, Tensor, quantity
from .base import (
    VERIFY,
    WORKSHEET,
    IndexRule,
    Layer,
    Reader,
    Rules,
    Shape,
    activation_backward,
    layer_quantities,
    shape_text,
)

# -- the NumPy forms (copied into the generated code; they also run on SymPy object arrays) --


def _patches(X, k, stride, padding):
    """im2col: the k×k window of every channel at every output position of X (batch, C, H, W).

    Returns (batch, C·k·k, H'·W'): row (c, u, v) holds x[c, s(i−1)+u−p, s(j−1)+v−p] for
    every output position (i, j), so that a convolution is one matrix product per sample.
    Gathered with one strided slice per kernel offset (k², not one per pixel).
    """
    import numpy

    if padding:
        X = numpy.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = X.shape
    h_out, w_out = (h - k) // stride + 1, (w - k) // stride + 1
    P = numpy.empty((n, c, k * k, h_out, w_out), dtype=X.dtype)
    for offset in range(k * k):
        u, v = divmod(offset, k)
        P[:, :, offset] = X[:, :, u : u + stride * (h_out - 1) + 1 : stride, v : v + stride * (w_out - 1) + 1 : stride]
    return P.reshape(n, c * k * k, h_out * w_out)


def _correlate(P, W, size):
    """z[n,c,i,j] = Σ_{c',u,v} W[c,c',u,v] x[n,c',s(i−1)+u−p,s(j−1)+v−p], from the patches P of x.

    Written with ``@`` and array methods only, so NumPy, PyTorch and JAX run it alike.
    """
    Z = W.reshape(W.shape[0], -1) @ P
    return Z.reshape(P.shape[0], W.shape[0], *size)


def _kernel_gradient(D, P, kernel_shape):
    """∂L/∂W = δ ⋆ x summed over the batch: Σ_{n,i,j} δ[n,c,i,j] x[n,c',s(i−1)+u−p,s(j−1)+v−p].

    Written with ``@`` and array methods only, so NumPy, PyTorch and JAX run it alike.
    """
    rows = D.reshape(D.shape[0], D.shape[1], -1)
    return (rows @ P.swapaxes(1, 2)).sum(axis=0).reshape(kernel_shape)


def _convolve_full(D, W, size, stride, padding):
    """∂L/∂x: δ (batch, C', H', W') convolved in full with the kernel, i.e. correlated with the flipped one.

    δ is spread out by the stride (zeros between its entries) and padded by k − 1 − p
    (plus the rows and columns the windows never reached), then correlated with the
    kernel rotated by 180° with its two channel axes swapped.
    """
    import numpy

    k = W.shape[-1]
    n, channels, h_out, w_out = D.shape
    spread = numpy.zeros((n, channels, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1), dtype=D.dtype)
    spread[:, :, ::stride, ::stride] = D
    edge = k - 1 - padding
    unreached = (size[0] + 2 * padding - k - (h_out - 1) * stride, size[1] + 2 * padding - k - (w_out - 1) * stride)
    padded = numpy.pad(spread, ((0, 0), (0, 0), (edge, edge + unreached[0]), (edge, edge + unreached[1])))
    flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    return _correlate(_patches(padded, k, 1, 0), flipped, size)


# -- the PyTorch and JAX forms (copied into the modules symbackprop export writes) ----------------


def _patches_torch(X, k, stride, padding):
    """im2col in PyTorch: unfold gathers the rows (c, u, v) that _patches does."""
    import torch

    return torch.nn.functional.unfold(X, k, padding=padding, stride=stride)


def _patches_jax(X, k, stride, padding):
    """im2col in JAX: the strided slice of every kernel offset, stacked as _patches stores them."""
    import jax.numpy as jnp

    if padding:
        X = jnp.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = X.shape
    h_out, w_out = (h - k) // stride + 1, (w - k) // stride + 1
    taken = [
        X[:, :, u : u + stride * (h_out - 1) + 1 : stride, v : v + stride * (w_out - 1) + 1 : stride]
        for u in range(k)
        for v in range(k)
    ]
    return jnp.stack(taken, axis=2).reshape(n, c * k * k, h_out * w_out)


def _convolve_full_torch(D, W, size, stride, padding):
    """∂L/∂x in PyTorch, step by step as _convolve_full: spread δ, pad, correlate with the flipped kernel."""
    import torch

    k = W.shape[-1]
    n, channels, h_out, w_out = D.shape
    # zeros shaped from D (not new ones), so that torch.func.vmap batches them with it
    spread = torch.nn.functional.pad(
        torch.zeros_like(D), (0, (w_out - 1) * (stride - 1), 0, (h_out - 1) * (stride - 1))
    )
    spread[:, :, ::stride, ::stride] = D
    edge = k - 1 - padding
    unreached = (size[0] + 2 * padding - k - (h_out - 1) * stride, size[1] + 2 * padding - k - (w_out - 1) * stride)
    padded = torch.nn.functional.pad(spread, (edge, edge + unreached[1], edge, edge + unreached[0]))
    flipped = torch.flip(W, (2, 3)).transpose(0, 1)
    return _correlate(_patches_torch(padded, k, 1, 0), flipped, size)


def _convolve_full_jax(D, W, size, stride, padding):
    """∂L/∂x in JAX, step by step as _convolve_full: spread δ, pad, correlate with the flipped kernel."""
    import jax.numpy as jnp

    k = W.shape[-1]
    n, channels, h_out, w_out = D.shape
    spread = jnp.zeros((n, channels, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1), dtype=D.dtype)
    spread = spread.at[:, :, ::stride, ::stride].set(D)
    edge = k - 1 - padding
    unreached = (size[0] + 2 * padding - k - (h_out - 1) * stride, size[1] + 2 * padding - k - (w_out - 1) * stride)
    padded = jnp.pad(spread, ((0, 0), (0, 0), (edge, edge + unreached[0]), (edge, edge + unreached[1])))
    flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    return _correlate(_patches_jax(padded, k, 1, 0), flipped, size)


# -- the operations of the plan ----------------------------------------------------------------


@dataclass(frozen=True)
class Patches(Op):
    """The windows of x (im2col), computed once and shared by the forward rule and ∂L/∂W."""

    x: Tensor
    kernel: int
    stride: int
    padding: int
    out_hw: tuple[int, int]

    cached = True  # the code generator names it once (P<l>) and reuses it
    helpers = (_patches,)
    torch_helpers = (_patches_torch,)
    jax_helpers = (_patches_jax,)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x,)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.x.shape[0] * self.kernel**2, self.out_hw[0] * self.out_hw[1])

    def compute(self, X: Any) -> Any:
        return _patches(X, self.kernel, self.stride, self.padding)

    def numpy(self, args: list[str], form: str = "_patches") -> str:
        return f"{form}({args[0]}, {self.kernel}, {self.stride}, {self.padding})"

    def torch(self, args: list[str]) -> str:
        return self.numpy(args, "_patches_torch")

    def jax(self, args: list[str]) -> str:
        return self.numpy(args, "_patches_jax")

    def display(self, args: list[Any]) -> Any:
        return args[0]  # printed as the input itself

    @property
    def channel_rows(self) -> bool:  # type: ignore[override]
        """A 1×1 kernel's windows are the input itself, in a batch of images too."""
        return _pointwise(self.kernel, self.stride, self.padding)

    def formula(self, args: list[Any], f: Any) -> Any:
        return args[0]

    def show(self, args: list[str]) -> str:
        return args[0]


@dataclass(frozen=True)
class Correlate(Op):
    """z = W ⋆ x + b: the cross-correlation of the input with each kernel, plus the channel's bias."""

    patches: Patches
    W: Quantity
    b: Quantity | None

    helpers = (_correlate,)
    portable = True  # _correlate is the same code in NumPy, PyTorch and JAX

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.patches, self.W) if self.b is None else (self.patches, self.W, self.b)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.W.shape[0], *self.patches.out_hw)

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.W.shape, self.patches.x.shape)

    def compute(self, P: Any, W: Any, b: Any = None) -> Any:
        Z = _correlate(P, W, self.patches.out_hw)
        return Z if b is None else Z + b[:, None, None]

    def numpy(self, args: list[str]) -> str:
        text = f"_correlate({args[0]}, {args[1]}, {self.patches.out_hw})"
        return text if self.b is None else f"{text} + {args[2]}[:, None, None]"

    def display(self, args: list[Any]) -> Any:
        if self.b is None:
            return Formula(r"{1} \star {0}", "{1} ⋆ {0}", *args[:2])
        return Formula(r"{1} \star {0} + {2}", "{1} ⋆ {0} + {2}", *args)

    def show(self, args: list[str]) -> str:
        return f"correlate({args[1]}, {args[0]})" + ("" if self.b is None else f" + {args[2]}")


@dataclass(frozen=True)
class KernelGradient(Op):
    """∂L/∂W = δ ⋆ x: the correlation of the layer's error with its input."""

    delta: Quantity
    patches: Patches
    kernel_shape: tuple[int, ...]

    helpers = (_kernel_gradient,)
    summed_over_batch = True
    portable = True

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.patches)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.kernel_shape

    def operand_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.delta.shape, self.patches.x.shape)

    def compute(self, D: Any, P: Any) -> Any:
        return _kernel_gradient(D, P, self.kernel_shape)

    def numpy(self, args: list[str]) -> str:
        return f"_kernel_gradient({args[0]}, {args[1]}, {self.kernel_shape})"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"{0} \star {1}", "{0} ⋆ {1}", *args)

    def show(self, args: list[str]) -> str:
        return f"correlate({args[0]}, {args[1]})"

    @property
    def channel_rows(self) -> bool:  # type: ignore[override]
        """A 1×1 kernel is a C'×C matrix on a batch of images, one row per channel: ∂L/∂W = δ xᵀ."""
        return _pointwise(self.kernel_shape[-1], self.patches.stride, self.patches.padding)

    def _read(self, args: list[Any], f: Any) -> tuple[Any, Any] | None:
        """(δ, x) as the kernel's correlation of one sample reads them — δ spread out to the
        stride (dilate), x padded — or None where matrices cannot write it (several channels,
        windows that leave out the last rows or columns of the padded input, a batch)."""
        stride, padding = self.patches.stride, self.patches.padding
        if f.samples > 1 or not _one_channel(self.kernel_shape, 1, 0) or not _whole_windows(self.patches):
            return None
        delta = f("dilate", args[0], stride) if stride > 1 else args[0]
        x = f("pad", args[1], padding) if padding else args[1]
        return delta, x

    def formula(self, args: list[Any], f: Any) -> Any:
        if f.samples > 1:  # a 1×1 kernel on a batch of images: W x at every sample and position
            return f.matmul(args[0], f.T(args[1])) if self.channel_rows else None
        read = self._read(args, f)
        return None if read is None else f("correlate", read[1], read[0])

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        read = self._read(args, f)
        if read is None:
            return ()
        return (
            ("conv-gradient-flipped",
             "δ flipped: ∂L/∂W is the correlation of the input with δ, correlate(x, δ), "
             "without a flip; convolve(x, δ) flips δ",
             f("convolve", read[1], read[0])),
        )


@dataclass(frozen=True)
class ChannelSum(Op):
    """∂L/∂b[c] = Σ_{i,j} δ[c,i,j]: each channel's error summed over its positions."""

    delta: Quantity

    summed_over_batch = True
    portable = True  # sum over the axes (0, 2, 3): the same call in the three libraries

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta,)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.delta.shape[0], 1)  # a column, as the bias it belongs to

    def compute(self, D: Any) -> Any:
        return D.sum(axis=(0, 2, 3))

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]}.sum(axis=(0, 2, 3))"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\sum_{i,j} {0}_{:,i,j}", "Σ_i,j {0}[:,i,j]", *args)

    def show(self, args: list[str]) -> str:
        return f"sum_ij({args[0]})"

    channel_rows = True

    def formula(self, args: list[Any], f: Any) -> Any:
        if f.samples > 1:  # a batch of images: row c is channel c at every sample and position
            return f("rowsum", args[0])
        return f("sum", args[0]) if self.delta.shape[0] == 1 else None


@dataclass(frozen=True)
class ConvolveFull(Op):
    """∂L/∂x: the full convolution of δ (spread by the stride) with the flipped kernel."""

    delta: Quantity
    W: Quantity
    in_shape: tuple[int, ...]
    stride: int
    padding: int

    helpers = (_convolve_full, _correlate, _patches)
    torch_helpers = (_convolve_full_torch, _correlate, _patches_torch)
    jax_helpers = (_convolve_full_jax, _correlate, _patches_jax)

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta, self.W)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.in_shape

    def compute(self, D: Any, W: Any) -> Any:
        return _convolve_full(D, W, self.in_shape[1:], self.stride, self.padding)

    def numpy(self, args: list[str], form: str = "_convolve_full") -> str:
        return f"{form}({args[0]}, {args[1]}, {self.in_shape[1:]}, {self.stride}, {self.padding})"

    def torch(self, args: list[str]) -> str:
        return self.numpy(args, "_convolve_full_torch")

    def jax(self, args: list[str]) -> str:
        return self.numpy(args, "_convolve_full_jax")

    def display(self, args: list[Any]) -> Any:
        # The flipped kernel slid over δ, windows overhanging the edge: the full correlation
        # with rot180(W), which is the full convolution of δ with W itself.
        return Formula(
            r"\operatorname{rot180}\left({1}\right) \star_{\mathrm{full}} {0}",
            "rot180({1}) ⋆full {0}",
            *args,
        )

    def show(self, args: list[str]) -> str:
        return f"convolve_full({args[0]}, {args[1]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        if not _one_channel(self.W.shape, self.stride, self.padding):
            return None
        return f("convolve_full", args[0], args[1])

    def mistakes(self, args: list[Any], f: Any) -> tuple[tuple[str, str, Any], ...]:
        if not _one_channel(self.W.shape, self.stride, self.padding):
            return ()
        return (
            ("conv-kernel-not-flipped",
             "the kernel is not flipped: the error goes back through the full convolution of δ "
             "with W, convolve_full(δ, W) = correlate_full(δ, flip(W)), and correlate_full(δ, W) "
             "leaves out the flip",
             f("correlate_full", args[0], args[1])),
        )


def _pointwise(kernel: int, stride: int, padding: int) -> bool:
    """True for a 1×1 convolution (stride 1, no padding): a matrix C'×C applied at every position."""
    return kernel == 1 and stride == 1 and padding == 0


def _one_channel(kernel_shape: tuple[int, ...], stride: int, padding: int) -> bool:
    """True when a formula can write the convolution with matrices: one input and one output
    channel, stride 1, no padding (see docs/verify.md)."""
    return kernel_shape[:2] == (1, 1) and stride == 1 and padding == 0


def _whole_windows(patches: Patches) -> bool:
    """True when the windows, ``stride`` apart, end at the last row and column of the padded
    input: (n + 2p − k) is a multiple of the stride along both axes."""
    return all((n + 2 * patches.padding - patches.kernel) % patches.stride == 0 for n in patches.x.shape[-2:])


# -- the layer ---------------------------------------------------------------------------------


def conv_size(n: int, kernel: int, stride: int, padding: int) -> int:
    """⌊(n + 2p − k)/s⌋ + 1, the output size along one axis (as PyTorch)."""
    return (n + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class Conv2d(Layer):
    """A 2-D convolution of an image (C, H, W) with ``channels`` kernels of k×k."""

    image: tuple[int, int, int]
    channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    activation: Activation | None = None  # type: ignore[assignment]
    bias: bool = True  # type: ignore[assignment]

    kind: ClassVar[str] = "conv2d"
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})
    keys: ClassVar[tuple[str, ...]] = ("type", "channels", "kernel", "stride", "padding", "activation", "bias")

    @property
    def in_shape(self) -> Shape:
        return self.image

    @property
    def out_shape(self) -> Shape:
        _, h, w = self.image
        return (
            self.channels,
            conv_size(h, self.kernel, self.stride, self.padding),
            conv_size(w, self.kernel, self.stride, self.padding),
        )

    @property
    def kernel_shape(self) -> Shape:
        return (self.channels, self.image[0], self.kernel, self.kernel)

    def parameter_shapes(self, index: int) -> dict[str, Shape]:
        shapes: dict[str, Shape] = {str(weight(index)): self.kernel_shape}
        if self.bias:
            shapes[str(bias(index))] = (self.channels,)
        return shapes

    def fans(self) -> tuple[int, int]:
        area = self.kernel * self.kernel
        return (self.image[0] * area, self.channels * area)

    def describe(self) -> str:
        extra = (f", stride {self.stride}" if self.stride != 1 else "") + (
            f", padding {self.padding}" if self.padding else ""
        )
        act = f" {self.activation.name}" if self.activation is not None and self.activation.kind != "identity" else ""
        return f"conv2d({self.channels}, {self.kernel}×{self.kernel}{extra}){act}"

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "conv2d", "channels": self.channels, "kernel": self.kernel}
        if self.stride != 1:
            out["stride"] = self.stride
        if self.padding:
            out["padding"] = self.padding
        out["activation"] = self.activation.source or self.activation.name
        if not self.bias:
            out["bias"] = False
        return out

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> Conv2d | None:
        channels = reader.whole("channels")
        kernel = reader.whole("kernel")
        stride = reader.whole("stride", 1)
        padding = reader.whole("padding", 0, minimum=0)
        act = reader.activation()
        with_bias = reader.flag("bias", True)
        image = reader.image(in_shape)
        if act is not None and not act.elementwise:
            reader.problem("softmax is only for a dense output layer; use relu, tanh or sigmoid here")
        if kernel is not None and padding is not None and padding >= kernel:
            reader.problem(f"padding {padding} must be less than the kernel {kernel}")
        if image is not None and kernel is not None and padding is not None:
            _, h, w = image
            if kernel > min(h, w) + 2 * padding:
                reader.problem(
                    f"kernel {kernel}×{kernel} is larger than its input {shape_text(image)}"
                    + (f" padded by {padding}" if padding else "")
                )
                return None
        if None in (channels, kernel, stride, padding, act, image):
            return None
        return cls(image, channels, kernel, stride, padding, act, with_bias)  # type: ignore[arg-type]

    def rules(self, index: int, prev: Quantity) -> Conv2dRules:
        q = layer_quantities(index, self.out_shape, with_activation=True)
        return Conv2dRules(
            index=index,
            layer=self,
            prev=prev,
            a=q["a"],
            delta=q["delta"],
            W=quantity(weight(index), self.kernel_shape),
            b=quantity(bias(index), (self.channels,)) if self.bias else None,
            z=q["z"],
        )

    def index_rule(self, index: int) -> IndexRule:
        c, i, j, cp, u, v = sympy.symbols("c i j c' u v", integer=True, positive=True)
        W, x = weight(index).indexed(), activation_name(index - 1).indexed()
        s, p = self.stride, self.padding
        expr = sympy.Sum(
            W[c, cp, u, v] * x[cp, s * (i - 1) + u - p, s * (j - 1) + v - p],
            (cp, 1, self.image[0]),
            (u, 1, self.kernel),
            (v, 1, self.kernel),
        )
        inputs: list[tuple[Any, Shape, tuple[str, ...]]] = [
            (W, self.kernel_shape, ("c", "c'", "u", "v")),
            (x, self.image, ("c'", "m", "n")),
        ]
        if self.bias:
            b = bias(index).indexed()
            expr = b[c] + expr
            inputs.insert(1, (b, (self.channels,), ("c",)))
        return IndexRule(
            output=pre_activation(index).indexed(),
            indices=(c, i, j),
            ranges=self.out_shape,
            expr=expr,
            inputs=tuple(inputs),
            textbook={
                "W": r"the correlation of $\delta$ with the input, $\delta \star x$",
                "b": r"$\delta$ summed over the positions of each channel",
                "a": r"the full convolution of $\delta$ with the flipped kernel",
            },
            note="entries outside the input are 0 (the padding)" if p else "",
        )


@dataclass(frozen=True)
class Conv2dRules(Rules):
    """Layer l, a convolution: z = W ⋆ a_prev + b, a = σ(z), and what each does backwards."""

    W: Quantity
    b: Quantity | None
    z: Quantity  # type: ignore[misc]

    @property
    def parameters(self) -> tuple[Quantity, ...]:
        return (self.W,) if self.b is None else (self.W, self.b)

    @property
    def patches(self) -> Patches:
        layer = self.layer
        return Patches(self.prev, layer.kernel, layer.stride, layer.padding, layer.out_shape[1:])

    @property
    def forward(self) -> tuple[Assignment, ...]:
        act = self.activation
        return (
            Assignment(self.z, Correlate(self.patches, self.W, self.b), note=f"layer {self.index}: cross-correlation"),
            Assignment(self.a, Activate(act, self.z), note=f"{act.title}, entry by entry"),
        )

    def backward(self, upstream: Tensor) -> Tensor:
        return activation_backward(self.activation, self.z, self.a, upstream)

    @property
    def input_gradient(self) -> Tensor:
        layer = self.layer
        return ConvolveFull(self.delta, self.W, layer.image, layer.stride, layer.padding)

    @property
    def gradients(self) -> tuple[Assignment, ...]:
        out = [Assignment(self.W, KernelGradient(self.delta, self.patches, self.layer.kernel_shape), note=r"$\delta \star x$: the correlation of $\delta$ with the input")]
        if self.b is not None:
            out.append(Assignment(self.b, ChannelSum(self.delta), note=r"$\delta$ summed over the positions of each channel"))
        return tuple(out)
