"""symbackprop: derive backpropagation symbolically.

>>> import symbackprop as sbp
>>> net = sbp.Network.from_spec({"layers": [2, 3, 1], "activation": "sigmoid"})
>>> net.derive().gradient("W2").shape
(1, 3)
"""

from __future__ import annotations

import importlib
from typing import Any

from .activations import Activation, activation
from .derive import Derivation
from .errors import (
    DataError,
    ExpressionError,
    ShapeError,
    SpecError,
    SymbackpropError,
    UnknownParameterError,
)
from .losses import Loss, loss
from .network import Network
from .spec import Dense
from .steps import Section, Step

__version__ = "0.1.0"

# Heavier parts load on first use, so `import symbackprop` and the CLI stay quick.
# The modules are named apart from their functions (training.py holds train):
# importing a submodule binds its name on this package, which would hide a
# function of the same name.
_LAZY = {
    "compile": "numeric",
    "CompiledGradient": "numeric",
    "gradcheck": "gradient_check",
    "GradCheckReport": "gradient_check",
    "verify": "verification",
    "Verdict": "verification",
    "train": "training",
    "TrainResult": "training",
    "worksheet": "worksheets",
    "export": "exports",
    "Export": "exports",
    "models": "models",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return module if name == _LAZY[name] else getattr(module, name)
    raise AttributeError(f"module 'symbackprop' has no attribute {name!r}")


__all__ = [
    "Activation",
    "DataError",
    "Dense",
    "Derivation",
    "ExpressionError",
    "Loss",
    "Network",
    "Section",
    "ShapeError",
    "SpecError",
    "Step",
    "SymbackpropError",
    "UnknownParameterError",
    "activation",
    "loss",
    *_LAZY,
]
