"""Update rules for training: plain gradient descent, momentum and Adam.

Each optimizer is a frozen description of its hyper-parameters.  ``start``
gives its initial state and ``update`` returns new parameters and a new
state; nothing is changed in place, so a training loop interrupted between
two updates always holds a consistent pair.

>>> import numpy as np
>>> sgd = optimizer("sgd")
>>> params, state = sgd.update({"W1": np.array([1.0])}, {"W1": np.array([0.5])}, sgd.start({}), 0.1)
>>> params["W1"]
array([0.95])
>>> optimizer("adm")
Traceback (most recent call last):
...
symbackprop.errors.UnknownOptionError: unknown optimizer 'adm' (did you mean 'adam'?); expected one of sgd, momentum, adam
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


@dataclass(frozen=True)
class SGD:
    """θ ← θ − α ∂L/∂θ: the update rule of the articles."""

    name: str = "sgd"

    def start(self, params: Params) -> None:
        return None

    def update(self, params: Params, grads: Params, state: None, lr: float) -> tuple[dict, None]:
        return {k: params[k] - lr * grads[k] for k in params}, None


@dataclass(frozen=True)
class Momentum:
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

    def update(self, params: Params, grads: Params, state: dict, lr: float) -> tuple[dict, dict]:
        velocity = {k: self.beta * state[k] + grads[k] for k in params}
        return {k: params[k] - lr * velocity[k] for k in params}, velocity


@dataclass(frozen=True)
class AdamState:
    step: int
    first: dict
    second: dict


@dataclass(frozen=True)
class Adam:
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
        zeros = {k: np.zeros_like(v) for k, v in params.items()}
        return AdamState(0, zeros, dict(zeros))

    def update(
        self, params: Params, grads: Params, state: AdamState, lr: float
    ) -> tuple[dict, AdamState]:
        t = state.step + 1
        first = {k: self.beta1 * state.first[k] + (1 - self.beta1) * grads[k] for k in params}
        second = {
            k: self.beta2 * state.second[k] + (1 - self.beta2) * np.square(grads[k]) for k in params
        }
        # Folding both bias corrections into the step size saves two array passes.
        scale = lr * math.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)
        eps = self.eps * math.sqrt(1 - self.beta2**t)
        new = {k: params[k] - scale * first[k] / (np.sqrt(second[k]) + eps) for k in params}
        return new, AdamState(t, first, second)


def optimizer(spec: str | Optimizer) -> Optimizer:
    """The optimizer named ``sgd``, ``momentum`` or ``adam`` (or one given as an object)."""
    if not isinstance(spec, str):
        if hasattr(spec, "update") and hasattr(spec, "start"):
            return spec
        raise DataError(f"an optimizer must be one of {', '.join(NAMES)}, got {spec!r}")
    name = choose(spec.strip().lower(), NAMES, "optimizer")
    return {"sgd": SGD, "momentum": Momentum, "adam": Adam}[name]()
