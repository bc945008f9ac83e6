"""Update rules for training: plain gradient descent, momentum and Adam.

Each optimizer is a frozen description of its hyper-parameters.  ``start``
gives its initial state; ``apply`` updates parameters and state in place (the
training loop's fast path: no array is allocated, the gradients serve as
scratch space), and ``update`` does the same on copies, returning new
parameters and a new state.  Each rule is written once, in ``apply``.

>>> import numpy as np
>>> sgd = optimizer("sgd")
>>> params, state = sgd.update({"W1": np.array([1.0])}, {"W1": np.array([0.5])}, sgd.start({}), 0.1)
>>> params["W1"]
array([0.95])
>>> w, g = np.array([1.0]), np.array([0.5])
>>> _ = sgd.apply({"W1": w}, {"W1": g}, None, 0.1)
>>> w                                       # changed in place
array([0.95])
>>> optimizer("adm")
Traceback (most recent call last):
...
symbackprop.errors.UnknownOptionError: unknown optimizer 'adm' (did you mean 'adam'?); expected one of sgd, momentum, adam
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .errors import DataError
from .options import choose

Params = Mapping[str, np.ndarray]

NAMES = ("sgd", "momentum", "adam")


class Optimizer(Protocol):
    name: str

    def start(self, params: Params) -> Any: ...

    def update(self, params: Params, grads: Params, state: Any, lr: float) -> tuple[dict, Any]: ...


class _InPlace:
    """``update`` from ``apply``: the rule runs on copies, so the caller's arrays stay as they were."""

    def update(self, params: Params, grads: Params, state: Any, lr: float) -> tuple[dict, Any]:
        new = {k: np.array(v, dtype=np.result_type(v, grads[k])) for k, v in params.items()}
        scratch = {k: np.array(grads[k], dtype=new[k].dtype) for k in params}
        return new, self.apply(new, scratch, _copied(state), lr)


def _copied(state: Any) -> Any:
    if isinstance(state, dict):
        return {k: v.copy() for k, v in state.items()}
    if isinstance(state, AdamState):
        return AdamState(state.step, _copied(state.first), _copied(state.second))
    return state


@dataclass(frozen=True)
class SGD(_InPlace):
    """θ ← θ − α ∂L/∂θ: the update rule of the articles."""

    name: str = "sgd"

    def start(self, params: Params) -> None:
        return None

    def apply(self, params: Params, grads: Params, state: None, lr: float) -> None:
        """θ ← θ − α g in place; ``grads`` are overwritten."""
        for k, theta in params.items():
            step = grads[k]
            step *= lr
            theta -= step
        return None


@dataclass(frozen=True)
class Momentum(_InPlace):
    """Heavy-ball momentum: v ← β v + ∂L/∂θ, θ ← θ − α v.

    The velocity accumulates past gradients, so steps grow along directions
    the gradient keeps pointing to and cancel across ravines.
    """

    beta: float = 0.9
    name: str = "momentum"

    def __post_init__(self) -> None:
        if not 0 <= self.beta < 1:
            raise DataError(f"momentum must be in [0, 1), got {self.beta!r}")

    def start(self, params: Params) -> dict:
        return {k: np.zeros_like(v) for k, v in params.items()}

    def apply(self, params: Params, grads: Params, state: dict, lr: float) -> dict:
        """v ← β v + g, θ ← θ − α v in place; ``grads`` are overwritten."""
        for k, theta in params.items():
            velocity, step = state[k], grads[k]
            velocity *= self.beta
            velocity += step
            np.multiply(velocity, lr, out=step)
            theta -= step
        return state


@dataclass(frozen=True)
class AdamState:
    step: int
    first: dict
    second: dict


@dataclass(frozen=True)
class Adam(_InPlace):
    """Adam (Kingma and Ba, 2015) with bias-corrected moment estimates."""

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    name: str = "adam"

    def __post_init__(self) -> None:
        for label, beta in (("beta1", self.beta1), ("beta2", self.beta2)):
            if not 0 <= beta < 1:
                raise DataError(f"Adam's {label} must be in [0, 1), got {beta!r}")
        if not self.eps > 0:
            raise DataError(f"Adam's eps must be positive, got {self.eps!r}")

    def start(self, params: Params) -> AdamState:
        return AdamState(
            0, {k: np.zeros_like(v) for k, v in params.items()},
            {k: np.zeros_like(v) for k, v in params.items()},
        )

    def apply(self, params: Params, grads: Params, state: AdamState, lr: float) -> AdamState:
        """m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − α m̂/(√v̂ + ε), in place.

        ``grads`` are overwritten.  β m + (1−β) g is computed as β(m − g) + g,
        which needs no scratch array.
        """
        t = state.step + 1
        # Folding both bias corrections into the step size saves two array passes.
        scale = lr * math.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)
        eps = self.eps * math.sqrt(1 - self.beta2**t)
        for k, theta in params.items():
            first, second, g = state.first[k], state.second[k], grads[k]
            first -= g
            first *= self.beta1
            first += g
            np.square(g, out=g)
            second -= g
            second *= self.beta2
            second += g
            np.sqrt(second, out=g)
            g += eps
            np.divide(first, g, out=g)
            g *= scale
            theta -= g
        return AdamState(t, state.first, state.second)


def in_place(opt: Optimizer) -> Callable[[Params, Params, Any, float], Any]:
    """``opt.apply``, or for an optimizer that has only ``update``, the same done by copying back."""
    apply = getattr(opt, "apply", None)
    if callable(apply):
        return apply

    def copy_back(params: Params, grads: Params, state: Any, lr: float) -> Any:
        new, state = opt.update(params, grads, state, lr)
        for k, theta in params.items():
            np.copyto(theta, new[k])
        return state

    return copy_back


def optimizer(spec: str | Optimizer) -> Optimizer:
    """The optimizer named ``sgd``, ``momentum`` or ``adam`` (or one given as an object)."""
    if not isinstance(spec, str):
        if hasattr(spec, "update") and hasattr(spec, "start"):
            return spec
        raise DataError(f"an optimizer must be one of {', '.join(NAMES)}, got {spec!r}")
    name = choose(spec.strip().lower(), NAMES, "optimizer")
    return {"sgd": SGD, "momentum": Momentum, "adam": Adam}[name]()
