"""What a formula may do to an image, a kernel or a sequence: correlate, convolve, flip, pool, reshape, lag.

A one-channel image is a matrix here (:meth:`~symbackprop.verification.grid.Grid.view`),
so these are operations on matrices, named as SciPy and NumPy name them and
defined with 1-based indices as the docs print them:

* ``correlate(A, K)``: K slid over A, ``Σ_{u,v} A[i+u−1, j+v−1] K[u,v]``,
  for every position where K fits (SciPy's ``correlate2d(A, K, "valid")``);
  ``correlate_full(A, K)`` also where K overlaps A only in part (A padded
  with zeros, ``"full"``);
* ``convolve(A, K)`` = ``correlate(A, flip(K))``, and ``convolve_full``
  likewise: the kernel flipped, as a convolution is (``convolve2d``);
* ``flip(K)``: K turned by 180° (``np.flip``, ``np.rot90(K, 2)``);
* ``pad(A, p)``: A with p rows and columns of zeros on every side (``np.pad(A, p)``), as a
  padded convolution reads its input; ``dilate(D, s)``: s − 1 rows and columns of zeros
  between the entries of D, as a convolution of stride s spreads its error, so that
  ``correlate(pad(x, p), dilate(delta, s))`` is the kernel's gradient of any stride and padding;
* ``maxpool(A, k)``, ``avgpool(A, k)``: the largest entry, or the mean, of
  each k×k window, windows k apart;
* ``upsample(D, k)``: each entry repeated over a k×k block
  (``np.kron(D, np.ones((k, k)))``);
* ``route_argmax(D, A)``: each entry of D put where the maximum of its window
  of A is (the first one, on a tie), zeros elsewhere — max pooling backwards;
* ``reshape(M, r, c)``: M's entries row by row into r rows of c (one of them
  may be −1); ``vec(M)``: M's entries row by row as a column;
* ``lag(H)``: a sequence one step later (row t of a sequence is step t): row t
  holds h_{t−1}, the first row zeros (h₀ = 0).

Each operation states its shape rule and its value once; the shape checker,
the evaluator and the verifier's reference read this table.

>>> from symbackprop.verification.grid import Grid
>>> A = Grid.of([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
>>> K = Grid.of([[1, 0], [0, -1]])
>>> [int(v) for v in OPERATIONS["correlate"].value(A, K).flat]
[-4, -4, -4, -4]
>>> OPERATIONS["convolve_full"].shape((3, 3), (2, 2)), OPERATIONS["maxpool"].shape((4, 4), 2)
((4, 4), (2, 2))
>>> [int(v) for v in OPERATIONS["dilate"].value(Grid.of([[1, 2], [3, 4]]), 2).flat]
[1, 0, 2, 0, 0, 0, 3, 0, 4]
>>> OPERATIONS["pad"].shape((3, 3), 1)
(5, 5)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath

from ..errors import ShapeError
from .grid import Grid

Shape = tuple[int, ...]


def _size(shape: Shape) -> tuple[int, int]:
    return (1, 1) if shape == () else (shape[0], shape[1])


def _text(shape: Shape) -> str:
    rows, cols = _size(shape)
    return f"{rows}×{cols}"


# -- correlation and convolution ----------------------------------------------------


def _correlate_shape(full: bool) -> Callable[..., Shape]:
    def shape(a: Shape, k: Shape) -> Shape:
        (ar, ac), (kr, kc) = _size(a), _size(k)
        if full:
            return (ar + kr - 1, ac + kc - 1)
        if kr > ar or kc > ac:
            raise ShapeError(f"what slides ({_text(k)}) is larger than what it slides over ({_text(a)})")
        return (ar - kr + 1, ac - kc + 1)

    return shape


def _convolve_shape(full: bool) -> Callable[..., Shape]:
    def shape(a: Shape, k: Shape) -> Shape:
        (ar, ac), (kr, kc) = _size(a), _size(k)
        if full:
            return (ar + kr - 1, ac + kc - 1)
        if (kr > ar or kc > ac) and (ar > kr or ac > kc):
            raise ShapeError(f"neither {_text(a)} nor {_text(k)} fits inside the other")
        return (abs(ar - kr) + 1, abs(ac - kc) + 1)

    return shape


def _entry(grid: Grid, i: int, j: int) -> Any:
    """grid[i, j] (0-based), 0 outside: the zero padding."""
    if 0 <= i < grid.rows and 0 <= j < grid.cols:
        return grid[i, j]
    return mpmath.mpf(0)


def correlate(a: Grid, k: Grid, full: bool = False) -> Grid:
    """Σ_{u,v} A[i+u, j+v] K[u,v] (0-based) for every valid position, or every overlapping one."""
    pad_r, pad_c = (k.rows - 1, k.cols - 1) if full else (0, 0)
    rows, cols = _correlate_shape(full)(a.shape, k.shape)
    return Grid.build(
        rows, cols,
        lambda i, j: mpmath.fsum(
            _entry(a, i + u - pad_r, j + v - pad_c) * k[u, v] for u in range(k.rows) for v in range(k.cols)
        ),
    )


def flip(k: Grid) -> Grid:
    """K turned by 180°: K[r−1−u, c−1−v]."""
    return Grid.build(k.rows, k.cols, lambda u, v: k[k.rows - 1 - u, k.cols - 1 - v])


def convolve(a: Grid, k: Grid, full: bool = False) -> Grid:
    """The convolution: the smaller of the two, flipped, slid over the larger (it commutes)."""
    if not full and (k.rows > a.rows or k.cols > a.cols):
        a, k = k, a
    return correlate(a, flip(k), full)


def _pad_shape(a: Shape, p: int) -> Shape:
    (rows, cols) = _size(a)
    if not isinstance(p, int) or p < 0:
        raise ShapeError(f"pad takes a whole number of rows and columns of zeros, at least 0, not {p}")
    return (rows + 2 * p, cols + 2 * p)


def pad(a: Grid, p: int) -> Grid:
    """A inside p rows and columns of zeros on every side."""
    rows, cols = _pad_shape(a.shape, p)
    return Grid.build(rows, cols, lambda i, j: _entry(a, i - p, j - p))


def _dilate_shape(d: Shape, s: int) -> Shape:
    (rows, cols), s = _size(d), _window(s)
    return (s * (rows - 1) + 1, s * (cols - 1) + 1)


def dilate(d: Grid, s: int) -> Grid:
    """D's entries s apart, zeros between them: entry (i, j) of D at (s·i, s·j)."""
    rows, cols = _dilate_shape(d.shape, s)
    return Grid.build(rows, cols, lambda i, j: d[i // s, j // s] if i % s == 0 and j % s == 0 else mpmath.mpf(0))


# -- pooling --------------------------------------------------------------------------


def _window(k: Any) -> int:
    if not isinstance(k, int) or k < 1:
        raise ShapeError(f"a window size is a whole number of at least 1, not {k}")
    return k


def _pool_shape(a: Shape, k: int) -> Shape:
    (rows, cols), k = _size(a), _window(k)
    if k > rows or k > cols:
        raise ShapeError(f"a {k}×{k} window is larger than the {_text(a)} it pools")
    return (rows // k, cols // k)


def _pool(reduce: Callable[[list[Any]], Any]) -> Callable[..., Grid]:
    def value(a: Grid, k: int) -> Grid:
        rows, cols = _pool_shape(a.shape, k)
        return Grid.build(
            rows, cols, lambda i, j: reduce([a[i * k + u, j * k + v] for u in range(k) for v in range(k)])
        )

    return value


def _upsample_shape(d: Shape, k: int) -> Shape:
    (rows, cols), k = _size(d), _window(k)
    return (rows * k, cols * k)


def upsample(d: Grid, k: int) -> Grid:
    """Each entry of D over a k×k block."""
    return Grid.build(d.rows * k, d.cols * k, lambda i, j: d[i // k, j // k])


def _route_shape(d: Shape, a: Shape, k: int | None = None) -> Shape:
    (dr, dc), (ar, ac) = _size(d), _size(a)
    k = _routed_window(d, a) if k is None else _window(k)
    if (ar // k, ac // k) != (dr, dc):
        raise ShapeError(
            f"route_argmax takes the error of a pooling and its input: {k}×{k} windows of a "
            f"{_text(a)} give {ar // k}×{ac // k}, not {_text(d)}"
        )
    return (ar, ac)


def _routed_window(d: Shape, a: Shape) -> int:
    (dr, dc), (ar, ac) = _size(d), _size(a)
    k = ar // dr if dr else 0
    if k < 1 or (ar // k, ac // k) != (dr, dc):
        raise ShapeError(
            f"route_argmax cannot tell the window size from a {_text(d)} error and a {_text(a)} input; "
            "give it: route_argmax(delta, a, k)"
        )
    return k


def route_argmax(d: Grid, a: Grid, k: int | None = None) -> Grid:
    """D[i, j] where the first maximum of window (i, j) of A is, 0 elsewhere."""
    k = _routed_window(d.shape, a.shape) if k is None else k
    out = [[mpmath.mpf(0)] * a.cols for _ in range(a.rows)]
    for i in range(d.rows):
        for j in range(d.cols):
            cells = [(i * k + u, j * k + v) for u in range(k) for v in range(k)]
            top = max(cells, key=lambda cell: (a[cell], -cells.index(cell)))
            out[top[0]][top[1]] = d[i, j]
    return Grid.of(out)


# -- reshaping ------------------------------------------------------------------------


def _reshape_shape(m: Shape, rows: int, cols: int) -> Shape:
    size = _size(m)[0] * _size(m)[1]
    for n in (rows, cols):
        if not isinstance(n, int) or (n < 1 and n != -1):
            raise ShapeError(f"reshape takes whole numbers of rows and columns (one may be -1), not {n}")
    if rows == -1 and cols == -1:
        raise ShapeError("reshape takes at most one -1")
    if rows == -1:
        rows = size // cols if size % cols == 0 else 0
    if cols == -1:
        cols = size // rows if size % rows == 0 else 0
    if rows * cols != size:
        raise ShapeError(f"cannot reshape a {_text(m)} ({size} entries) into {rows}×{cols}")
    return (rows, cols)


def reshape(m: Grid, rows: int, cols: int) -> Grid:
    rows, cols = _reshape_shape(m.shape, rows, cols)
    return Grid(rows, cols, m.flat)


# -- sequences: a matrix whose row t is step t ------------------------------------------------


def lag(h: Grid) -> Grid:
    """H one step later: row t holds row t − 1 of H, the first row zeros (h₀ = 0)."""
    return Grid.build(h.rows, h.cols, lambda t, j: h[t - 1, j] if t > 0 else mpmath.mpf(0))


def _through_time_shape(g: Shape, s: Shape, u: Shape) -> Shape:
    (gr, gc), (sr, sc), (ur, uc) = _size(g), _size(s), _size(u)
    if gc != 1 or gr != sc or (ur, uc) != (sc, sc):
        raise ShapeError(f"through_time takes ∂L/∂h_T (u×1), σ'(z) (T×u) and U (u×u), not {_text(g)}, {_text(s)}, {_text(u)}")
    return (sr, sc)


def through_time(g: Grid, s: Grid, u: Grid, steps: int | None = None) -> Grid:
    """δ over the steps, row t = δ_tᵀ: δ_T = g ⊙ σ'(z_T), δ_t = (Uᵀ δ_{t+1}) ⊙ σ'(z_t) — for the
    last ``steps`` steps only (the others 0), all of them by default."""
    rows: list[list[Any]] = [[mpmath.mpf(0)] * s.cols for _ in range(s.rows)]
    current = [g[j, 0] * s[s.rows - 1, j] for j in range(s.cols)]
    for t in range(s.rows - 1, -1, -1):
        if t < s.rows - 1:
            back = [mpmath.fsum(u[i, j] * current[i] for i in range(s.cols)) for j in range(s.cols)]
            current = [back[j] * s[t, j] for j in range(s.cols)]
        if steps is None or t >= s.rows - steps:
            rows[t] = current
    return Grid.of(rows)


@dataclass(frozen=True)
class Operation:
    """One operation: its shape rule and its value, both given the operands and then the
    whole numbers the formula wrote (a window size, the rows and columns of a reshape).
    An ``internal`` one is what the verifier's reference formulas use, not a formula."""

    name: str
    shape: Callable[..., Shape]
    value: Callable[..., Grid]
    operands: int  # how many matrices come first; the rest are whole numbers
    text: str  # how the docs and messages write it
    internal: bool = False


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("correlate", _correlate_shape(False), correlate, 2, "correlate(A, K)"),
        Operation(
            "correlate_full", _correlate_shape(True), lambda a, k: correlate(a, k, True), 2, "correlate_full(A, K)"
        ),
        Operation("convolve", _convolve_shape(False), convolve, 2, "convolve(A, K)"),
        Operation(
            "convolve_full", _convolve_shape(True), lambda a, k: convolve(a, k, True), 2, "convolve_full(A, K)"
        ),
        Operation("flip", lambda k: _size(k), flip, 1, "flip(K)"),
        Operation("pad", _pad_shape, pad, 1, "pad(A, p)"),
        Operation("dilate", _dilate_shape, dilate, 1, "dilate(D, s)"),
        Operation("maxpool", _pool_shape, _pool(max), 1, "maxpool(A, k)"),
        Operation("avgpool", _pool_shape, _pool(lambda xs: mpmath.fsum(xs) / len(xs)), 1, "avgpool(A, k)"),
        Operation("upsample", _upsample_shape, upsample, 1, "upsample(D, k)"),
        Operation("route_argmax", _route_shape, route_argmax, 2, "route_argmax(D, A)"),
        Operation("reshape", _reshape_shape, reshape, 1, "reshape(M, r, c)"),
        Operation("vec", lambda m: (_size(m)[0] * _size(m)[1], 1), lambda m: Grid(m.size, 1, m.flat), 1, "vec(M)"),
        Operation("lag", lambda h: _size(h), lag, 1, "lag(H)"),
        Operation("through_time", _through_time_shape, through_time, 3, "through_time(g, S, U)", internal=True),
        Operation(
            "last_step_only", _through_time_shape, lambda g, s, u: through_time(g, s, u, 1), 3,
            "last_step_only(g, S, U)", internal=True,
        ),
    )
}
