"""The Network people use: a network spec that can derive and compile itself.

:class:`symbackprop.spec.Network` is the frozen description every part of the
package reads; it imports nothing above it.  This subclass adds the two
conveniences of the Python API, ``net.derive()`` and ``net.compile()``, from
the top of the import graph, so the graph stays free of cycles.

>>> net = Network.from_spec({"layers": [2, 3, 1], "activation": "sigmoid"})
>>> net.derive().gradient("W2").shape, type(net.compile()).__name__
((1, 3), 'CompiledGradient')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import spec
from .derive import Derivation

if TYPE_CHECKING:
    from .exports import Export
    from .numeric import CompiledGradient


class Network(spec.Network):
    """A feed-forward network: its layers 1..L and the per-sample loss (see :mod:`symbackprop.spec`)."""

    def derive(self) -> Derivation:
        """The symbolic derivation of every gradient (see :class:`~symbackprop.derive.Derivation`)."""
        return Derivation(self)

    def compile(self, **options: Any) -> CompiledGradient:
        """The compiled numeric gradient function ``f(params, X, Y) -> (loss, grads)``."""
        # Imported here so that `import symbackprop` (and the derive command) need not load NumPy.
        from .numeric import compile as compile_gradient

        return compile_gradient(self, **options)

    def export(self, to: str) -> Export:
        """The loss and its symbolic gradient as a PyTorch (``"torch"``) or JAX (``"jax"``) module.

        Returns an :class:`~symbackprop.exports.Export`: ``.source``, ``.write(path)``, ``.load()``.
        """
        from .exports import export

        return export(self, to)
