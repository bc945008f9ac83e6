"""The symbolic gradients as a PyTorch or JAX module: where training outgrows NumPy.

``export(network, "torch")`` writes the network's loss and its symbolically
derived gradient as a readable Python module for PyTorch (a
``torch.autograd.Function`` whose backward is the derived gradient, and a
``torch.nn.Module`` around it) or JAX (a ``jax.custom_vjp`` function).  The
array code is the NumPy generator's own (:mod:`symbackprop.numeric.codegen`),
written from the same backpropagation plan in the library's dialect
(:mod:`symbackprop.numeric.dialects`); the module around it is glue, no
mathematics.  Writing a module needs neither library; importing it does.

>>> from symbackprop import models
>>> exported = export(models.two_two_two(), "torch")
>>> print(exported.source.splitlines()[0][3:])
PyTorch module of the network 2-2-2 sigmoid/sigmoid, half_sse, with bias: batch loss ...
>>> "class LossFunction(torch.autograd.Function):" in exported.source
True
>>> export(models.two_two_two(), "tensorflow")
Traceback (most recent call last):
...
symbackprop.errors.UnknownOptionError: unknown export target 'tensorflow'; expected one of torch, jax
"""

from __future__ import annotations

import importlib
import linecache
import sys
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from types import ModuleType

from ..errors import DataError
from ..io import write_atomic
from ..options import choose
from ..spec import Network
from .jax_module import jax_source
from .torch_module import torch_source

TARGETS = ("torch", "jax")
_WRITERS = {"torch": torch_source, "jax": jax_source}
_INSTALL = {"torch": "pip install 'symbackprop[torch]'", "jax": "pip install 'symbackprop[jax]'"}
_LIBRARY = {"torch": "PyTorch", "jax": "JAX"}
_counter = count(1)


@dataclass(frozen=True)
class Export:
    """One network's module for one library: its ``source``, ready to write or load."""

    network: Network
    target: str
    source: str

    def __str__(self) -> str:
        return self.source

    def write(self, path: str | Path, force: bool = False) -> Path:
        """Write the module to ``path`` atomically; an existing file is replaced only with ``force``."""
        return write_atomic(path, self.source, force=force)

    def load(self) -> ModuleType:
        """The module itself, run from the source (registered so ``inspect.getsource`` finds it).

        Raises a DataError naming the install command when the library is missing.
        """
        try:
            importlib.import_module(self.target)
        except ImportError:
            raise DataError(
                f"the {_LIBRARY[self.target]} export needs {_LIBRARY[self.target]}, which is not "
                f"installed: {_INSTALL[self.target]}"
            ) from None
        name = f"symbackprop_{self.target}_export_{next(_counter)}"
        filename = f"<{name}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        module = ModuleType(name)
        module.__file__ = filename
        # Registered, so that classes defined in it pickle and torch.func finds their module.
        sys.modules[name] = module
        exec(compile(self.source, filename, "exec"), module.__dict__)  # noqa: S102 - our own generated code
        return module


def export(network: Network, to: str) -> Export:
    """The module of ``network`` for ``to`` (``"torch"`` or ``"jax"``)."""
    target = choose(to, TARGETS, "export target")
    return Export(network, target, _WRITERS[target](network))
