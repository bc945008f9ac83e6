"""The kinds of layer of the list form, one module each (see :mod:`symbackprop.layers.base`).

``KINDS`` maps the ``type`` a spec names to the layer's class.  A new kind of
layer is a new module here with its spec, plan entry and operations, and one
line in ``KINDS``; docs/architecture.md tells the rest.
"""

from __future__ import annotations

from .base import IndexRule, Layer, Rules, count, shape_text
from .conv2d import Conv2d
from .dense import Dense
from .flatten import Flatten
from .pool import AvgPool2d, MaxPool2d

KINDS: dict[str, type[Layer]] = {
    "dense": Dense,
    "conv2d": Conv2d,
    "maxpool2d": MaxPool2d,
    "avgpool2d": AvgPool2d,
    "flatten": Flatten,
}

__all__ = ["KINDS", "AvgPool2d", "Conv2d", "Dense", "Flatten", "IndexRule", "Layer", "MaxPool2d", "Rules", "count", "shape_text"]
