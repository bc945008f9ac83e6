"""Training with the compiled symbolic gradients.

``train`` runs gradient descent (full batch by default, as in the articles;
minibatches when ``batch_size`` is given) with plain SGD, momentum or Adam,
and returns a frozen :class:`TrainResult`: the new parameters, the training
loss before the first epoch and of each one, and why it stopped.  It
never changes the arrays it is given.  It runs at the speed of a hand-written
NumPy loop: the data is checked and cast once, the generated gradient is
called directly, and the parameters are updated in place in buffers made
once (bench/training.py measures it).

Two ways of stopping early are part of the contract: Ctrl-C keeps the
parameters of the last finished epoch, and a loss that becomes NaN or
explodes stops the run with a sentence naming the likely cause (keeping the
parameters from before the blow-up).  A run whose loss ends well above its
start (more than 1.5 times it) is flagged as diverged too.  The cause named
is the one that fits: a loss that is not finite before any update comes from
the starting parameters or the data, not from the learning rate; huge
starting parameters are named as such; otherwise the learning rate is too
large for the update rule.

>>> import numpy as np
>>> import symbackprop as sbp
>>> net = sbp.Network.from_spec({"layers": [1, 1], "activation": "identity"})
>>> X = np.array([[0.0], [1.0], [2.0]]); Y = 2 * X + 1
>>> result = sbp.train(net, X, Y, epochs=300, lr=0.2, progress=False)
>>> result.stopped, result.final_loss < 1e-4 * result.initial_loss
('completed', True)
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import options
from .batch import check_batch
from .errors import DataError
from .numeric import compile as compile_gradient
from .optimizers import Optimizer, in_place
from .optimizers import optimizer as make_optimizer

# A loss this many times its starting value (or above it when the start is
# below 1) counts as exploding: a working run never gets there, and waiting
# for the overflow to NaN only wastes time.
EXPLODING_FACTOR = 1e3
# A sanity bound: 10⁹ epochs of the smallest network already take hours.
MAX_EPOCHS = 1_000_000_000
# A run that ends above this multiple of its starting loss did not learn: it diverged.
RISING_FACTOR = 1.5
# Starting parameters this large (glorot/he draws are below 5) saturate units
# and make gradients huge: named as the cause rather than the learning rate.
LARGE_PARAMETER = 1e3

STOP_REASONS = ("completed", "interrupted", "diverged")


@dataclass(frozen=True)
class Epoch:
    """What the progress display and callbacks are told after each epoch."""

    epoch: int
    epochs: int
    loss: float
    validation_loss: float | None
    seconds: float


@dataclass(frozen=True)
class TrainResult:
    """The outcome of :func:`train`.

    ``history[0]`` is the training loss before any update and ``history[k]``
    the loss of epoch k.  Full batch, they are the losses over the whole
    training set that the gradient steps computed.  With minibatches, epoch k's
    loss is the mean of its minibatch losses, each taken before its step (what
    training computes anyway), and ``history[0]`` is the first minibatch's;
    ``train(..., full_loss=True)`` makes them all whole-set losses instead,
    at the cost of one more forward pass per epoch.  ``params`` holds
    read-only arrays: the result is a record, not a working buffer.
    """

    params: dict[str, np.ndarray]
    history: tuple[float, ...]
    validation_history: tuple[float, ...] | None
    epochs: int
    stopped: str
    message: str
    optimizer: str
    lr: float
    batch_size: int | None
    seconds: float
    n_train: int = 0
    n_validation: int = 0
    seed: int | None = field(default=None)

    @property
    def initial_loss(self) -> float:
        return self.history[0]

    @property
    def final_loss(self) -> float:
        return self.history[-1]

    @property
    def final_validation_loss(self) -> float | None:
        return self.validation_history[-1] if self.validation_history else None

    def summary(self) -> dict[str, Any]:
        """The JSON summary of DESIGN.md, plus how the run stopped."""
        out: dict[str, Any] = {
            "initial_loss": self.initial_loss,
            "final_loss": self.final_loss,
            "epochs": self.epochs,
            "stopped": self.stopped,
        }
        if self.validation_history is not None:
            out["initial_validation_loss"] = self.validation_history[0]
            out["final_validation_loss"] = self.validation_history[-1]
        return out


def train(
    net: Any,
    X: Any,
    Y: Any,
    *,
    epochs: int = 100,
    lr: float = 0.1,
    optimizer: str | Optimizer = "sgd",
    batch_size: int | None = None,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    validation: float | tuple[Any, Any] | None = None,
    progress: bool | Callable[[Epoch], None] | None = None,
    compiled: Callable | None = None,
    full_loss: bool = False,
) -> TrainResult:
    """Train ``net`` on rows ``X`` (samples × n₀) with targets ``Y`` (samples × n_L).

    ``net`` is a Network, or its compiled gradient ``net.compile()``.
    ``params`` are the starting parameters (default: drawn from ``seed`` with
    the initialisation suited to the activations).  ``validation`` is a
    held-out fraction of the samples (drawn with ``seed``) or a pair
    ``(X_val, Y_val)``; its loss is recorded after every epoch.  ``progress``
    is True for a progress bar on stderr, False for none, None for a bar only
    when stderr is a terminal, or a function called with each :class:`Epoch`.
    ``compiled`` is the gradient function when the caller already has one
    (``net.compile(dtype=np.float32)`` trains in float32).  ``full_loss`` asks
    for the loss over the whole training set after every minibatch epoch (one
    more forward pass each) instead of the mean of the epoch's minibatch losses.
    """
    if compiled is None and callable(net) and hasattr(net, "network"):
        compiled, net = net, net.network  # given the compiled gradient itself
    epochs = options.whole(epochs, "epochs", minimum=1)
    if epochs > MAX_EPOCHS:
        raise DataError(f"epochs must be at most {MAX_EPOCHS:,}, got {epochs:,}")
    lr = options.learning_rate(lr)
    opt = make_optimizer(optimizer)
    f = compiled if compiled is not None else compile_gradient(net)
    gradient, dtype = _gradient_function(f)
    if net.stochastic:  # dropout: a new mask for every gradient, the same masks for the same seed
        gradient = _fresh_masks(gradient, _mask_stream(options.seed(seed)))
    # Checked and cast once, in the dtype the gradient computes in; never written to, so not copied.
    X, Y = check_batch(X, Y, net, dtype=dtype, copy=False)
    # Separate streams, so asking for a held-out split does not change the shuffling.
    rng_split, rng_shuffle = _streams(options.seed(seed))
    X, Y, X_val, Y_val = _split(net, X, Y, validation, rng_split)
    n = X.shape[0]
    if batch_size is not None:
        batch_size = options.whole(batch_size, "batch_size", minimum=1)
        if batch_size >= n:
            batch_size = None  # one batch of everything is full-batch descent
    start = _start_params(net, params, seed)
    loss_only = _loss_function(f)
    t0 = time.perf_counter()
    # NaN and overflow are detected and named below, not warned about.
    with np.errstate(all="ignore"):
        working = {name: np.array(value, dtype=dtype) for name, value in start.items()}
        kept = _Kept(working)
        apply, state = in_place(opt), opt.start(working)
        batches = None if batch_size is None else _Batches(X, Y, batch_size, rng_shuffle)
        history: list[float] = []
        val_history = [loss_only(start, X_val, Y_val)] if X_val is not None else None
        stopped, message = "completed", ""
        report = _reporter(progress, epochs)
        ctrl_c = _CtrlC()
        try:
            ctrl_c.listen()
            if batches is None:
                loss, grads = gradient(working, X, Y)  # its gradient makes epoch 1's update
                _record_start(history, float(loss))
            elif full_loss:
                _record_start(history, loss_only(working, X, Y))
            for epoch in range(1, epochs + 1):
                if batches is None:
                    state = apply(working, grads, state, lr)
                    # This gradient serves the next epoch's update too.
                    loss, grads = gradient(working, X, Y)
                    loss = float(loss)
                else:
                    loss, state = _minibatch_epoch(batches, gradient, apply, working, state, lr,
                                                   history, epoch, ctrl_c.check)
                    if full_loss:
                        loss = loss_only(working, X, Y)
                if not math.isfinite(loss) or loss > EXPLODING_FACTOR * max(history[0], 1.0):
                    raise _Diverged(epoch, loss)
                val_loss = None
                if val_history is not None:
                    val_loss = loss_only(working, X_val, Y_val)
                    val_history.append(val_loss)
                history.append(loss)
                # The epoch counts once its parameters are kept: Ctrl-C before that
                # leaves the previous epoch's (the losses appended above are trimmed below).
                kept.save(epoch, working)
                report(Epoch(epoch, epochs, loss, val_loss, time.perf_counter() - t0))
                ctrl_c.check()
        except KeyboardInterrupt:
            completed = kept.last[0]
            stopped = "interrupted"
            message = (
                f"interrupted after epoch {completed} of {epochs}; "
                f"the parameters after epoch {completed} are kept"
            )
        except _Diverged as blow_up:
            stopped = "diverged"
            message = _divergence_message(
                blow_up.epoch, blow_up.loss, history[0], lr, opt.name, start
            )
        finally:
            ctrl_c.stop_listening()
            report(None)
    completed, final = kept.last
    if not history:  # interrupted before the first minibatch's loss
        with np.errstate(all="ignore"):
            history.append(loss_only(start, X, Y))
    del history[completed + 1 :]
    if val_history is not None:
        del val_history[completed + 1 :]
    if stopped == "completed" and history[0] > 0 and history[-1] > RISING_FACTOR * history[0]:
        stopped = "diverged"
        message = _rising_message(history, lr, opt.name, start)
    elif stopped == "completed":
        message = f"trained {completed} epochs: loss {history[0]:.6g} -> {history[-1]:.6g}"
    return TrainResult(
        params=_frozen_copy(final),
        history=tuple(history),
        validation_history=tuple(val_history) if val_history is not None else None,
        epochs=completed,
        stopped=stopped,
        message=message,
        optimizer=opt.name,
        lr=lr,
        batch_size=batch_size,
        seconds=time.perf_counter() - t0,
        n_train=n,
        n_validation=0 if X_val is None else X_val.shape[0],
        seed=seed,
    )


def shuffles(seed: int) -> np.random.Generator:
    """The generator whose permutations order the minibatches of ``train(..., seed=seed)``.

    Epoch k's rows are its k-th ``permutation(n)``; a held-out split is drawn
    from a separate stream, so it never changes the order.
    """
    return _streams(seed)[1]


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    split, shuffle = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(split), np.random.default_rng(shuffle)


def _mask_stream(seed: int) -> np.random.Generator:
    """The stream the dropout masks' seeds are drawn from, apart from the split and the shuffling."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])


def _fresh_masks(gradient: Callable, rng: np.random.Generator) -> Callable:
    """``gradient`` called with a new seed for its dropout masks every time."""

    def masked(params, X, Y):
        return gradient(params, X, Y, seed=int(rng.integers(2**32)))

    return masked


def _gradient_function(f: Callable) -> tuple[Callable, np.dtype]:
    """The function the loop calls per batch, and the dtype it computes in.

    For a compiled gradient that is its generated function itself (``raw``):
    the data and parameters were checked and cast once, so no batch is checked
    again.  The gradients any other function returns are copied, because the
    update overwrites them.
    """
    raw, dtype = getattr(f, "raw", None), getattr(f, "dtype", None)
    if callable(raw) and dtype is not None:
        return raw, np.dtype(dtype)

    def copied(params, X, Y, **options):
        loss, grads = f(params, X, Y, **options)
        return loss, {name: np.array(g, dtype=np.float64) for name, g in grads.items()}

    return copied, np.dtype(np.float64)


class _Batches:
    """The rows of each epoch in a new random order, gathered batch by batch into buffers made once."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, size: int, rng: np.random.Generator):
        self.X, self.Y, self.size, self.rng = X, Y, size, rng
        self.x = np.empty((size, *X.shape[1:]), dtype=X.dtype)  # rows, or images (C, H, W)
        self.y = np.empty((size, *Y.shape[1:]), dtype=Y.dtype)

    def __iter__(self):
        order = self.rng.permutation(self.X.shape[0])
        for begin in range(0, order.size, self.size):
            rows = order[begin : begin + self.size]
            x, y = self.x[: rows.size], self.y[: rows.size]
            np.take(self.X, rows, axis=0, out=x)
            np.take(self.Y, rows, axis=0, out=y)
            yield x, y


def _minibatch_epoch(batches, gradient, apply, params, state, lr, history, epoch, check_ctrl_c):
    """One pass over the batches, updating ``params`` in place: (mean minibatch loss, state).

    Each batch's loss is computed at the parameters before its step; the first
    one of the run is the starting loss ``history[0]`` unless that was measured
    on the whole set already.
    """
    total = 0.0
    for x, y in batches:
        loss, grads = gradient(params, x, y)
        loss = float(loss)
        if not history:
            _record_start(history, loss)
        if not math.isfinite(loss):
            raise _Diverged(epoch, loss)
        total += loss * x.shape[0]
        state = apply(params, grads, state, lr)
        check_ctrl_c()
    return total / batches.X.shape[0], state


class _CtrlC:
    """Ctrl-C while training, acted on between steps instead of wherever it lands.

    Python turns SIGINT into a KeyboardInterrupt raised in whatever code runs at
    that moment; one raised inside a garbage-collector or weakref callback is
    printed and dropped, and training would go on.  While listening, the first
    Ctrl-C only sets a flag that the loop reads after every step; a second one
    interrupts at once.  Outside the main thread (where Python handles no
    signals) it does nothing.

    >>> ctrl_c = _CtrlC()
    >>> ctrl_c.check()                      # nothing pressed: no effect
    >>> ctrl_c.pressed = True
    >>> try:
    ...     ctrl_c.check()
    ... except KeyboardInterrupt:
    ...     print("stops here")
    stops here
    """

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None
        self._listening = False

    def listen(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._press)
            self._listening = True

    def stop_listening(self) -> None:
        if self._listening:
            signal.signal(signal.SIGINT, self._previous)
            self._listening = False

    def _press(self, signum: int, frame: Any) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt


def _record_start(history: list[float], loss: float) -> None:
    history.append(loss)
    if not math.isfinite(loss):
        raise _Diverged(0, loss)


class _Kept:
    """The parameters after the last finished epoch, copied from the working arrays.

    The working arrays change in place during an epoch, so Ctrl-C may find them
    half updated.  Two sets of buffers take turns, and one assignment switches
    ``last`` from one to the other, so an interrupt at any moment leaves a
    complete set there.
    """

    def __init__(self, params: Mapping[str, np.ndarray]):
        self._buffers = tuple({k: v.copy() for k, v in params.items()} for _ in range(2))
        self.last: tuple[int, dict[str, np.ndarray]] = (0, self._buffers[0])

    def save(self, epoch: int, params: Mapping[str, np.ndarray]) -> None:
        spare = self._buffers[1] if self.last[1] is self._buffers[0] else self._buffers[0]
        for name, value in params.items():
            np.copyto(spare[name], value)
        self.last = (epoch, spare)


def _loss_function(f: Callable) -> Callable[..., float]:
    """The compiled loss alone when there is one (no backward pass), else f's first value."""
    loss = getattr(f, "loss", None)
    if callable(loss):
        return lambda params, X, Y: float(loss(params, X, Y))
    return lambda params, X, Y: float(f(params, X, Y)[0])


class _Diverged(Exception):
    def __init__(self, epoch: int, loss: float):
        super().__init__(epoch, loss)
        self.epoch = epoch
        self.loss = loss


def _largest_parameter(params: Mapping[str, np.ndarray]) -> tuple[float, str]:
    """The largest |entry| of the parameters and the first parameter holding it."""
    largest, where = 0.0, ""
    for name, value in params.items():
        top = float(np.max(np.abs(value))) if value.size else 0.0
        if top > largest:
            largest, where = top, name
    return largest, where


def _cause(lr: float, name: str, start: Mapping[str, np.ndarray]) -> str:
    """The likely cause of a blow-up after some updates, and what to try."""
    largest, where = _largest_parameter(start)
    if largest >= LARGE_PARAMETER:
        return (
            f"the starting parameters are very large (|{where}| reaches {largest:.3g}), which makes "
            "the gradients huge; start from smaller ones, such as those drawn from the seed"
        )
    return (
        f"the learning rate {lr:g} is probably too large for {name}, "
        f"try a smaller one such as {lr / 10:g}"
    )


def _divergence_message(
    epoch: int, loss: float, initial: float, lr: float, name: str, start: Mapping[str, np.ndarray]
) -> str:
    what = "became NaN" if math.isnan(loss) else (
        "overflowed to infinity" if math.isinf(loss) else f"exploded to {loss:.3g}"
    )
    if epoch == 0:
        is_what = "NaN" if math.isnan(loss) else "infinite"
        largest, where = _largest_parameter(start)
        hint = (
            f" (|{where}| reaches {largest:.3g}; start from smaller parameters)"
            if largest >= LARGE_PARAMETER
            else "; check the data's targets and the starting parameters"
        )
        return (
            f"training cannot start: the loss is {is_what} at the starting parameters, before any "
            f"update, so the learning rate is not the cause{hint}"
        )
    return (
        f"training diverged: the loss {what} in epoch {epoch} (it started at {initial:.4g}); "
        f"{_cause(lr, name, start)}; the parameters after epoch {epoch - 1} are kept"
    )


def _rising_message(history: list[float], lr: float, name: str, start: Mapping[str, np.ndarray]) -> str:
    initial, final = history[0], history[-1]
    return (
        f"training diverged: the loss rose from {initial:.4g} to {final:.4g} "
        f"({final / initial:.0%} of its start) over {len(history) - 1} epochs; "
        f"{_cause(lr, name, start)}"
    )


# -- checking what the caller gave ---------------------------------------------


def held_out(validation: Any, n: int) -> int:
    """How many of ``n`` samples the held-out fraction ``validation`` sets aside; DataError
    unless both sides keep at least one."""
    fraction = options.fraction(validation, "the held-out fraction")
    held = round(fraction * n)
    if held < 1 or held > n - 1:
        raise DataError(
            f"the held-out fraction must leave at least one sample on each side, got "
            f"{validation!r} of {n} samples"
        )
    return held


def _split(net: Any, X: np.ndarray, Y: np.ndarray, validation: Any, rng: np.random.Generator):
    if validation is None:
        return X, Y, None, None
    if isinstance(validation, tuple | list):
        if len(validation) != 2:
            raise DataError("validation must be a fraction or a pair (X_val, Y_val)")
        X_val, Y_val = check_batch(validation[0], validation[1], net, names=("X_val", "Y_val"))
        return X, Y, X_val, Y_val
    n = X.shape[0]
    held = held_out(validation, n)
    order = rng.permutation(n)
    val, keep = np.sort(order[:held]), np.sort(order[held:])
    return X[keep], Y[keep], X[val], Y[val]


def _start_params(net: Any, params: Mapping[str, Any] | None, seed: int) -> dict:
    from .params import check_params, init_params

    if params is None:
        return init_params(net, seed)
    return check_params(params, net)  # float64 copies: the caller's arrays are never changed


def _frozen_copy(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for name, value in params.items():
        array = np.array(value, dtype=np.float64)
        array.setflags(write=False)
        out[name] = array
    return out


# -- progress --------------------------------------------------------------------


def _reporter(progress: Any, epochs: int) -> Callable[[Epoch | None], None]:
    """A function told about every epoch, and ``None`` once at the end."""
    if callable(progress):
        return lambda epoch: None if epoch is None else progress(epoch)
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return lambda epoch: None
    from .progress import ProgressBar

    return ProgressBar(epochs)
