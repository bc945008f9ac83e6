"""``flatten``: an image (C, H, W) read row-major into a column of C·H·W entries.

``{"type": "flatten"}``; no parameters.  Entry (c, i, j) becomes entry
(c−1)·H·W + (i−1)·W + j, as NumPy's and PyTorch's reshape do.  Backwards δ is
the same numbers put back into the image's shape.

>>> Flatten((2, 2, 2)).out_shape, Unflatten(None, (2, 2, 2)).numpy(["D3"])
((8,), 'D3.reshape(-1, 2, 2, 2)')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..display import Formula
from ..symbols import activation as activation_name
from ..tensor import Assignment, Op, Quantity, Tensor
from .base import VERIFY, WORKSHEET, IndexRule, Layer, Reader, Rules, Shape, count, layer_quantities


@dataclass(frozen=True)
class Vectorise(Op):
    """vec(x): the entries of x in row-major order, as a column."""

    x: Tensor

    portable = True  # reshape is the same in NumPy, PyTorch and JAX

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.x,)

    @property
    def shape(self) -> tuple[int, ...]:
        return (count(self.x.shape), 1)

    def compute(self, X: Any) -> Any:
        return X.reshape(X.shape[0], -1)

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]}.reshape({args[0]}.shape[0], -1)"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\operatorname{vec}\left({0}\right)", "vec({0})", *args)

    def show(self, args: list[str]) -> str:
        return f"vec({args[0]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        return f("vec", args[0]) if self.x.shape[0] == 1 else None


@dataclass(frozen=True)
class Unflatten(Op):
    """vec⁻¹(δ): a column put back into the image's shape."""

    delta: Quantity | None
    image: tuple[int, ...]

    portable = True

    @property
    def args(self) -> tuple[Tensor, ...]:
        return (self.delta,)  # type: ignore[return-value]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.image

    def compute(self, D: Any) -> Any:
        return D.reshape(-1, *self.image)

    def numpy(self, args: list[str]) -> str:
        return f"{args[0]}.reshape(-1, {', '.join(map(str, self.image))})"

    def display(self, args: list[Any]) -> Any:
        return Formula(r"\operatorname{vec}^{-1}\left({0}\right)", "vec⁻¹({0})", *args)

    def show(self, args: list[str]) -> str:
        return f"unvec({args[0]})"

    def formula(self, args: list[Any], f: Any) -> Any:
        return f("reshape", args[0], *self.image[1:]) if self.image[0] == 1 else None


@dataclass(frozen=True)
class Flatten(Layer):
    """Row-major flattening of an image (C, H, W) into a vector of C·H·W."""

    image: tuple[int, ...]

    kind: ClassVar[str] = "flatten"
    handled_by: ClassVar[frozenset[str]] = frozenset({VERIFY, WORKSHEET})

    @property
    def in_shape(self) -> Shape:
        return self.image

    @property
    def out_shape(self) -> Shape:
        return (count(self.image),)

    def describe(self) -> str:
        return "flatten"

    def to_spec(self) -> dict[str, Any]:
        return {"type": "flatten"}

    @classmethod
    def read(cls, raw: Mapping[str, Any], in_shape: Shape | None, reader: Reader) -> Flatten | None:
        return cls(tuple(in_shape)) if in_shape is not None else None

    def rules(self, index: int, prev: Quantity) -> FlattenRules:
        q = layer_quantities(index, self.out_shape, with_activation=False)
        return FlattenRules(index=index, layer=self, prev=prev, a=q["a"], delta=q["delta"])

    def index_rule(self, index: int) -> IndexRule | None:
        if len(self.image) != 3:
            return None
        c, i, j = sympy.symbols("c i j", integer=True, positive=True)
        x = activation_name(index - 1).indexed()
        _, h, w = self.image
        a = activation_name(index).indexed()
        return IndexRule(
            output=a,
            indices=(c, i, j),
            ranges=self.image,
            expr=x[c, i, j],
            inputs=((x, self.image, ("c", "i", "j")),),
            textbook={"a": r"$\delta$ put back into the image's shape"},
            note=f"row-major: entry $(c-1) \\cdot {h * w} + (i-1) \\cdot {w} + j$ of the column",
        )


@dataclass(frozen=True)
class FlattenRules(Rules):
    """Layer l, a flattening: a = vec(a_prev), and δ put back into shape backwards."""

    @property
    def forward(self) -> tuple[Assignment, ...]:
        return (Assignment(self.a, Vectorise(self.prev), note=f"layer {self.index}: row-major, $C \\cdot H \\cdot W$ entries"),)

    @property
    def input_gradient(self) -> Tensor:
        return Unflatten(self.delta, self.layer.image)
