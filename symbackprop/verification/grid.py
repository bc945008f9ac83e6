"""Small immutable matrices of mpmath numbers: the values a formula is judged on.

Every vector is a column, every number that stands next to a matrix may be a
plain mpf.  Only what a verdict needs is here (entrywise maps, the matrix
product, transposes), so judging a formula does not load NumPy.

>>> import mpmath
>>> g = Grid.of([[1, 2], [3, 4]])
>>> g.shape, g[1, 0], g.T[0, 1]
((2, 2), mpf('3.0'), mpf('3.0'))
>>> (g @ Grid.column([1, 1])).flat
(mpf('3.0'), mpf('7.0'))
>>> zip_with(lambda u, v: u * v, g, mpmath.mpf(2)).rows_as_lists()
[[mpf('2.0'), mpf('4.0')], [mpf('6.0'), mpf('8.0')]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath


@dataclass(frozen=True)
class Grid:
    """A rows × cols matrix, entries row-major.

    ``dims`` is the shape of an array of other than two axes (an image
    (C, H, W), a kernel (C', C, k, k)), held as rows = its first axis and
    cols = the rest; :meth:`view` is how a formula sees it.
    """

    rows: int
    cols: int
    flat: tuple[Any, ...]
    dims: tuple[int, ...] | None = None

    @classmethod
    def array(cls, dims: tuple[int, ...], flat: Iterable[Any]) -> Grid:
        """An array of shape ``dims`` from its entries in row-major order."""
        values = tuple(_mpf(v) for v in flat)
        if len(dims) == 2:
            return cls(dims[0], dims[1], values)
        rows = dims[0] if dims else 1
        return cls(rows, len(values) // rows if rows else 0, values, tuple(dims))

    @property
    def array_shape(self) -> tuple[int, ...]:
        """The shape as the plan has it: ``dims``, or (rows, cols)."""
        return self.dims if self.dims is not None else (self.rows, self.cols)

    def view(self) -> Grid | None:
        """The array as a formula sees it: its axes of length 1 dropped from the front until two
        are left (a one-channel image is an H×W matrix, a kernel of one input and one output
        channel a k×k matrix, a vector a column); None when more than two axes remain.

        >>> Grid.array((1, 2, 2), [1, 2, 3, 4]).view().shape, Grid.array((2, 2, 2), range(8)).view()
        ((2, 2), None)
        """
        shape = view_shape(self.array_shape)
        if shape is None:
            return None
        return Grid(shape[0], shape[1], self.flat)

    @classmethod
    def of(cls, rows: Iterable[Iterable[Any]]) -> Grid:
        table = [[_mpf(v) for v in row] for row in rows]
        return cls(len(table), len(table[0]), tuple(v for row in table for v in row))

    @classmethod
    def column(cls, entries: Iterable[Any]) -> Grid:
        values = tuple(_mpf(v) for v in entries)
        return cls(len(values), 1, values)

    @classmethod
    def build(cls, rows: int, cols: int, entry: Callable[[int, int], Any]) -> Grid:
        return cls(rows, cols, tuple(entry(i, j) for i in range(rows) for j in range(cols)))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @property
    def size(self) -> int:
        return self.rows * self.cols

    def __getitem__(self, where: tuple[int, int]) -> Any:
        i, j = where
        if not (0 <= i < self.rows and 0 <= j < self.cols):
            raise IndexError(f"entry {where} of a {self.shape} matrix")
        return self.flat[i * self.cols + j]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        """The rows, as tuples."""
        for i in range(self.rows):
            yield self.flat[i * self.cols : (i + 1) * self.cols]

    @property
    def T(self) -> Grid:
        return Grid.build(self.cols, self.rows, lambda i, j: self[j, i])

    def __matmul__(self, other: Grid) -> Grid:
        if self.cols != other.rows:
            raise ValueError(f"cannot multiply a {self.shape} by a {other.shape}")
        return Grid.build(
            self.rows,
            other.cols,
            lambda i, j: mpmath.fsum(self[i, k] * other[k, j] for k in range(self.cols)),
        )

    def rows_as_lists(self) -> list[list[Any]]:
        return [list(row) for row in self]


def view_shape(shape: tuple[int, ...]) -> tuple[int, int] | None:
    """The shape of an array as a formula sees it (see :meth:`Grid.view`).

    A statistic of each channel of an image, (C, 1, 1), is a column.

    >>> view_shape((3,)), view_shape((1, 1, 2, 2)), view_shape((1, 4, 4)), view_shape((2, 1, 3, 3))
    ((3, 1), (2, 2), (4, 4), None)
    >>> view_shape((2, 1, 1))
    (2, 1)
    """
    if len(shape) == 1 or (len(shape) == 3 and shape[1:] == (1, 1)):
        return (shape[0], 1)
    dims = list(shape)
    while len(dims) > 2 and dims[0] == 1:
        dims.pop(0)
    return (dims[0], dims[1]) if len(dims) == 2 else None


def batch_wide_view_shape(shape: tuple[int, ...]) -> tuple[int, int] | None:
    """The shape of a parameter or statistic as a formula sees it on a batch of images: as
    :func:`view_shape`, and a 1×1 kernel (C', C, 1, 1) is a C'×C matrix, the convolution W x at
    every sample and position (one row per channel, :func:`batch_view_shape`).

    >>> batch_wide_view_shape((3, 2, 1, 1)), batch_wide_view_shape((1, 1, 2, 2)), batch_wide_view_shape((2, 2, 2, 2))
    ((3, 2), (2, 2), None)
    """
    return shape[:2] if len(shape) == 4 and shape[2:] == (1, 1) else view_shape(shape)


def batch_view_shape(shape: tuple[int, ...], samples: int) -> tuple[int, int] | None:
    """The shape of a per-sample quantity as a formula sees it across a batch of ``samples``:
    a vector is a matrix with one column per sample, an image (C, H, W) one with a row per
    channel and a column per sample and position (N·H·W of them); None for other arrays.

    >>> batch_view_shape((3,), 4), batch_view_shape((2, 1), 4), batch_view_shape((2, 3, 3), 4)
    ((3, 4), (2, 4), (2, 36))
    """
    if len(shape) == 3:
        return (shape[0], samples * shape[1] * shape[2])
    seen = view_shape(shape)
    return (seen[0], samples) if seen is not None and seen[1] == 1 else None


def batch_view(values: list[Grid]) -> Grid | None:
    """Per-sample values side by side, as :func:`batch_view_shape` says: column k of a vector's
    matrix is sample k; an image's row c holds channel c of sample 1 row by row, then of sample 2…

    >>> batch_view([Grid.array((1, 2, 2), [1, 2, 3, 4]), Grid.array((1, 2, 2), [5, 6, 7, 8])]).rows_as_lists()
    [[mpf('1.0'), mpf('2.0'), mpf('3.0'), mpf('4.0'), mpf('5.0'), mpf('6.0'), mpf('7.0'), mpf('8.0')]]
    """
    shape = batch_view_shape(values[0].array_shape, len(values))
    if shape is None:
        return None
    rows, cols = shape
    per = cols // len(values)  # the entries of one sample in a row
    return Grid.build(rows, cols, lambda i, k: values[k // per].flat[i * per + k % per])


def _mpf(value: Any) -> Any:
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


def entries(value: Any) -> tuple[Any, ...]:
    """The entries of a grid, or a number as a one-entry tuple."""
    return value.flat if isinstance(value, Grid) else (value,)


def zip_with(func: Callable[..., Any], *args: Any) -> Any:
    """``func`` entry by entry; numbers and 1×1 grids stand for every entry of a larger grid."""
    grids = [a for a in args if isinstance(a, Grid)]
    if not grids:
        return func(*args)
    largest = max(grids, key=lambda g: g.size)
    shape = largest.shape
    columns = []
    for a in args:
        if isinstance(a, Grid) and a.shape == shape:
            columns.append(a.flat)
        elif isinstance(a, Grid) and a.size > 1 and a.shape in ((shape[0], 1), (1, shape[1])):
            # a column (or a row) repeated across a matrix, as NumPy broadcasts it
            down = a.cols == 1
            columns.append(tuple(a.flat[i if down else j] for i in range(shape[0]) for j in range(shape[1])))
        else:
            value = a.flat[0] if isinstance(a, Grid) else a
            columns.append((value,) * (shape[0] * shape[1]))
    return Grid(shape[0], shape[1], tuple(func(*vs) for vs in zip(*columns, strict=True)), largest.dims)
